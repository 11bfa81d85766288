/*
 * Time: a monotonic clock from the TSC (frequency from the ABI header, or
 * calibrated against the PIT when booted alone) and the tick count.
 */
#ifndef KERN_TIME_H
#define KERN_TIME_H

#include <stdint.h>

struct kspawn_header;

#define HZ 1000			/* scheduler tick rate */

void time_init(struct kspawn_header *hdr);
uint64_t time_ns(void);		/* nanoseconds since boot */
uint64_t tsc_khz(void);
uint64_t ticks(void);		/* timer ticks since the scheduler started */

#endif
