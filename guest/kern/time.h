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
