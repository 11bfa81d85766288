/*
 * libctest's groups on the system-call glue (guest/libc/) at the edges of
 * its ranges, where an off-by-one or a unit slipped by the other groups:
 *
 *   clock-edges  gettimeofday's microseconds within their second and
 *                agreeing with CLOCK_REALTIME; nanosleep of 10^9 ns in
 *                tv_nsec refused, 10^9 - 1 taken; sleep(1) a second
 *   sbrk-edge    exactly what is left of the arena given, a byte more
 *                refused, and given back
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"
#include "apps/test/libctest.h"
#include "apps/test/selftest.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void libctest_test_clock_edges(void)
{
	struct timespec r0, r1, too_long = { .tv_nsec = 1000000000L };
	struct timespec longest = { .tv_nsec = 999999999L };
	struct timeval tv;
	uint64_t t0, slept_ns;
	int refused, refused_errno, taken, usec_ok;

	clock_gettime(CLOCK_REALTIME, &r0);
	gettimeofday(&tv, NULL);
	clock_gettime(CLOCK_REALTIME, &r1);
	/* Within its second, and between the two readings around it. */
	usec_ok = tv.tv_usec >= 0 && tv.tv_usec < 1000000 &&
		  (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec >=
			  (uint64_t)r0.tv_sec * 1000000 +
				  (uint64_t)r0.tv_nsec / 1000 &&
		  (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec <=
			  (uint64_t)r1.tv_sec * 1000000 +
				  (uint64_t)r1.tv_nsec / 1000;

	errno = 0;
	refused = nanosleep(&too_long, NULL) == -1;
	refused_errno = errno;
	t0 = mono_ns();
	taken = nanosleep(&longest, NULL) == 0 &&
		mono_ns() - t0 >= (uint64_t)longest.tv_nsec;

	t0 = mono_ns();
	sleep(1);
	slept_ns = mono_ns() - t0;

	report("clock-edges", usec_ok && refused && refused_errno == EINVAL &&
		     taken && slept_ns >= 1000000000ULL,
	       "gettimeofday %lld.%06ld %s; nanosleep of tv_nsec 10^9 %s, "
	       "10^9 - 1 %s; sleep(1) slept %llu ms",
	       (long long)tv.tv_sec, (long)tv.tv_usec,
	       usec_ok ? "as CLOCK_REALTIME says" : "NOT CLOCK_REALTIME'S",
	       !refused ? "TAKEN" : refused_errno == EINVAL ? "EINVAL" :
	       "refused, wrong errno", taken ? "slept" : "NOT SLEPT",
	       (unsigned long long)(slept_ns / 1000000));
}

/*
 * The arena's last byte is the break's to give: sbrk of exactly what is
 * left takes it all, one byte more after that is ENOMEM.  Nothing here
 * mallocs between the two sbrk calls that give it back.
 */
void libctest_test_sbrk_edge(void)
{
	char *start, *end, *before = sbrk(0), *after;
	ptrdiff_t left;
	void *all, *more;
	int more_errno;

	mm_libc_heap(&start, &end);
	left = end - before;
	all = sbrk(left);
	errno = 0;
	more = sbrk(1);
	more_errno = errno;
	if (more != (void *)-1)
		sbrk(-1);
	if (all != (void *)-1)
		sbrk(-left);
	after = sbrk(0);
	report("sbrk-edge", all == before && more == (void *)-1 &&
		     more_errno == ENOMEM && after == before,
	       "the last %ld bytes of the arena %s, a byte more %s, break %s",
	       (long)left, all == before ? "given" : "REFUSED",
	       more == (void *)-1 ? "refused" : "GIVEN",
	       after == before ? "back" : "MOVED");
}
