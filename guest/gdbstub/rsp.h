/*
 * gdb Remote Serial Protocol framing: "$payload#cs" packets, '+'/'-'
 * acknowledgements, 0x03 break-in, '}' escapes and '*' run-length encoding.
 * Portable: fed one byte at a time, never allocates, never reads or writes
 * outside the buffers it is given.  A packet longer than the buffer is
 * dropped whole (and NAKed), never truncated into something else.
 */
#ifndef GDBSTUB_RSP_H
#define GDBSTUB_RSP_H

#include <stddef.h>
#include <stdint.h>

#define RSP_PACKET_MAX 4096	/* what we advertise as PacketSize */

enum rsp_event {
	RSP_NONE,		/* byte consumed, nothing complete yet */
	RSP_PACKET,		/* a packet with a good checksum is in buf */
	RSP_BAD_PACKET,		/* checksum mismatch or overflow: send '-' */
	RSP_ACK,		/* '+' */
	RSP_NAK,		/* '-': resend the last reply */
	RSP_BREAK,		/* 0x03 outside a packet */
};

struct rsp_rx {
	int state;
	int overflow;
	size_t len;
	uint8_t sum;
	uint8_t want;		/* checksum digits seen so far */
	char buf[RSP_PACKET_MAX + 1];	/* payload, decoded, NUL-terminated */
};

void rsp_rx_init(struct rsp_rx *rx);
enum rsp_event rsp_rx_byte(struct rsp_rx *rx, uint8_t c);

/*
 * Frame payload (len bytes, binary allowed) as "$...#cs" into out (size
 * bytes), escaping the bytes the protocol reserves.  Returns the framed
 * length, or 0 if it does not fit.
 */
size_t rsp_frame(const void *payload, size_t len, char *out, size_t size);

/* Hex helpers. */
int rsp_hex_digit(char c);		/* 0..15, or -1 */
size_t rsp_hex_encode(const void *src, size_t n, char *dst, size_t size);
/* Decode up to n bytes; returns bytes decoded, -1 on a bad digit. */
long rsp_hex_decode(const char *src, size_t srclen, void *dst, size_t n);
/* Parse a hex number at *p, advancing it; returns -1 if there is none. */
int rsp_parse_hex(const char **p, uint64_t *value);

#endif
