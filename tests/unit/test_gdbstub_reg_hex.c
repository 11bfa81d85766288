/*
 * The gdb stub's reg_hex() on its own (stub.c is included for its static
 * helpers): one register as hex into a buffer of the size it is given,
 * whatever that size and whatever the target says.  Its callers check
 * sizes first, so no packet reaches these cases (test_gdbstub.c covers
 * the packets); the helper must not depend on that.  Buffers are
 * malloc'd to their exact size: AddressSanitizer sees a byte past them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gdbstub/stub.c"

/* 8 bytes, 8 bytes, and 32: more than any register (REG_MAX) holds. */
static const uint8_t sizes[3] = { 8, 8, 32 };
static int reads;

static int f_read_reg(void *ctx, int tid, unsigned int reg, void *val)
{
	(void)ctx;
	(void)tid;
	reads++;
	if (reg == 1)
		return -1;		/* no value: "xx..." */
	memset(val, 0xab, sizes[reg]);
	return 0;
}

static const struct gdb_target target = {
	.nregs = 3,
	.reg_size = sizes,
	.read_reg = f_read_reg,
};

/* reg_hex(r) into exactly size bytes, then a copy of what it left there. */
static char *reg_hex_into(unsigned int r, size_t size)
{
	static char seen[128];
	struct gdb_stub s;
	char *dst = malloc(size ? size : 1);

	assert_non_null(dst);
	memset(dst, '?', size ? size : 1);
	gdb_stub_init(&s, &target);
	s.stop_tid = 1;
	reads = 0;
	reg_hex(&s, r, dst, size);
	memcpy(seen, dst, size ? size : 1);
	seen[size ? size : 1] = '\0';
	free(dst);
	return seen;
}

/* Room for all of it: 16 hex digits and the NUL, as the callers give. */
static void test_whole(void **state)
{
	(void)state;
	assert_string_equal(reg_hex_into(0, 17), "abababababababab");
	assert_string_equal(reg_hex_into(1, 17), "xxxxxxxxxxxxxxxx");
}

/*
 * Too little room: cut to whole bytes that fit with the NUL, a value
 * (rsp_hex_encode()) and "unavailable" alike.  The "xx" branch wrote
 * 2 * 8 bytes and the NUL into a buffer of 5.
 */
static void test_short(void **state)
{
	(void)state;
	assert_string_equal(reg_hex_into(0, 5), "abab");
	assert_string_equal(reg_hex_into(1, 5), "xxxx");
	assert_string_equal(reg_hex_into(1, 4), "xx");
	assert_string_equal(reg_hex_into(1, 1), "");
}

/* No room at all: nothing written, not even a NUL. */
static void test_empty(void **state)
{
	(void)state;
	assert_string_equal(reg_hex_into(0, 0), "?");
	assert_string_equal(reg_hex_into(1, 0), "?");
}

/*
 * A register larger than REG_MAX (a target breaking its contract) is
 * not read into the helper's REG_MAX bytes: unavailable, never asked for.
 */
static void test_oversized_register(void **state)
{
	(void)state;
	assert_string_equal(reg_hex_into(2, 9), "xxxxxxxx");
	assert_int_equal(reads, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_oversized_register),
	};

	return cmocka_run_group_tests_name("gdbstub_reg_hex", tests, NULL,
					   NULL);
}
