/* What the self-test apps share: one PASS/FAIL line per check, counted. */
#ifndef APPS_SELFTEST_H
#define APPS_SELFTEST_H

/* Print "PASS name: ..." or "FAIL name: ..." and count failures. */
void report(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Failures reported so far. */
int report_failures(void);

/* Run the test called name?  Yes if no names were given, or it is one. */
int selftest_wanted(int argc, char **argv, const char *name);

#endif
