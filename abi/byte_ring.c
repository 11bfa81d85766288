// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * struct kspawn_ring, both ends (byte_ring.h).  The platform part is the
 * few lines below: kspawn.ko maps the index accesses to the kernel's
 * barriers and logs a broken ring; the guest and the hosted tests use C11
 * atomics and stay quiet (the guest's console is what broke).
 */
#include "abi/byte_ring.h"

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <asm/barrier.h>

#define ring_load_acquire(p) smp_load_acquire(p)
#define ring_store_release(p, v) smp_store_release(p, v)
#define ring_load(p) READ_ONCE(*(p))
#define ring_store(p, v) WRITE_ONCE(*(p), v)
#define ring_broken(r, used, size)					\
	pr_warn("guest ring at %p: indices out of range (%u bytes claimed, %u possible); ignoring it\n", \
		r, used, size)
#else
#include <string.h>

#define noinline __attribute__((__noinline__))
#define ring_load_acquire(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define ring_store_release(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define ring_load(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define ring_store(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)
#define ring_broken(r, used, size) do { } while (0)
#endif

int byte_ring_attach(struct byte_ring *br, struct kspawn_ring *r, size_t room)
{
	/* Once: the peer may change it under us. */
	uint32_t size = ring_load(&r->size);

	br->r = NULL;
	br->size = 0;
	br->broken = false;
	if (!size || (size & (size - 1)) || size > room)
		return -1;
	br->r = r;
	br->size = size;
	return 0;
}

/*
 * Either end's move: src bytes in (the producer), or bytes out into dst
 * (the consumer, src NULL).  The peer's index is read with acquire (it
 * covers what the peer did before), ours once, since it lies in shared
 * memory too; ours is published with release once the bytes are copied.
 * Indices further apart than the ring holds break it for good.  Not
 * inlined: one copy serves both ends (the guest's core counts its bytes).
 */
static noinline size_t ring_move(struct byte_ring *br, const uint8_t *src,
				 uint8_t *dst, size_t n)
{
	struct kspawn_ring *r = br->r;
	uint32_t *mine, *peer, theirs, ours, used, avail, at;
	size_t first;

	if (!r || br->broken)
		return 0;
	mine = src ? &r->head : &r->tail;
	peer = src ? &r->tail : &r->head;
	theirs = ring_load_acquire(peer);
	ours = ring_load(mine);
	used = src ? ours - theirs : theirs - ours;
	if (used > br->size) {
		ring_broken(r, used, br->size);
		br->broken = true;
		return 0;
	}
	avail = src ? br->size - used : used;
	if (n > avail)
		n = avail;
	/* From ours up to the end of the data area, then from its start. */
	at = ours & (br->size - 1);
	first = n < br->size - at ? n : br->size - at;
	if (src) {
		memcpy(r->data + at, src, first);
		memcpy(r->data, src + first, n - first);
	} else {
		memcpy(dst, r->data + at, first);
		memcpy(dst + first, r->data, n - first);
	}
	ring_store_release(mine, ours + (uint32_t)n);
	return n;
}

size_t byte_ring_write(struct byte_ring *br, const void *src, size_t n)
{
	return ring_move(br, src, NULL, n);
}

size_t byte_ring_read(struct byte_ring *br, void *dst, size_t n)
{
	return ring_move(br, NULL, dst, n);
}

/* Only the producer writes dropped: no atomic addition needed. */
void byte_ring_drop(struct byte_ring *br, uint32_t n)
{
	if (br->r)
		ring_store(&br->r->dropped, ring_load(&br->r->dropped) + n);
}

uint32_t byte_ring_dropped(const struct byte_ring *br)
{
	return br->r ? ring_load(&br->r->dropped) : 0;
}
