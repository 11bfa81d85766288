/*
 * The producer and consumer halves of struct kspawn_ring (abi/), the
 * single-producer single-consumer byte ring used for the console and the
 * debug channel.  Portable: no locks, only acquire/release ordering.
 */
#ifndef LIB_BYTE_RING_H
#define LIB_BYTE_RING_H

#include <stddef.h>
#include "abi/kspawn_abi.h"

/* Prepare an empty ring of size bytes (a power of two) in place. */
void byte_ring_init(struct kspawn_ring *r, uint32_t size);

/* Copy up to n bytes in; returns how many fit. */
size_t byte_ring_write(struct kspawn_ring *r, const void *src, size_t n);

/* Copy up to n bytes out; returns how many there were. */
size_t byte_ring_read(struct kspawn_ring *r, void *dst, size_t n);

/* Bytes waiting to be read. */
size_t byte_ring_used(const struct kspawn_ring *r);

#endif
