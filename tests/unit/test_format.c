/*
 * lib/format: the kernel's printf, compared with what C's snprintf makes
 * of the same format and arguments, plus truncation and termination.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/format.h"

#define SAME(...)                                                             \
	do {                                                                  \
		char want[256], got[256];                                     \
		int nw = snprintf(want, sizeof(want), __VA_ARGS__);           \
		int ng = ksnprintf(got, sizeof(got), __VA_ARGS__);            \
		assert_string_equal(got, want);                               \
		assert_int_equal(ng, nw);                                     \
	} while (0)

static void test_integers(void **state)
{
	(void)state;
	SAME("%d %i %u", -42, 17, 3000000000u);
	SAME("%ld %lld %lu", -1L, (long long)INT64_MIN, (unsigned long)UINT64_MAX);
	SAME("%hhd %hd %hhu", 300, 70000, 257);
	SAME("%zu %td %jd", (size_t)12345, (ptrdiff_t)-7, (intmax_t)99);
	SAME("%x %X %o %#x", 0xbeefu, 0xbeefu, 8u, 0);
	SAME("%#x %#X %#o %#8x %#o", 255u, 255u, 8u, 16u, 0u);
	SAME("%llx", 0xffffffff80000000ULL);
	SAME("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
	SAME("%.3d|%8.3d|%-8.3d|%.0d", 7, 7, -7, 0);
	SAME("%016llx", 0x1234ULL);
	SAME("%*d|%-*d|%.*d", 6, 1, 6, 2, 4, 3);
}

/*
 * C takes the flags in any order, and "+" wins over " ".  A " " after a
 * "+" ended the flags instead: it became the conversion, printed as it
 * stands, and the "d" after it as text, so the int was never taken and
 * every conversion after it read the argument before its own (here the
 * %s an int, as a pointer).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"	/* the redundant " " is the test */
static void test_flags_any_order(void **state)
{
	(void)state;
	SAME("%+ d|% +d|%+ 5d|%- +5d|%0 +5d", 3, 3, 3, 3, 3);
	SAME("%+ d %s", 3, "after");
}
#pragma GCC diagnostic pop

/*
 * '#' with 'o' makes the first digit a 0 only if it is not one already
 * (C 7.21.6.1): not with precision zeros in front, and a 0 even for the
 * value 0 at precision 0; zero padding still pads.  '+' and ' ' are for
 * signed conversions: 'u' has no sign.  No kernel caller used any of
 * these yet; the "SAME as snprintf" promise is the reason.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"	/* '+' with 'u' is the test */
static void test_octal_alt_and_unsigned(void **state)
{
	(void)state;
	SAME("%#08o|%#05o|%#-6o|%#o", 8u, 1u, 8u, 0u);
	SAME("%#.0o|%#.3o|%#.2o|%#5.3o|%#.4o", 0u, 8u, 8u, 8u, 0u);
	SAME("%#llo|%#024llo", (unsigned long long)UINT64_MAX,
	     (unsigned long long)UINT64_MAX);
	SAME("%+u|% u|%+5u|% 05u", 5u, 5u, 5u, 5u);
}
#pragma GCC diagnostic pop

static void test_strings_chars_pointers(void **state)
{
	(void)state;
	SAME("[%s] [%10s] [%-10s] [%.3s] [%c] [%%]", "abc", "abc", "abc",
	     "abcdef", 'x');
	SAME("%p", (void *)0xffffffff80101234ULL);
	SAME("%s", "");
	char got[32];
	const char *volatile null = NULL;	/* hidden from -Wformat */

	ksnprintf(got, sizeof(got), "%s", null);
	assert_string_equal(got, "(null)");
}

static void test_truncation(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 5, "%s", "abcdefgh"), 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(buf[5], 'Z');		/* nothing past the limit */
	/* Exactly as long as the buffer: the NUL still inside it. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 5, "%s", "abcde"), 5);
	assert_string_equal(buf, "abcd");
	assert_int_equal(buf[5], 'Z');
	assert_int_equal(ksnprintf(buf, 1, "%d", 12345), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(ksnprintf(NULL, 0, "%d", 12345), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_flags_any_order),
		cmocka_unit_test(test_octal_alt_and_unsigned),
		cmocka_unit_test(test_strings_chars_pointers),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
