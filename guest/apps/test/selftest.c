#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kspawn.h"
#include "apps/test/selftest.h"

static int failures;

void report(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

/*
 * The arguments name the tests to run, or with a leading '-' the ones to
 * leave out (the command line holds 16 words: a long list of the others
 * does not fit); no names run every test not left out.
 */
static int wanted(int argc, char **argv, const char *name)
{
	int named = 0, listed = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (!strcmp(argv[i] + 1, name))
				return 0;
			continue;
		}
		named = 1;
		listed |= !strcmp(argv[i], name);
	}
	return !named || listed;
}

int selftest_run(const struct selftest *tests, size_t n, int argc,
		 char **argv, const char *who, const char *unit)
{
	int ran = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t t0;

		if (!wanted(argc, argv, tests[i].name))
			continue;
		t0 = time_ns();
		tests[i].fn();
		ran++;
		/* Where a slow run's time went (the qemu suite's budget). */
		if (time_ns() - t0 >= NSEC_PER_SEC)
			printf("%s: %s took %llu ms\n", who, tests[i].name,
			       (unsigned long long)((time_ns() - t0) / 1000000));
	}
	if (!ran) {
		printf("%s: no such test\n", who);
		return 2;
	}
	printf("%s: %d %s(s), %d failure(s)\n", who, ran, unit, failures);
	return failures ? 1 : 0;
}
