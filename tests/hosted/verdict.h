/*
 * What the hosted cases that test the device side share: one line per
 * check ("ok NAME[-LAYOUT]" or "FAIL NAME[-LAYOUT]: why"; a check's
 * preconditions speak only when they fail), a count of the
 * failures for main() to return, and device ops for a case that needs no
 * interrupts.  Static: each case is one program, built alone; a program
 * of several files (blk_async) defines VERDICT_SHARED before it includes
 * this, in each file, and int failures in one: one count for main().
 */
#ifndef TESTS_HOSTED_VERDICT_H
#define TESTS_HOSTED_VERDICT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "host/backend/device.h"

#ifdef VERDICT_SHARED
extern int failures;
#else
static int failures __attribute__((unused));
#endif

/* ok: the check passed; otherwise fmt says why.  Returns ok. */
static inline __attribute__((format(printf, 4, 5))) int
verdict(const char *name, const char *layout, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s%s%s", ok ? "ok" : "FAIL", name, layout ? "-" : "",
	       layout ? layout : "");
	if (!ok) {
		failures++;
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	return ok;
}

/*
 * What a check needs before it can be made: silent when ok (the check's
 * own verdict follows), else a FAIL line under the check's name.
 */
static inline __attribute__((format(printf, 4, 5))) int
precondition(const char *name, const char *layout, int ok, const char *fmt,
	     ...)
{
	va_list ap;

	if (ok)
		return 1;
	failures++;
	printf("FAIL %s%s%s: ", name, layout ? "-" : "", layout ? layout : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 0;
}

static inline void no_notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;
}

static const struct kb_device_ops no_notify_ops
	__attribute__((unused)) = { .notify = no_notify };

#endif
