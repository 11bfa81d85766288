/*
 * Guest memory: a page allocator over the free part of the region, the
 * guest's own page tables, a kernel heap, and guarded stacks.
 */
#ifndef KERN_MM_H
#define KERN_MM_H

#include <stddef.h>
#include <stdint.h>
#include "abi/kspawn_abi.h"

#define PAGE_SIZE 4096UL
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/*
 * Take over the region: free pages are everything after the image (and in
 * spawned mode the loader's first 1 MiB too, once its page tables are no
 * longer in use), switch to the guest's own page tables, start the heap.
 */
void mm_init(struct kspawn_header *hdr);

/* npages contiguous zeroed pages, as a kernel virtual address; NULL if none. */
void *page_alloc(size_t npages);
void page_free(void *va, size_t npages);
size_t mm_free_pages(void);
/* Pages page_alloc() had to zero since boot (those handed out before). */
size_t mm_pages_zeroed(void);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/*
 * A stack of size bytes (page multiple) with an unmapped guard page below
 * it.  Returns the lowest usable address; the stack top is base + size.
 */
void *stack_alloc(size_t size);

/* Unmap one page of the region on every CPU (a guard page); map it back. */
void mm_unmap_page(uint64_t va);
void mm_remap_page(uint64_t va);
void stack_free(void *base, size_t size);

/* Is va inside a stack guard page?  Lets a page fault say "stack overflow". */
int mm_is_guard_page(uint64_t va);

/* The area reserved for newlib's malloc (see guest/libc/sbrk.c). */
void mm_libc_heap(char **start, char **end);

/* Map size bytes of device memory at physical pa, uncached; NULL on failure. */
void *mmio_map(uint64_t pa, size_t size);

#endif
