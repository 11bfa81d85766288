/*
 * kspawnctl's CPU lists (host/ctl/cpus.c): "2-3,5" written out whole for
 * any set of CPUs it knows (list's pool line had 255 characters and cut
 * the rest without a word), and a list that must be cut short for want
 * of room says so ("...").
 *
 * unit-sources: host/ctl/cpus.c host/ctl/args.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "host/ctl/cpus.h"
#include "tests/unit/ctl_said.h"

static unsigned char set[CTL_MAX_CPUS];

/* Every other CPU from 2 up: the longest list of its kind. */
static void every_other(void)
{
	memset(set, 0, sizeof(set));
	for (int c = 2; c < CTL_MAX_CPUS; c += 2)
		set[c] = 1;
}

static void whole(void **state)
{
	static char buf[4096];
	size_t len;

	(void)state;
	every_other();
	cpus_format(set, buf, sizeof(buf));
	len = strlen(buf);
	assert_string_equal(buf + len - 9, "1020,1022");
	assert_int_equal(strncmp(buf, "2,4,6,", 6), 0);
	memset(set, 0, sizeof(set));
	cpus_format(set, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	set[2] = set[3] = set[5] = 1;
	cpus_format(set, buf, sizeof(buf));
	assert_string_equal(buf, "2-3,5");
}

static void cut_short_says_so(void **state)
{
	char buf[16];

	(void)state;
	every_other();
	memset(buf, 'Z', sizeof(buf));
	cpus_format(set, buf, sizeof(buf));
	assert_true(memchr(buf, 0, sizeof(buf)) != NULL);
	assert_string_equal(buf, "2,4,6,8,10,...");
	set[2] = 0;
	cpus_format(set, buf, 8);
	assert_string_equal(buf, "4,6,...");
}

/* A list is digits, '-' and ',' between them: nothing strtol skips. */
static void parse_strict(void **state)
{
	static const char *const bad[] = {
		"2,", ",2", "2,,3", " 2", "+2", "2-", "2-+3", "2- 3", "-2",
		"2 ", "3-2", "3-2,5", "", "1024", "0x2",
	};

	(void)state;
	/* Refused (negative), not taken as an empty or shorter list. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cpus_parse(bad[i], set) >= 0)
			fail_msg("'%s' taken as a CPU list", bad[i]);
	assert_int_equal(cpus_parse("2-3,5", set), 3);
	assert_true(set[2] && set[3] && !set[4] && set[5]);
	assert_int_equal(cpus_parse("0-1\n", set), 2);	/* sysfs's */
	assert_int_equal(cpus_parse("7", set), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole),
		cmocka_unit_test(cut_short_says_so),
		cmocka_unit_test(parse_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
