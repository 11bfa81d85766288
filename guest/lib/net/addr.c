/* IPv4 addresses as text, kept in network byte order. */
#include "lib/net/stack.h"
#include "lib/net/bytes.h"

uint32_t net_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t bytes[4] = { a, b, c, d };

	return net_get_ip(bytes);
}

/* Strict dotted quad: four decimal numbers 0..255, nothing else. */
int net_parse_ip(const char *s, uint32_t *ip)
{
	uint8_t bytes[4];

	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (!digits || v > 255)
			return -1;
		if (i < 3 && *s++ != '.')
			return -1;
		bytes[i] = (uint8_t)v;
	}
	if (*s)
		return -1;
	*ip = net_get_ip(bytes);
	return 0;
}

static char *put_uint(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

char *net_format_ip(uint32_t ip, char buf[NET_IP_STRLEN])
{
	uint8_t b[4];
	char *p = buf;

	net_put_ip(b, ip);
	for (int i = 0; i < 4; i++) {
		p = put_uint(p, b[i]);
		if (i < 3)
			*p++ = '.';
	}
	*p = '\0';
	return buf;
}

int net_ip_is_link_local(uint32_t ip)
{
	uint8_t b[4];

	net_put_ip(b, ip);
	return b[0] == 169 && b[1] == 254;
}
