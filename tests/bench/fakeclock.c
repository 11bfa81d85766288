// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * LD_PRELOAD shim for the bench suite: a clock that moves
 * FAKECLOCK_STEP_NS (default 1000) nanoseconds at each reading and not
 * otherwise, whatever the work between two readings.  A benchmark that
 * times each piece of work between two readings then measures exactly
 * one step per piece, and what it prints shows what it divided that step
 * by: the work it did, or the work it asked for.  No timing is asserted.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static atomic_ullong fake_ns = 1000000000ULL;

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static unsigned long long step;
	unsigned long long t;

	(void)clk;
	if (!step) {
		const char *s = getenv("FAKECLOCK_STEP_NS");

		step = s && atoll(s) > 0 ? (unsigned long long)atoll(s) : 1000;
	}
	t = atomic_fetch_add(&fake_ns, step) + step;
	ts->tv_sec = (time_t)(t / 1000000000ULL);
	ts->tv_nsec = (long)(t % 1000000000ULL);
	return 0;
}
