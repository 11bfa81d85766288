/*
 * Kernel heap: small objects (16..1024 bytes) from per-size-class slab
 * pages, larger ones as whole pages.  Every page the heap owns starts with
 * a header naming its kind, so kfree needs no size and can tell a pointer
 * it never handed out (or one already freed) from a good one.  Portable:
 * pages come from and go back to the callbacks; callers provide locking.
 */
#ifndef LIB_HEAP_H
#define LIB_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE_SIZE 4096UL
#define HEAP_CLASSES 7		/* 16, 32, ..., 1024 */
#define HEAP_ALIGN 16

struct heap_slab;

struct heap {
	void *(*get_pages)(void *ctx, size_t n);	/* page aligned, or NULL */
	void (*put_pages)(void *ctx, void *p, size_t n);
	void *ctx;
	struct heap_slab *partial[HEAP_CLASSES];	/* slabs with room */
	size_t bytes_in_use;
	size_t bad_frees;	/* refused kfree calls, for diagnostics */
};

void heap_init(struct heap *h, void *(*get_pages)(void *, size_t),
	       void (*put_pages)(void *, void *, size_t), void *ctx);
void *heap_alloc(struct heap *h, size_t size);

/* 0, or -1 if p was not a live allocation of this heap (nothing changes). */
int heap_free(struct heap *h, void *p);

/* Usable size of a live allocation, 0 if p is not one. */
size_t heap_size(struct heap *h, void *p);

#endif
