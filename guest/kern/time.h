/*
 * Time: a monotonic clock from the TSC (frequency from the ABI header, or
 * calibrated against the PIT when booted alone) and the tick count.
 */
#ifndef KERN_TIME_H
#define KERN_TIME_H

#include <stdint.h>

struct kspawn_header;

#define HZ 1000			/* scheduler tick rate */
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_TICK (NSEC_PER_SEC / HZ)

void time_init(struct kspawn_header *hdr);
uint64_t time_ns(void);		/* nanoseconds since boot */
uint64_t tsc_khz(void);
uint64_t ticks(void);		/* timer ticks since the scheduler started */

/*
 * The deadline ns from now, and ms in nanoseconds, saturated: a timeout
 * too long to add (UINT64_MAX, the usual "forever") is a deadline that
 * never comes, not one that wrapped into the past.
 */
static inline uint64_t time_after_ns(uint64_t ns)
{
	uint64_t now = time_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

static inline uint64_t ms_to_ns(uint64_t ms)
{
	return ms > UINT64_MAX / NSEC_PER_MSEC ? UINT64_MAX :
	       ms * NSEC_PER_MSEC;
}

/* Count one timer tick (the tick handler calls this). */
void time_tick(void);

/*
 * Wall-clock time: nanoseconds since the Unix epoch, as time_ns() plus an
 * offset.  Booted alone, the offset comes from the CMOS clock; spawned,
 * the RTC is the host's, so it stays 0 (the wall clock starts at the
 * epoch) until someone sets it.
 */
uint64_t time_wall_ns(void);
void time_set_wall_ns(uint64_t unix_ns);

#endif
