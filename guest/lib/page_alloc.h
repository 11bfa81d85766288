/*
 * Page-frame allocator: one bit per 4 KiB page over a contiguous range of
 * addresses, first fit for runs of contiguous pages.  Portable: it only
 * deals in addresses, never touches the pages themselves.  Freeing pages
 * that are not allocated (a double free, a foreign pointer, a bad count) is
 * refused with an error instead of corrupting the map.
 */
#ifndef LIB_PAGE_ALLOC_H
#define LIB_PAGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#define PA_PAGE_SIZE 4096UL

struct page_alloc {
	uint64_t base;		/* address of page 0 */
	size_t npages;
	size_t nfree;
	size_t hint;		/* where the next search starts */
	uint64_t *bits;		/* 1 = in use; (npages + 63) / 64 words */
};

/* Words of bitmap needed for npages pages. */
#define PA_BITMAP_WORDS(npages) (((npages) + 63) / 64)

/* Start with every page free. */
void pa_init(struct page_alloc *pa, uint64_t base, size_t npages,
	     uint64_t *bits);

/* Mark [addr, addr + n pages) as in use (for memory someone else owns). */
void pa_reserve(struct page_alloc *pa, uint64_t addr, size_t n);

/* n contiguous pages; returns their address, or 0 if there is no such run. */
uint64_t pa_alloc(struct page_alloc *pa, size_t n);

/* Give back n pages at addr: 0, or -1 if they were not all allocated. */
int pa_free(struct page_alloc *pa, uint64_t addr, size_t n);

/* Is the page holding addr allocated?  (For tests and sanity checks.) */
int pa_is_used(const struct page_alloc *pa, uint64_t addr);

#endif
