#include "lib/page_alloc.h"

static int test_bit(const uint64_t *bits, size_t i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

static void set_bits(uint64_t *bits, size_t first, size_t n, int used)
{
	for (size_t i = first; i < first + n; i++) {
		if (used)
			bits[i / 64] |= 1ULL << (i % 64);
		else
			bits[i / 64] &= ~(1ULL << (i % 64));
	}
}

void pa_init(struct page_alloc *pa, uint64_t base, size_t npages,
	     uint64_t *bits)
{
	pa->base = base;
	pa->npages = npages;
	pa->nfree = npages;
	pa->hint = 0;
	pa->bits = bits;
	for (size_t w = 0; w < PA_BITMAP_WORDS(npages); w++)
		bits[w] = 0;
}

/* Page index of addr, or npages if addr is not a page of this range. */
static size_t index_of(const struct page_alloc *pa, uint64_t addr)
{
	if (addr < pa->base || (addr - pa->base) % PA_PAGE_SIZE)
		return pa->npages;
	if ((addr - pa->base) / PA_PAGE_SIZE >= pa->npages)
		return pa->npages;
	return (size_t)((addr - pa->base) / PA_PAGE_SIZE);
}

void pa_reserve(struct page_alloc *pa, uint64_t addr, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = index_of(pa, addr + k * PA_PAGE_SIZE);

		if (i < pa->npages && !test_bit(pa->bits, i)) {
			set_bits(pa->bits, i, 1, 1);
			pa->nfree--;
		}
	}
}

/* The first free run of n pages starting in [from, to), or npages. */
static size_t find_run(const struct page_alloc *pa, size_t from, size_t to,
		       size_t n)
{
	size_t run = 0;

	for (size_t i = from; i < pa->npages; i++) {
		if (run == 0 && i >= to)
			break;
		if (run == 0 && pa->bits[i / 64] == ~0ULL && i % 64 == 0) {
			i += 63;	/* a full word: skip it whole */
			continue;
		}
		run = test_bit(pa->bits, i) ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return pa->npages;
}

uint64_t pa_alloc(struct page_alloc *pa, size_t n)
{
	size_t first;

	if (n == 0 || n > pa->nfree)
		return 0;
	first = find_run(pa, pa->hint, pa->npages, n);
	if (first == pa->npages)
		first = find_run(pa, 0, pa->hint, n);
	if (first == pa->npages)
		return 0;
	set_bits(pa->bits, first, n, 1);
	pa->nfree -= n;
	pa->hint = first + n < pa->npages ? first + n : 0;
	return pa->base + first * PA_PAGE_SIZE;
}

int pa_free(struct page_alloc *pa, uint64_t addr, size_t n)
{
	size_t first = index_of(pa, addr);

	if (n == 0 || first == pa->npages || n > pa->npages - first)
		return -1;
	for (size_t i = first; i < first + n; i++)
		if (!test_bit(pa->bits, i))
			return -1;
	set_bits(pa->bits, first, n, 0);
	pa->nfree += n;
	return 0;
}

int pa_is_used(const struct page_alloc *pa, uint64_t addr)
{
	size_t i = index_of(pa, addr & ~(PA_PAGE_SIZE - 1));

	return i < pa->npages && test_bit(pa->bits, i);
}
