/*
 * Guest memory.  The region is linearly mapped, so a physical page is also
 * a kernel virtual page: the page allocator hands out kernel addresses.
 * Free memory is the region after the image, less the heap reserved for
 * newlib's malloc; the first 1 MiB of the region is never used (firmware
 * areas when booted alone, the loader's boot page tables when spawned).
 *
 * Spawned, the region arrives zeroed (the host scrubs memory when a guest
 * frees it, and its pool once at load), so a page needs zeroing only once
 * it has been handed out: the "dirty" map says which ones were.  Alone,
 * nobody promised us anything, and every page counts as dirty.
 */
#include <string.h>

#include "kern/mm.h"
#include "kern/smp.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/shared.h"
#include "kern/sync.h"
#include "lib/cmdline.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "arch/x86_64/paging.h"

#define REGION_PAGES_MAX (KSPAWN_REGION_MAX / PAGE_SIZE)
#define LIBC_HEAP_DEFAULT_MAX (64UL << 20)

extern char __image_end[];
extern char boot_stack_guard[];

static uint64_t bitmap[PA_BITMAP_WORDS(REGION_PAGES_MAX)];
static uint64_t dirty[PA_BITMAP_WORDS(REGION_PAGES_MAX)];
static size_t pages_zeroed;	/* by us, since boot */
static struct page_alloc pages;
static struct heap kheap;
static struct spinlock mm_lock;
static uint64_t mmio_next = VA_MMIO;
static char *libc_heap_start, *libc_heap_end;

/*
 * Zero the pages of [va, va + n pages) that were handed out before, and
 * mark them all handed out.  The caller owns the pages; the map's words
 * are shared with other callers' pages, hence the atomic or.
 */
static void zero_dirty(uint64_t va, size_t n)
{
	size_t first = (va - KSPAWN_VA_REGION) / PAGE_SIZE;

	for (size_t pfn = first; pfn < first + n; pfn++) {
		uint64_t bit = 1ULL << (pfn % 64);

		if (__atomic_fetch_or(&dirty[pfn / 64], bit, __ATOMIC_RELAXED) &
		    bit) {
			memset((void *)(KSPAWN_VA_REGION + pfn * PAGE_SIZE), 0,
			       PAGE_SIZE);
			__atomic_fetch_add(&pages_zeroed, 1, __ATOMIC_RELAXED);
		}
	}
}

/* Handed out without zeroing: whoever gets them does not need zeros. */
static void mark_dirty(uint64_t va, size_t n)
{
	size_t first = (va - KSPAWN_VA_REGION) / PAGE_SIZE;

	for (size_t pfn = first; pfn < first + n; pfn++)
		__atomic_fetch_or(&dirty[pfn / 64], 1ULL << (pfn % 64),
				  __ATOMIC_RELAXED);
}

/* Page-table pages: called at boot or with mm_lock already held. */
static void *table_page(void)
{
	uint64_t va = pa_alloc(&pages, 1);

	if (va)
		zero_dirty(va, 1);
	return va ? (void *)va : NULL;
}

/* The heap's page source: called with mm_lock held. */
static void *heap_get_pages(void *ctx, size_t n)
{
	uint64_t va = pa_alloc(&pages, n);

	(void)ctx;
	if (va)
		mark_dirty(va, n);
	return va ? (void *)va : NULL;
}

static void heap_put_pages(void *ctx, void *p, size_t n)
{
	(void)ctx;
	if (pa_free(&pages, (uint64_t)p, n))
		panic("mm: heap returned pages it does not own (%p)", p);
}

/* The "heap=MiB" option, or a default: half the free memory, capped. */
static size_t libc_heap_bytes(const struct kspawn_header *hdr, size_t free)
{
	static struct cmdline c;
	const char *opt;
	size_t bytes = free / 2;

	if (bytes > LIBC_HEAP_DEFAULT_MAX)
		bytes = LIBC_HEAP_DEFAULT_MAX;
	cmdline_parse(&c, hdr->cmdline, sizeof(hdr->cmdline));
	opt = cmdline_opt(&c, "heap");
	if (opt) {
		size_t mib = 0;

		while (*opt >= '0' && *opt <= '9' && mib < (1 << 20))
			mib = mib * 10 + (size_t)(*opt++ - '0');
		bytes = mib << 20;
		if (bytes > free - free / 8)	/* leave the kernel something */
			bytes = free - free / 8;
	}
	return bytes & ~(PAGE_SIZE - 1);
}

static void reserve_libc_heap(const struct kspawn_header *hdr)
{
	size_t bytes = libc_heap_bytes(hdr, pages.nfree * PAGE_SIZE);
	uint64_t va = bytes ? pa_alloc(&pages, bytes / PAGE_SIZE) : 0;

	if (bytes && !va)
		panic("mm: cannot reserve %zu KiB for malloc", bytes >> 10);
	if (va)
		mark_dirty(va, bytes / PAGE_SIZE);
	libc_heap_start = (char *)va;
	libc_heap_end = (char *)va + bytes;
}

