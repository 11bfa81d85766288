/*
 * lib/cmdline: options before the app name, arguments after, limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cmdline.h"

static struct cmdline c;

static void test_options_then_app(void **state)
{
	(void)state;
	assert_int_equal(cmdline_parse(&c, "  gdb=wait heap=8  blkcheck  x=1 -v\t", 100), 0);
	assert_int_equal(c.nopts, 2);
	assert_string_equal(cmdline_opt(&c, "gdb"), "wait");
	assert_string_equal(cmdline_opt(&c, "heap"), "8");
	assert_null(cmdline_opt(&c, "x"));	/* after the app: an argument */
	assert_int_equal(c.argc, 3);
	assert_string_equal(c.argv[0], "blkcheck");
	assert_string_equal(c.argv[1], "x=1");
	assert_string_equal(c.argv[2], "-v");
	assert_null(c.argv[3]);
}

static void test_empty_and_last_option_wins(void **state)
{
	(void)state;
	assert_int_equal(cmdline_parse(&c, "", 10), 0);
	assert_int_equal(c.argc, 0);
	assert_int_equal(cmdline_parse(&c, "a=1 a=2 =x", 100), 0);
	assert_string_equal(cmdline_opt(&c, "a"), "2");
	assert_string_equal(c.argv[0], "=x");	/* no key: not an option */
}

static void test_limits(void **state)
{
	char many[600];

	(void)state;
	memset(many, 0, sizeof(many));
	for (int i = 0; i < 40; i++)
		strcat(many, "w ");
	assert_int_equal(cmdline_parse(&c, many, sizeof(many)), -1);
	assert_int_equal(c.argc, CMDLINE_MAX_ARGS);
	memset(many, 'a', sizeof(many) - 1);
	assert_int_equal(cmdline_parse(&c, many, sizeof(many)), -1);
	assert_int_equal(strlen(c.argv[0]), sizeof(c.buf) - 1);
	/* max bounds the source even without a NUL */
	assert_int_equal(cmdline_parse(&c, "hello world", 5), 0);
	assert_string_equal(c.argv[0], "hello");
	assert_int_equal(c.argc, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_then_app),
		cmocka_unit_test(test_empty_and_last_option_wins),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
