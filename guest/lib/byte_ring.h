/*
 * The producer and consumer halves of struct kspawn_ring (abi/), the
 * single-producer single-consumer byte ring used for the console and the
 * debug channel.  Portable: no locks, only acquire/release ordering.
 *
 * The ring lives in memory the peer can write, so its size field is read
 * once, checked against the space the caller knows the ring has, and kept
 * in struct byte_ring; a peer that later scribbles on it changes nothing.
 */
#ifndef LIB_BYTE_RING_H
#define LIB_BYTE_RING_H

#include <stddef.h>
#include "abi/kspawn_abi.h"

struct byte_ring {
	struct kspawn_ring *r;	/* NULL: not attached */
	uint32_t size;		/* validated capacity, a power of two */
};

/* Prepare an empty ring of size bytes (a power of two) in place. */
void byte_ring_init(struct kspawn_ring *r, uint32_t size);

/*
 * Attach to a ring whose data area may hold at most room bytes.  Returns 0,
 * or -1 (and leaves br detached) if its size is not a power of two in
 * 1..room.
 */
int byte_ring_attach(struct byte_ring *br, struct kspawn_ring *r, size_t room);

/* Copy up to n bytes in; returns how many fit. */
size_t byte_ring_write(struct byte_ring *br, const void *src, size_t n);

/* Copy up to n bytes out; returns how many there were. */
size_t byte_ring_read(struct byte_ring *br, void *dst, size_t n);

/* Bytes waiting to be read (0 if the indices make no sense). */
size_t byte_ring_used(const struct byte_ring *br);

#endif
