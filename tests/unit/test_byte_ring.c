/*
 * lib/byte_ring: the console/debug byte ring: order, full and empty,
 * indices wrapping past 2^32, and a peer that corrupts the size field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/byte_ring.h"

#define SIZE 64

static struct kspawn_ring *ring;
static struct byte_ring br;

static int setup(void **state)
{
	(void)state;
	ring = calloc(1, sizeof(*ring) + SIZE);	/* ASan bounds the data */
	byte_ring_init(ring, SIZE);
	assert_int_equal(byte_ring_attach(&br, ring, SIZE), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ring);
	return 0;
}

static void test_fifo_full_empty(void **state)
{
	uint8_t in[100], out[100];

	(void)state;
	for (int i = 0; i < 100; i++)
		in[i] = (uint8_t)i;
	assert_int_equal(byte_ring_read(&br, out, 10), 0);
	assert_int_equal(byte_ring_write(&br, in, 100), SIZE);	/* only 64 fit */
	assert_int_equal(byte_ring_used(&br), SIZE);
	assert_int_equal(byte_ring_write(&br, in, 1), 0);
	assert_int_equal(byte_ring_read(&br, out, 100), SIZE);
	assert_memory_equal(out, in, SIZE);
	assert_int_equal(byte_ring_used(&br), 0);
}

static void test_wraps_past_2_32(void **state)
{
	uint8_t in[48], out[48];

	(void)state;
	ring->head = ring->tail = UINT32_MAX - 20;
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 48; i++)
			in[i] = (uint8_t)(round * 48 + i);
		assert_int_equal(byte_ring_write(&br, in, 48), 48);
		assert_int_equal(byte_ring_used(&br), 48);
		assert_int_equal(byte_ring_read(&br, out, 48), 48);
		assert_memory_equal(out, in, 48);
	}
	assert_true(ring->head < 1000);	/* it did wrap */
}

static void test_corrupt_size_is_harmless(void **state)
{
	uint8_t buf[256] = { 0 };
	static const uint32_t bad_sizes[] = { 0, 3, 100, 128, 1u << 20,
					      UINT32_MAX };
	struct byte_ring other;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		ring->size = bad_sizes[i];
		/* attaching to a ring that claims more room than it has fails */
		assert_int_equal(byte_ring_attach(&other, ring, SIZE), -1);
		assert_int_equal(byte_ring_write(&other, buf, sizeof(buf)), 0);
		/* a ring already attached keeps its checked size */
		assert_int_equal(byte_ring_write(&br, buf, sizeof(buf)), SIZE);
		assert_int_equal(byte_ring_read(&br, buf, sizeof(buf)), SIZE);
	}
	/* indices further apart than the size: refused, not trusted */
	ring->head = 1000;
	ring->tail = 0;
	assert_int_equal(byte_ring_read(&br, buf, sizeof(buf)), 0);
	assert_int_equal(byte_ring_write(&br, buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifo_full_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraps_past_2_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_size_is_harmless, setup, teardown),
	};

	return cmocka_run_group_tests_name("byte_ring", tests, NULL, NULL);
}
