#include "lib/net/csum.h"
#include "lib/net/bytes.h"

uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t s = sum;	/* 64 bits: no carry lost for any frame size */
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += net_get16(b + i);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
		     uint16_t len)
{
	uint8_t ph[12];

	net_put_ip(ph, src);
	net_put_ip(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	net_put16(ph + 10, len);
	return csum_add(0, ph, sizeof(ph));
}
