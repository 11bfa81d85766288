#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static int wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int selftest_run(const struct selftest *tests, size_t n, int argc,
		 char **argv, const char *who, const char *unit)
{
	int ran = 0;

	for (size_t i = 0; i < n; i++) {
		if (!wanted(argc, argv, tests[i].name))
			continue;
		tests[i].fn();
		ran++;
	}
	if (!ran) {
		printf("%s: no such test\n", who);
		return 2;
	}
	printf("%s: %d %s(s), %d failure(s)\n", who, ran, unit, failures);
	return failures ? 1 : 0;
}
