/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The two ends of struct kspawn_ring (kspawn_abi.h), the single-producer
 * single-consumer byte ring of the console and the debug channel: the one
 * implementation, built into the guest, kspawn.ko and the hosted tests.
 * Portable: no locks, only acquire/release ordering.
 *
 * The ring lives in memory the peer can write.  Its size is checked once
 * and kept in struct byte_ring; each call reads each index once, and a pair
 * of indices further apart than the size marks the ring broken: it is
 * ignored from then on (kspawn.ko logs it once).  Nothing here ever touches
 * memory outside the ring's data area.
 */
#ifndef KSPAWN_BYTE_RING_H
#define KSPAWN_BYTE_RING_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#include "abi/kspawn_abi.h"

struct byte_ring {
	struct kspawn_ring *r;	/* NULL: not attached */
	uint32_t size;		/* checked capacity, a power of two */
	bool broken;		/* indices made no sense: ignored for good */
};

/*
 * The side that finds the ring: attach to it if its data area may hold at
 * most room bytes.  Returns 0, or -1 (and leaves br detached) if its size
 * is not a power of two in 1..room.
 */
int byte_ring_attach(struct byte_ring *br, struct kspawn_ring *r, size_t room);

/*
 * The side that sets the ring up (the host, in a zeroed shared area): an
 * empty ring of size bytes, attached.  0, or -1 if size is not a power of
 * two.  Inline: the guest never sets up a ring.
 */
static inline int byte_ring_init(struct byte_ring *br, struct kspawn_ring *r,
				 uint32_t size)
{
	r->head = 0;
	r->tail = 0;
	r->dropped = 0;
	r->size = size;
	return byte_ring_attach(br, r, size);
}

/* Copy up to n bytes in; returns how many fit. */
size_t byte_ring_write(struct byte_ring *br, const void *src, size_t n);

/* Copy up to n bytes out; returns how many there were. */
size_t byte_ring_read(struct byte_ring *br, void *dst, size_t n);

/* The producer gave up on n bytes: count them in the ring's dropped field. */
void byte_ring_drop(struct byte_ring *br, uint32_t n);

/* The peer's count of dropped bytes (0 if not attached). */
uint32_t byte_ring_dropped(const struct byte_ring *br);

#endif
