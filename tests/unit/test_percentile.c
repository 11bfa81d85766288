/*
 * guest/lib/percentile.h: the nearest rank every benchmark's p50 and p99
 * come from (guest apps blkbench, netbench, doorbench; bench/net/udpping;
 * bench/lib/hostbench.c's hb_pct_us() for the hosted ones and pingpong),
 * against samples whose percentiles are known.
 * unit-sources: bench/lib/hostbench.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/lib/hostbench.h"
#include "lib/percentile.h"

/* Samples 1..n, sorted: the value at an index is the index plus 1. */
static long value(long n, int pct)
{
	return percentile_index(n, pct) + 1;
}

static void hundred(void **state)
{
	(void)state;
	assert_int_equal(value(100, 99), 99);	/* not the maximum */
	assert_int_equal(value(100, 50), 50);
	assert_int_equal(value(100, 1), 1);
	assert_int_equal(value(100, 100), 100);
}

/* Where n * pct / 100 is not whole the rank rounds up. */
static void rounding_up(void **state)
{
	(void)state;
	assert_int_equal(value(101, 50), 51);	/* the middle one */
	assert_int_equal(value(101, 99), 100);	/* 99.99: 100 */
	assert_int_equal(value(1000, 99), 990);
	assert_int_equal(value(20000, 99), 19800);
	assert_int_equal(value(7, 50), 4);
}

static void one_sample(void **state)
{
	(void)state;
	assert_int_equal(percentile_index(1, 1), 0);
	assert_int_equal(percentile_index(1, 50), 0);
	assert_int_equal(percentile_index(1, 99), 0);
	assert_int_equal(percentile_index(1, 100), 0);
}

/* Of two, the median is the lower one, p99 the higher. */
static void two_samples(void **state)
{
	(void)state;
	assert_int_equal(value(2, 50), 1);
	assert_int_equal(value(2, 51), 2);
	assert_int_equal(value(2, 99), 2);
}

/* No samples: index 0, which the callers never read (they check n). */
static void no_samples(void **state)
{
	(void)state;
	assert_int_equal(percentile_index(0, 99), 0);
	assert_int_equal(percentile_index(-1, 50), 0);
}

/* The hosted benchmarks' reader, in microseconds from nanoseconds. */
static void hosted_reader(void **state)
{
	uint64_t ns[100];

	(void)state;
	for (int i = 0; i < 100; i++)
		ns[i] = (uint64_t)(i + 1) * 1000;
	assert_true(hb_pct_us(ns, 100, 99) == 99.0);
	assert_true(hb_pct_us(ns, 100, 50) == 50.0);
	assert_true(hb_pct_us(ns, 1, 99) == 1.0);
	assert_true(hb_pct_us(ns, 2, 50) == 1.0);
	assert_true(hb_pct_us(ns, 0, 50) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hundred),
		cmocka_unit_test(rounding_up),
		cmocka_unit_test(one_sample),
		cmocka_unit_test(two_samples),
		cmocka_unit_test(no_samples),
		cmocka_unit_test(hosted_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
