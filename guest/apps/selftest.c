#include <stdarg.h>
#include <stdio.h>

#include "apps/selftest.h"

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

int report_failures(void)
{
	return failures;
}