void mm_init(struct kspawn_header *hdr)
{
	uint64_t image_end = PAGE_ALIGN((uint64_t)__image_end);
	size_t npages = hdr->region_size / PAGE_SIZE;

	spin_init(&mm_lock);
	if (hdr->flags & KSPAWN_HF_STANDALONE)
		memset(dirty, 0xff, sizeof(dirty));
	pa_init(&pages, KSPAWN_VA_REGION, npages, bitmap);
	pa_reserve(&pages, KSPAWN_VA_REGION,
		   (image_end - KSPAWN_VA_REGION) / PAGE_SIZE);
	if (paging_init(hdr, table_page))
		panic("mm: cannot build page tables");
	paging_unmap((uint64_t)boot_stack_guard);
	heap_init(&kheap, heap_get_pages, heap_put_pages, NULL);
	reserve_libc_heap(hdr);
	kprintf("memory: %zu KiB free, %zu KiB for malloc, kernel image %llu KiB\n",
		pages.nfree * (PAGE_SIZE >> 10),
		(size_t)(libc_heap_end - libc_heap_start) >> 10,
		(unsigned long long)(image_end - KSPAWN_VA_REGION -
				     KSPAWN_IMAGE_OFFSET) >> 10);
}

void *page_alloc(size_t npages)
{
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	uint64_t va = pa_alloc(&pages, npages);

	spin_unlock_irqrestore(&mm_lock, flags);
	if (!va)
		return NULL;
	zero_dirty(va, npages);
	return (void *)va;
}

void page_free(void *va, size_t npages)
{
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	int bad = pa_free(&pages, (uint64_t)va, npages);

	spin_unlock_irqrestore(&mm_lock, flags);
	if (bad)
		panic("mm: page_free(%p, %zu) of pages not allocated", va,
		      npages);
}

size_t mm_free_pages(void)
{
	return pages.nfree;
}

size_t mm_pages_zeroed(void)
{
	return __atomic_load_n(&pages_zeroed, __ATOMIC_RELAXED);
}

void *kmalloc(size_t size)
{
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	void *p = heap_alloc(&kheap, size);

	spin_unlock_irqrestore(&mm_lock, flags);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	uint64_t flags;
	int bad;

	if (!p)
		return;
	flags = spin_lock_irqsave(&mm_lock);
	bad = heap_free(&kheap, p);
	spin_unlock_irqrestore(&mm_lock, flags);
	if (bad)
		panic("mm: kfree(%p) of memory kmalloc did not hand out", p);
}

void *stack_alloc(size_t size)
{
	size_t n = PAGE_ALIGN(size) / PAGE_SIZE;
	char *p = page_alloc(n + 1);

	if (!p)
		return NULL;
	mm_unmap_page((uint64_t)p);
	return p + PAGE_SIZE;
}

void mm_remap_page(uint64_t va)
{
	paging_remap(va);	/* no CPU caches a page that was not present */
}

void mm_unmap_page(uint64_t va)
{
	paging_unmap(va);
	smp_flush_tlb_page(va);	/* another CPU may have used the page */
}

void stack_free(void *base, size_t size)
{
	char *guard = (char *)base - PAGE_SIZE;

	mm_remap_page((uint64_t)guard);
	page_free(guard, PAGE_ALIGN(size) / PAGE_SIZE + 1);
}

/* Every page of the region is mapped except the guard pages. */
int mm_is_guard_page(uint64_t va)
{
	if (va < KSPAWN_VA_REGION ||
	    va >= KSPAWN_VA_REGION + kspawn_hdr->region_size)
		return 0;
	return !paging_is_mapped(va);
}

void *mmio_map(uint64_t pa, size_t size)
{
	uint64_t offset = pa & (PAGE_SIZE - 1);
	size_t n = PAGE_ALIGN(offset + size) / PAGE_SIZE;
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	uint64_t va = mmio_next;

	if (va + n * PAGE_SIZE > VA_MMIO + VA_MMIO_SIZE) {
		spin_unlock_irqrestore(&mm_lock, flags);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (paging_map_mmio(va + i * PAGE_SIZE,
				    (pa - offset) + i * PAGE_SIZE)) {
			spin_unlock_irqrestore(&mm_lock, flags);
			return NULL;
		}
	}
	mmio_next += n * PAGE_SIZE;
	spin_unlock_irqrestore(&mm_lock, flags);
	return (void *)(va + offset);
}

void mm_libc_heap(char **start, char **end)
{
	*start = libc_heap_start;
	*end = libc_heap_end;
}
