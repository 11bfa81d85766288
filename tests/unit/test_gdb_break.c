/*
 * kspawnctl gdb's break requests (host/ctl/gdb_break.c): gdb's Ctrl-C is
 * the byte 0x03 sent outside a packet; the same byte inside one (binary
 * data of an X packet, an escaped '#', a checksum cannot be it but the
 * data can) is data, and must not send the guest a debug IPI.
 *
 * unit-sources: host/ctl/gdb_break.c guest/gdbstub/rsp.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"

#define LIT(s) s, sizeof(s) - 1

static int scan(struct gdb_scan *s, const char *buf, size_t len)
{
	return gdb_scan_breaks(s, buf, len);
}

static void lone_ctrl_c_breaks(void **state)
{
	struct gdb_scan s = { 0 };

	(void)state;
	assert_int_equal(scan(&s, LIT("\x03")), 1);
	assert_int_equal(scan(&s, LIT("+$g#67")), 0);
	assert_int_equal(scan(&s, LIT("+\x03")), 1);
	/* after a packet and its ack */
	assert_int_equal(scan(&s, LIT("$c#63+\x03")), 1);
}

/* X addr,len:binary -- raw 0x03 and an escaped '#' ("}\x03") inside. */
static void binary_data_is_data(void **state)
{
	struct gdb_scan s = { 0 };

	(void)state;
	assert_int_equal(scan(&s, LIT("$X1000,4:\x03\x03}\x03\x01#5a")), 0);
	assert_int_equal(scan(&s, LIT("+")), 0);
	assert_int_equal(scan(&s, LIT("$M1000,1:03#fa")), 0);
}

/* A packet split over reads: the state carries over. */
static void split_packet(void **state)
{
	struct gdb_scan s = { 0 };

	(void)state;
	assert_int_equal(scan(&s, LIT("$X2000,3:ab")), 0);
	assert_int_equal(scan(&s, LIT("\x03")), 0);
	assert_int_equal(scan(&s, LIT("}")), 0);
	assert_int_equal(scan(&s, LIT("\x03")), 0);	/* escaped '#' */
	assert_int_equal(scan(&s, LIT("#")), 0);
	assert_int_equal(scan(&s, LIT("\x03")), 0);	/* not a checksum, */
	assert_int_equal(scan(&s, LIT("7")), 0);	/* but still in it */
	assert_int_equal(scan(&s, LIT("\x03")), 1);	/* out: a break */
}

/* A break between two packets in one read. */
static void break_between_packets(void **state)
{
	struct gdb_scan s = { 0 };

	(void)state;
	assert_int_equal(scan(&s, LIT("$X0,1:\x03#00\x03$g#67")), 1);
}

/* A '$' in a packet's data starts it again, as the stub's parser does. */
static void restart_in_data(void **state)
{
	struct gdb_scan s = { 0 };

	(void)state;
	assert_int_equal(scan(&s, LIT("$X0,1:$X0,1:\x03#00")), 0);
	assert_int_equal(scan(&s, LIT("\x03")), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lone_ctrl_c_breaks),
		cmocka_unit_test(binary_data_is_data),
		cmocka_unit_test(split_packet),
		cmocka_unit_test(break_between_packets),
		cmocka_unit_test(restart_in_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
