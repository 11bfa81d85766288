/*
 * Big-endian (network order) loads and stores on byte pointers: frames
 * have no alignment, so the stack never casts them to wider types.
 */
#ifndef LIB_NET_BYTES_H
#define LIB_NET_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4 address kept as it is on the wire (network byte order). */
static inline uint32_t net_get_ip(const uint8_t *p)
{
	uint32_t ip;

	memcpy(&ip, p, 4);
	return ip;
}

static inline void net_put_ip(uint8_t *p, uint32_t ip)
{
	memcpy(p, &ip, 4);
}

#endif
