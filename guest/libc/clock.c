/*
 * Clocks and sleeping for newlib and apps: gettimeofday/time(),
 * clock_gettime, clock()/times(), nanosleep, usleep, sleep, sched_yield.
 * CLOCK_MONOTONIC is time_ns(); CLOCK_REALTIME is time_wall_ns() (which
 * starts at the epoch unless someone set it).
 */
#include <errno.h>
#include <sched.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "kern/sched.h"
#include "kern/time.h"

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_CLOCK (NSEC_PER_SEC / CLOCKS_PER_SEC)

/* newlib's time() and gettimeofday_r() end here. */
int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	uint64_t ns = time_wall_ns();

	(void)tz;
	if (tv) {
		tv->tv_sec = (time_t)(ns / NSEC_PER_SEC);
		tv->tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
	}
	return 0;
}

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	uint64_t ns;

	switch (id) {
	case CLOCK_MONOTONIC:
		ns = time_ns();
		break;
	case CLOCK_REALTIME:
		ns = time_wall_ns();
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (ts)
		ns_to_timespec(ns, ts);
	return 0;
}

/* Reading is TSC-precise; sleeping wakes on timer ticks. */
int clock_getres(clockid_t id, struct timespec *res)
{
	if (id != CLOCK_MONOTONIC && id != CLOCK_REALTIME) {
		errno = EINVAL;
		return -1;
	}
	if (res)
		ns_to_timespec(1, res);
	return 0;
}

/* For clock(): the guest is one process that has run since boot. */
clock_t times(struct tms *buf)
{
	clock_t t = (clock_t)(time_ns() / NSEC_PER_CLOCK);

	if (buf)
		*buf = (struct tms){ .tms_utime = t };
	return t;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!req || req->tv_sec < 0 || req->tv_nsec < 0 ||
	    req->tv_nsec >= (long)NSEC_PER_SEC) {
		errno = EINVAL;
		return -1;
	}
	/* Seconds too many for nanoseconds: as good as for ever. */
	thread_sleep_ns((uint64_t)req->tv_sec >= UINT64_MAX / NSEC_PER_SEC ?
			UINT64_MAX : (uint64_t)req->tv_sec * NSEC_PER_SEC +
			(uint64_t)req->tv_nsec);
	if (rem)
		*rem = (struct timespec){ 0 };
	return 0;
}

int usleep(useconds_t us)
{
	/* useconds_t is 64 bits: saturate as nanosleep does, never wrap. */
	thread_sleep_ns((uint64_t)us > UINT64_MAX / NSEC_PER_USEC ? UINT64_MAX :
			(uint64_t)us * NSEC_PER_USEC);
	return 0;
}

unsigned int sleep(unsigned int s)
{
	thread_sleep_ns((uint64_t)s * NSEC_PER_SEC);
	return 0;
}

int sched_yield(void)
{
	thread_yield();
	return 0;
}
