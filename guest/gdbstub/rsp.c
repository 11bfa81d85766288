#include "gdbstub/rsp.h"

enum { ST_IDLE, ST_DATA, ST_ESCAPE, ST_RLE, ST_CSUM };

void rsp_rx_init(struct rsp_rx *rx)
{
	rx->state = ST_IDLE;
	rx->overflow = 0;
	rx->len = 0;
	rx->sum = 0;
	rx->want = 0;
	rx->buf[0] = '\0';
}

int rsp_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put(struct rsp_rx *rx, char c)
{
	if (rx->len < RSP_PACKET_MAX)
		rx->buf[rx->len++] = c;
	else
		rx->overflow = 1;
}

/* '*' n: repeat the previous character n - 29 more times. */
static void run_length(struct rsp_rx *rx, uint8_t c)
{
	int count = (int)c - 29;

	if (rx->len == 0 || count < 0) {
		rx->overflow = 1;	/* malformed: treat as a bad packet */
		return;
	}
	while (count-- > 0)
		put(rx, rx->buf[rx->len - 1]);
}

static enum rsp_event checksum_digit(struct rsp_rx *rx, uint8_t c)
{
	int d = rsp_hex_digit((char)c);

	if (d < 0) {
		rsp_rx_init(rx);
		return RSP_BAD_PACKET;
	}
	if (rx->want++ == 0) {
		rx->sum ^= (uint8_t)(d << 4);
		return RSP_NONE;
	}
	rx->sum ^= (uint8_t)d;
	rx->state = ST_IDLE;
	rx->buf[rx->len] = '\0';
	if (rx->sum != 0 || rx->overflow)
		return RSP_BAD_PACKET;
	return RSP_PACKET;
}

enum rsp_event rsp_rx_byte(struct rsp_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case ST_IDLE:
		if (c == '$') {
			rsp_rx_init(rx);
			rx->state = ST_DATA;
			return RSP_NONE;
		}
		if (c == '+')
			return RSP_ACK;
		if (c == '-')
			return RSP_NAK;
		if (c == 0x03)
			return RSP_BREAK;
		return RSP_NONE;	/* noise between packets */
	case ST_CSUM:
		return checksum_digit(rx, c);
	default:
		break;
	}
	if (c == '$') {			/* a new packet restarts framing */
		rsp_rx_init(rx);
		rx->state = ST_DATA;
		return RSP_NONE;
	}
	if (c == '#' && rx->state == ST_DATA) {
		rx->state = ST_CSUM;
		return RSP_NONE;
	}
	rx->sum += c;			/* the checksum covers the raw bytes */
	if (rx->state == ST_ESCAPE) {
		put(rx, (char)(c ^ 0x20));
		rx->state = ST_DATA;
	} else if (rx->state == ST_RLE) {
		run_length(rx, c);
		rx->state = ST_DATA;
	} else if (c == '}') {
		rx->state = ST_ESCAPE;
	} else if (c == '*') {
		rx->state = ST_RLE;
	} else {
		put(rx, (char)c);
	}
	return RSP_NONE;
}

static int needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t rsp_frame(const void *payload, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = payload;
	uint8_t sum = 0;
	size_t o = 0;

	if (size < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (o + (needs_escape(c) ? 2 : 1) + 3 > size)
			return 0;
		if (needs_escape(c)) {
			out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[o++] = (char)c;
		sum += c;
	}
	out[o++] = '#';
	out[o++] = hex[sum >> 4];
	out[o++] = hex[sum & 0xf];
	return o;
}

size_t rsp_hex_encode(const void *src, size_t n, char *dst, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = src;
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < size; i++) {
		dst[2 * i] = hex[p[i] >> 4];
		dst[2 * i + 1] = hex[p[i] & 0xf];
	}
	if (size)
		dst[2 * i < size ? 2 * i : size - 1] = '\0';
	return 2 * i;
}

long rsp_hex_decode(const char *src, size_t srclen, void *dst, size_t n)
{
	uint8_t *p = dst;
	size_t i;

	for (i = 0; i < n && 2 * i + 1 < srclen; i++) {
		int hi = rsp_hex_digit(src[2 * i]);
		int lo = rsp_hex_digit(src[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)i;
}

int rsp_parse_hex(const char **p, uint64_t *value)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0, d;

	while ((d = rsp_hex_digit(*s)) >= 0) {
		if (digits++ == 16)
			return -1;	/* more than 64 bits */
		v = v << 4 | (uint64_t)d;
		s++;
	}
	if (!digits)
		return -1;
	*p = s;
	*value = v;
	return 0;
}
