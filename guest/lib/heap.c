#include <string.h>

#include "lib/heap.h"

#define MAGIC_SLAB 0x534c4142u	/* "SLAB" */
#define MAGIC_LARGE 0x4c524745u	/* "LRGE" */
#define MIN_SHIFT 4		/* class 0 holds 16-byte objects */
#define MAX_OBJECTS 256

/* At the start of every page the heap owns. */
struct heap_slab {
	uint32_t magic;
	uint32_t klass;			/* size class; npages for large */
	uint32_t nfree;
	uint32_t first;			/* offset of object 0 */
	struct heap_slab *next;		/* in the partial list */
	struct heap_slab *prev;
	uint64_t used[MAX_OBJECTS / 64];	/* 1 = allocated */
};

_Static_assert(sizeof(struct heap_slab) % HEAP_ALIGN == 0, "slab header");

static size_t class_size(unsigned int k)
{
	return (size_t)1 << (k + MIN_SHIFT);
}

static unsigned int objects_per_slab(unsigned int k)
{
	return (unsigned int)((HEAP_PAGE_SIZE - sizeof(struct heap_slab)) /
			      class_size(k));
}

void heap_init(struct heap *h, void *(*get_pages)(void *, size_t),
	       void (*put_pages)(void *, void *, size_t), void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->get_pages = get_pages;
	h->put_pages = put_pages;
	h->ctx = ctx;
}

static void list_add(struct heap *h, struct heap_slab *s)
{
	s->prev = NULL;
	s->next = h->partial[s->klass];
	if (s->next)
		s->next->prev = s;
	h->partial[s->klass] = s;
}

static void list_del(struct heap *h, struct heap_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		h->partial[s->klass] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static struct heap_slab *new_slab(struct heap *h, unsigned int k)
{
	struct heap_slab *s = h->get_pages(h->ctx, 1);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = MAGIC_SLAB;
	s->klass = k;
	s->nfree = objects_per_slab(k);
	s->first = sizeof(*s);
	list_add(h, s);
	return s;
}

static void *alloc_small(struct heap *h, unsigned int k)
{
	struct heap_slab *s = h->partial[k];
	unsigned int n = objects_per_slab(k);

	if (!s)
		s = new_slab(h, k);
	if (!s)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		if (s->used[i / 64] & (1ULL << (i % 64)))
			continue;
		s->used[i / 64] |= 1ULL << (i % 64);
		if (--s->nfree == 0)
			list_del(h, s);
		h->bytes_in_use += class_size(k);
		return (char *)s + s->first + i * class_size(k);
	}
	return NULL;	/* unreachable: a partial slab has a free object */
}

static void *alloc_large(struct heap *h, size_t size)
{
	size_t npages = (size + sizeof(struct heap_slab) + HEAP_PAGE_SIZE - 1) /
			HEAP_PAGE_SIZE;
	struct heap_slab *s;

	if (size > SIZE_MAX / 2 || npages > UINT32_MAX)
		return NULL;
	s = h->get_pages(h->ctx, npages);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = MAGIC_LARGE;
	s->klass = (uint32_t)npages;
	s->first = sizeof(*s);
	h->bytes_in_use += npages * HEAP_PAGE_SIZE;
	return (char *)s + s->first;
}

void *heap_alloc(struct heap *h, size_t size)
{
	for (unsigned int k = 0; k < HEAP_CLASSES; k++)
		if (size <= class_size(k))
			return alloc_small(h, k);
	return alloc_large(h, size);
}

/* The slab header and object index of p, or NULL if p is not live. */
static struct heap_slab *lookup(void *p, unsigned int *index)
{
	struct heap_slab *s;
	uintptr_t off;

	if (!p || (uintptr_t)p % HEAP_ALIGN)
		return NULL;
	s = (struct heap_slab *)((uintptr_t)p & ~(HEAP_PAGE_SIZE - 1));
	off = (uintptr_t)p - (uintptr_t)s;
	if (s->magic == MAGIC_LARGE)
		return off == sizeof(*s) ? s : NULL;
	if (s->magic != MAGIC_SLAB || s->klass >= HEAP_CLASSES ||
	    off < sizeof(*s) || (off - sizeof(*s)) % class_size(s->klass))
		return NULL;
	*index = (unsigned int)((off - sizeof(*s)) / class_size(s->klass));
	if (*index >= objects_per_slab(s->klass) ||
	    !(s->used[*index / 64] & (1ULL << (*index % 64))))
		return NULL;
	return s;
}

int heap_free(struct heap *h, void *p)
{
	unsigned int i = 0;
	struct heap_slab *s = lookup(p, &i);

	if (!s) {
		h->bad_frees++;
		return -1;
	}
	if (s->magic == MAGIC_LARGE) {
		h->bytes_in_use -= (size_t)s->klass * HEAP_PAGE_SIZE;
		s->magic = 0;
		h->put_pages(h->ctx, s, s->klass);
		return 0;
	}
	s->used[i / 64] &= ~(1ULL << (i % 64));
	h->bytes_in_use -= class_size(s->klass);
	if (s->nfree++ == 0)
		list_add(h, s);
	if (s->nfree == objects_per_slab(s->klass)) {
		list_del(h, s);
		s->magic = 0;
		h->put_pages(h->ctx, s, 1);
	}
	return 0;
}

size_t heap_size(struct heap *h, void *p)
{
	unsigned int i = 0;
	struct heap_slab *s = lookup(p, &i);

	(void)h;
	if (!s)
		return 0;
	if (s->magic == MAGIC_LARGE)
		return (size_t)s->klass * HEAP_PAGE_SIZE - sizeof(*s);
	return class_size(s->klass);
}
