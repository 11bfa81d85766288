/*
 * Which bytes gdb sends are a break request: Ctrl-C is the byte 0x03
 * between packets.  Inside a packet the same byte is data (an X packet's
 * binary bytes, or an escaped '#', "}\x03"), so the bridge follows the
 * framing with the guest stub's own parser (guest/gdbstub/rsp.c), which
 * says RSP_BREAK for exactly those bytes: one framing, both sides.
 */
#include "ctl.h"

int gdb_scan_breaks(struct gdb_scan *s, const char *buf, size_t len)
{
	int brk = 0;

	for (size_t i = 0; i < len; i++)
		brk |= rsp_rx_byte(&s->rx, (uint8_t)buf[i]) == RSP_BREAK;
	return brk;
}
