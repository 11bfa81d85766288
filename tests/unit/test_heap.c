/*
 * lib/heap: every size class and large sizes (a byte at a time around
 * page multiples), alignment, patterns that survive neighbours being
 * freed, pages going back when slabs empty, and refusal of double frees
 * and pointers the heap never handed out.
 * Pages come from aligned_alloc, so ASan sees any overrun.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/heap.h"

static long pages_out;

static void *get_pages(void *ctx, size_t n)
{
	(void)ctx;
	pages_out += (long)n;
	return aligned_alloc(HEAP_PAGE_SIZE, n * HEAP_PAGE_SIZE);
}

static void put_pages(void *ctx, void *p, size_t n)
{
	(void)ctx;
	pages_out -= (long)n;
	free(p);
}

static struct heap heap;

static int setup(void **state)
{
	(void)state;
	pages_out = 0;
	heap_init(&heap, get_pages, put_pages, NULL);
	return 0;
}

static void test_sizes_and_patterns(void **state)
{
	enum { N = 600 };
	static const size_t sizes[] = { 1, 15, 16, 17, 100, 512, 1000, 1024,
					1025, 4000, 5000, 70000 };
	void *p[N];
	size_t sz[N];

	(void)state;
	srand(7);
	for (int i = 0; i < N; i++) {
		sz[i] = sizes[rand() % 12];
		p[i] = heap_alloc(&heap, sz[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % HEAP_ALIGN, 0);
		assert_true(heap_size(&heap, p[i]) >= sz[i]);
		memset(p[i], i & 0xff, sz[i]);
	}
	for (int i = 0; i < N; i += 3)
		assert_int_equal(heap_free(&heap, p[i]), 0);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0)
			continue;
		for (size_t k = 0; k < sz[i]; k++)
			assert_int_equal(((uint8_t *)p[i])[k], i & 0xff);
		assert_int_equal(heap_free(&heap, p[i]), 0);
	}
	assert_int_equal(heap.bytes_in_use, 0);
	assert_int_equal(pages_out, 0);		/* every page went back */
}

/*
 * Large sizes a byte at a time around page multiples: whatever the
 * header takes, each gets pages enough for every byte asked (written
 * whole: ASan sees an overrun), and they all go back.
 */
static void test_large_sizes_at_page_edges(void **state)
{
	(void)state;
	for (size_t pages = 2; pages <= 3; pages++) {
		size_t edge = pages * HEAP_PAGE_SIZE;

		for (size_t size = edge - 256; size <= edge + 16; size++) {
			void *p = heap_alloc(&heap, size);

			assert_non_null(p);
			assert_true(heap_size(&heap, p) >= size);
			memset(p, 0xa5, size);
			assert_int_equal(heap_free(&heap, p), 0);
		}
	}
	assert_int_equal(heap.bytes_in_use, 0);
	assert_int_equal(pages_out, 0);
}

static void test_reuse(void **state)
{
	void *a, *b;

	(void)state;
	a = heap_alloc(&heap, 40);
	b = heap_alloc(&heap, 40);
	assert_int_equal(heap_free(&heap, a), 0);
	assert_ptr_equal(heap_alloc(&heap, 33), a);	/* same class, reused */
	assert_int_equal(heap_free(&heap, a), 0);
	assert_int_equal(heap_free(&heap, b), 0);
}

static void test_bad_frees_refused(void **state)
{
	char *small, *large;

	(void)state;
	small = heap_alloc(&heap, 64);
	large = heap_alloc(&heap, 10000);
	assert_int_equal(heap_free(&heap, small + 16), -1);	/* not live */
	assert_int_equal(heap_free(&heap, small + 8), -1);	/* misaligned */
	assert_int_equal(heap_free(&heap, large + 16), -1);
	assert_int_equal(heap_free(&heap, NULL), -1);
	assert_int_equal(heap_free(&heap, small), 0);
	assert_int_equal(heap_free(&heap, large), 0);
	assert_int_equal(heap.bad_frees, 4);
	assert_int_equal(pages_out, 0);
}

static void test_double_free_refused(void **state)
{
	void *keep, *p;

	(void)state;
	keep = heap_alloc(&heap, 64);	/* keeps the slab page alive */
	p = heap_alloc(&heap, 64);
	assert_int_equal(heap_free(&heap, p), 0);
	assert_int_equal(heap_free(&heap, p), -1);
	assert_int_equal(heap_size(&heap, p), 0);
	assert_int_equal(heap_free(&heap, keep), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sizes_and_patterns, setup),
		cmocka_unit_test_setup(test_large_sizes_at_page_edges, setup),
		cmocka_unit_test_setup(test_reuse, setup),
		cmocka_unit_test_setup(test_bad_frees_refused, setup),
		cmocka_unit_test_setup(test_double_free_refused, setup),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
