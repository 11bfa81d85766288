/*
 * The Internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of 16-bit big-endian words.  A header whose checksum
 * field is right sums to 0xffff, so csum_fold() of it is 0.
 */
#ifndef LIB_NET_CSUM_H
#define LIB_NET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Add len bytes at p to the running sum.  An odd tail is padded with a
 * zero byte, so only the last piece of a message may have an odd length.
 */
uint32_t csum_add(uint32_t sum, const void *p, size_t len);

/* Fold the running sum to 16 bits and complement it. */
uint16_t csum_fold(uint32_t sum);

/* The running sum of the IPv4 pseudo-header (addresses in network order). */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
		     uint16_t len);

#endif
