/*
 * lib/page_alloc: contiguous runs, exhaustion, wrap-around of the search
 * hint, reservation, and refusal of frees that would corrupt the map.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/page_alloc.h"

#define BASE 0x100000ULL
#define NPAGES 200
#define PAGE PA_PAGE_SIZE

static uint64_t bits[PA_BITMAP_WORDS(NPAGES)];
static struct page_alloc pa;

static int setup(void **state)
{
	(void)state;
	pa_init(&pa, BASE, NPAGES, bits);
	return 0;
}

static void test_single_pages_until_empty(void **state)
{
	uint64_t seen[NPAGES];

	(void)state;
	for (int i = 0; i < NPAGES; i++) {
		seen[i] = pa_alloc(&pa, 1);
		assert_true(seen[i] >= BASE && seen[i] < BASE + NPAGES * PAGE);
		assert_int_equal(seen[i] % PAGE, 0);
		for (int j = 0; j < i; j++)
			assert_true(seen[j] != seen[i]);
	}
	assert_int_equal(pa.nfree, 0);
	assert_int_equal(pa_alloc(&pa, 1), 0);
	for (int i = 0; i < NPAGES; i++)
		assert_int_equal(pa_free(&pa, seen[i], 1), 0);
	assert_int_equal(pa.nfree, NPAGES);
}

static void test_contiguous_runs(void **state)
{
	uint64_t a, b, c;

	(void)state;
	a = pa_alloc(&pa, 70);		/* spans bitmap words */
	b = pa_alloc(&pa, 70);
	assert_true(a && b);
	assert_true(b >= a + 70 * PAGE || a >= b + 70 * PAGE);
	assert_int_equal(pa_alloc(&pa, 61), 0);	/* only 60 left */
	c = pa_alloc(&pa, 60);
	assert_true(c);
	assert_int_equal(pa_free(&pa, a, 70), 0);
	/* the hole left by a is the only place 70 pages fit */
	assert_int_equal(pa_alloc(&pa, 70), a);
	for (uint64_t p = a; p < a + 70 * PAGE; p += PAGE)
		assert_true(pa_is_used(&pa, p));
}

static void test_fragmentation(void **state)
{
	uint64_t p[NPAGES];

	(void)state;
	for (int i = 0; i < NPAGES; i++)
		p[i] = pa_alloc(&pa, 1);
	for (int i = 0; i < NPAGES; i += 2)
		assert_int_equal(pa_free(&pa, p[i], 1), 0);
	/* 100 free pages, but no two of them adjacent */
	assert_int_equal(pa.nfree, NPAGES / 2);
	assert_int_equal(pa_alloc(&pa, 2), 0);
	assert_true(pa_alloc(&pa, 1) != 0);
}

static void test_reserve(void **state)
{
	(void)state;
	pa_reserve(&pa, BASE, 10);
	pa_reserve(&pa, BASE + 5 * PAGE, 10);	/* overlapping: counted once */
	assert_int_equal(pa.nfree, NPAGES - 15);
	assert_int_equal(pa_alloc(&pa, 1), BASE + 15 * PAGE);
	pa_reserve(&pa, BASE + 1000 * PAGE, 5);	/* outside: ignored */
	assert_int_equal(pa.nfree, NPAGES - 16);
}

static void test_bad_frees_refused(void **state)
{
	uint64_t a;

	(void)state;
	a = pa_alloc(&pa, 4);
	assert_int_equal(pa_free(&pa, a + 1, 1), -1);		/* unaligned */
	assert_int_equal(pa_free(&pa, BASE - PAGE, 1), -1);	/* below */
	assert_int_equal(pa_free(&pa, BASE + NPAGES * PAGE, 1), -1);
	assert_int_equal(pa_free(&pa, a, 5), -1);		/* one too many */
	assert_int_equal(pa_free(&pa, a, 0), -1);
	assert_int_equal(pa.nfree, NPAGES - 4);
	assert_int_equal(pa_free(&pa, a, 4), 0);
	assert_int_equal(pa_free(&pa, a, 4), -1);		/* double free */
	assert_int_equal(pa.nfree, NPAGES);
	assert_int_equal(pa_alloc(&pa, NPAGES + 1), 0);
	assert_int_equal(pa_alloc(&pa, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_single_pages_until_empty, setup),
		cmocka_unit_test_setup(test_contiguous_runs, setup),
		cmocka_unit_test_setup(test_fragmentation, setup),
		cmocka_unit_test_setup(test_reserve, setup),
		cmocka_unit_test_setup(test_bad_frees_refused, setup),
	};

	return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}
