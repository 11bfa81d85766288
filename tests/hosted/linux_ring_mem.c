// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The region allocator behind linux_ring.h: everything Linux's
 * virtio_ring.c allocates (through linux_ring_shim.h) and every buffer
 * the tests give the driver comes from one region that the device
 * translates, so that nothing the device is told about lies outside it.
 *
 * Power-of-two blocks from 16 bytes, page aligned from a page up (where
 * the kernel's alloc_pages_exact() would give pages), zeroed as
 * __GFP_ZERO asks (tools/virtio's kmalloc ignores it).  The free lists
 * are kept beside the region, so that under ASan a freed block is
 * poisoned whole, and an allocation is unpoisoned only for the bytes
 * asked for: a device or driver touching a freed indirect table, or
 * past the end of a buffer, is caught.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_ring.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define poison(p, n) __asan_poison_memory_region(p, n)
#define unpoison(p, n) __asan_unpoison_memory_region(p, n)
#else
#define poison(p, n) ((void)(p), (void)(n))
#define unpoison(p, n) ((void)(p), (void)(n))
#endif

#define GRAIN 16
#define MIN_SHIFT 4
#define NCLASS 32
#define NONE UINT32_MAX
#define FREED 0x80		/* in cls[]: on a free list */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *base;
static size_t size, bump, in_use;
static uint8_t *cls;		/* per grain: class of the block there */
static uint32_t *next;		/* per grain: next free block's grain */
static uint32_t head[NCLASS];

void lr_mem_init(void *mem, size_t bytes)
{
	free(cls);
	free(next);
	base = mem;
	size = bytes;
	bump = 0;
	in_use = 0;
	cls = calloc(bytes / GRAIN, 1);
	next = calloc(bytes / GRAIN, sizeof(*next));
	if (!cls || !next) {
		fprintf(stderr, "lr_mem_init: out of memory\n");
		abort();
	}
	for (int i = 0; i < NCLASS; i++)
		head[i] = NONE;
	poison(base, size);
}

size_t lr_mem_in_use(void)
{
	return in_use;
}

void *lr_mem_alloc(size_t n)
{
	unsigned int k = MIN_SHIFT;
	size_t bytes, align, off;
	uint8_t *p;

	while (((size_t)1 << k) < n)
		k++;
	bytes = (size_t)1 << k;
	align = bytes < 4096 ? bytes : 4096;
	pthread_mutex_lock(&lock);
	if (head[k] != NONE) {
		off = (size_t)head[k] * GRAIN;
		head[k] = next[head[k]];
		cls[off / GRAIN] &= ~FREED;
	} else {
		off = (bump + align - 1) & ~(align - 1);
		if (off > size || bytes > size - off) {
			pthread_mutex_unlock(&lock);
			fprintf(stderr, "lr_mem_alloc: region of %zu bytes full (%zu asked)\n",
				size, n);
			abort();
		}
		bump = off + bytes;
		cls[off / GRAIN] = (uint8_t)k;
	}
	in_use += bytes;
	pthread_mutex_unlock(&lock);
	p = base + off;
	unpoison(p, n ? n : 1);
	memset(p, 0, n);
	return p;
}

void lr_mem_free(void *ptr)
{
	uint8_t *p = ptr;
	size_t off, g;
	unsigned int k;

	if (!p)
		return;
	off = (size_t)(p - base);
	g = off / GRAIN;
	pthread_mutex_lock(&lock);
	if (p < base || off >= size || off % GRAIN || !cls[g] ||
	    (cls[g] & FREED)) {
		fprintf(stderr, "lr_mem_free: %p is no allocated block of the region\n",
			ptr);
		abort();
	}
	k = cls[g];
	cls[g] |= FREED;
	poison(p, (size_t)1 << k);
	next[g] = head[k];
	head[k] = (uint32_t)g;
	in_use -= (size_t)1 << k;
	pthread_mutex_unlock(&lock);
}
