/*
 * abi/byte_ring: the console/debug byte ring both kernels use: order, full
 * and empty, indices wrapping past 2^32, a peer that corrupts the size
 * field or the indices, the dropped count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/byte_ring.h"

#define SIZE 64

static struct kspawn_ring *ring;
static struct byte_ring br;

static int setup(void **state)
{
	(void)state;
	ring = malloc(sizeof(*ring) + SIZE);	/* ASan bounds the data */
	memset(ring, 0xa5, sizeof(*ring) + SIZE);
	assert_int_equal(byte_ring_init(&br, ring, SIZE), 0);
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
	assert_int_equal(ring->head - ring->tail, SIZE);
	assert_int_equal(byte_ring_write(&br, in, 1), 0);
	assert_int_equal(byte_ring_read(&br, out, 100), SIZE);
	assert_memory_equal(out, in, SIZE);
	assert_int_equal(ring->head - ring->tail, 0);
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
		assert_int_equal(ring->head - ring->tail, 48);
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

/* A ring whose indices went wrong once stays ignored, as kspawn.ko's did. */
static void test_broken_stays_broken(void **state)
{
	uint8_t buf[8] = "abcdefg";

	(void)state;
	ring->tail = 0;
	ring->head = SIZE + 1;
	assert_int_equal(byte_ring_read(&br, buf, sizeof(buf)), 0);
	ring->head = 0;
	assert_int_equal(byte_ring_write(&br, buf, sizeof(buf)), 0);
	assert_int_equal(ring->head, 0);	/* nothing written */
	/* attaching anew trusts the ring again */
	assert_int_equal(byte_ring_attach(&br, ring, SIZE), 0);
	assert_int_equal(byte_ring_write(&br, buf, sizeof(buf)), sizeof(buf));
}

static void test_init_and_dropped(void **state)
{
	struct byte_ring other = { .r = ring };
	struct kspawn_ring spare;

	(void)state;
	/* init empties the ring and sets its size */
	assert_int_equal(ring->head | ring->tail | ring->dropped, 0);
	assert_int_equal(ring->size, SIZE);
	assert_int_equal(byte_ring_init(&other, &spare, 48), -1);
	assert_null(other.r);
	assert_int_equal(byte_ring_write(&other, "x", 1), 0);
	byte_ring_drop(&br, 5);
	byte_ring_drop(&br, 7);
	assert_int_equal(byte_ring_dropped(&br), 12);
	assert_int_equal(byte_ring_dropped(&other), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifo_full_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraps_past_2_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_size_is_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_stays_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_and_dropped, setup, teardown),
	};

	return cmocka_run_group_tests_name("byte_ring", tests, NULL, NULL);
}
