/*
 * What the self-test apps share: a table of named tests, run by name (or
 * all), each printing one PASS/FAIL line per check, failures counted.
 */
#ifndef APPS_SELFTEST_H
#define APPS_SELFTEST_H

#include <stddef.h>

struct selftest {
	const char *name;
	void (*fn)(void);
};

/* Print "PASS name: ..." or "FAIL name: ..." and count failures. */
void report(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Run the n tests whose names argv gives (all if it gives none), then print
 * "who: N <unit>(s), N failure(s)".  Returns the app's exit status: 0, 1
 * after a failure, 2 if no test has such a name.
 */
int selftest_run(const struct selftest *tests, size_t n, int argc,
		 char **argv, const char *who, const char *unit);

#endif
