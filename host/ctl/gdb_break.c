/*
 * Which bytes gdb sends are a break request: Ctrl-C is the byte 0x03
 * between packets.  Inside a packet the same byte is data (an X packet's
 * binary bytes, or an escaped '#', "}\x03"), so the bridge follows the
 * framing as the guest's stub does (guest/gdbstub/rsp.c, rsp_rx_byte()):
 * '$' starts a packet (again, even inside one), '}' and '*' take the next
 * byte whatever it is, '#' ends the data and two checksum digits follow;
 * a byte that is not a hex digit there ends the packet, and is no break.
 */
#include <string.h>

#include "ctl.h"

enum { GDB_IDLE, GDB_DATA, GDB_NEXT_RAW, GDB_CSUM1, GDB_CSUM2 };

#define BREAK_IN 0x03

static int hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

int gdb_scan_breaks(struct gdb_scan *s, const char *buf, size_t len)
{
	int brk = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		switch (s->state) {
		case GDB_IDLE:
			if (c == '$')
				s->state = GDB_DATA;
			else if (c == BREAK_IN)
				brk = 1;
			break;
		case GDB_CSUM1:
		case GDB_CSUM2:
			if (!hex_digit(c))
				s->state = GDB_IDLE;
			else
				s->state = s->state == GDB_CSUM1 ? GDB_CSUM2 :
								    GDB_IDLE;
			break;
		default:
			if (c == '$')
				s->state = GDB_DATA;
			else if (s->state == GDB_NEXT_RAW)
				s->state = GDB_DATA;
			else if (c == '#')
				s->state = GDB_CSUM1;
			else if (c == '}' || c == '*')
				s->state = GDB_NEXT_RAW;
			break;
		}
	}
	return brk;
}
