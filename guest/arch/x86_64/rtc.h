/* The CMOS real-time clock: wall-clock time when the guest owns the machine. */
#ifndef ARCH_X86_64_RTC_H
#define ARCH_X86_64_RTC_H

#include <stdint.h>

/* Seconds since the Unix epoch (UTC assumed), or 0 if the RTC is unusable. */
uint64_t rtc_read_unix(void);

#endif
