/*
 * The monotonic clock.  time_ns() is the TSC scaled to nanoseconds with a
 * 32.32 fixed-point multiplier, so reading the clock costs one rdtsc and
 * one multiply, and needs no division (and no SSE) at run time.
 */
#include "kern/time.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "abi/kspawn_abi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/tsc.h"

/* Outside this range the source we used is lying or the measure failed. */
#define TSC_KHZ_MIN 10000ULL		/* 10 MHz */
#define TSC_KHZ_MAX 20000000ULL		/* 20 GHz */

static uint64_t freq_khz;
static uint64_t tsc_at_boot;
static uint64_t ns_mult;		/* ns per TSC tick, 32.32 fixed point */
static uint64_t tick_count;
static int64_t wall_offset;

void time_init(struct kspawn_header *hdr)
{
	const char *source;
	uint64_t khz = tsc_find_khz(hdr, &source);

	if (!source)
		panic("time: cannot find the TSC frequency (no CPUID leaf, no PIT)");
	if (khz < TSC_KHZ_MIN || khz > TSC_KHZ_MAX)
		panic("time: TSC frequency %llu kHz from %s is implausible",
		      (unsigned long long)khz, source);
	freq_khz = khz;
	ns_mult = (NSEC_PER_MSEC << 32) / khz;
	tsc_at_boot = rdtsc();
	kprintf("time: TSC %llu.%03llu MHz (%s)\n",
		(unsigned long long)(khz / 1000),
		(unsigned long long)(khz % 1000), source);
	/* Spawned, the RTC is the host's: the wall clock waits to be set. */
	if (hdr->flags & KSPAWN_HF_STANDALONE)
		time_set_wall_ns(rtc_read_unix() * NSEC_PER_SEC);
}

uint64_t time_ns(void)
{
	uint64_t delta = rdtsc() - tsc_at_boot;

	return (uint64_t)(((unsigned __int128)delta * ns_mult) >> 32);
}

uint64_t tsc_khz(void)
{
	return freq_khz;
}

uint64_t ticks(void)
{
	return __atomic_load_n(&tick_count, __ATOMIC_RELAXED);
}

void time_tick(void)
{
	__atomic_fetch_add(&tick_count, 1, __ATOMIC_RELAXED);
}

uint64_t time_wall_ns(void)
{
	return time_ns() + (uint64_t)__atomic_load_n(&wall_offset,
						      __ATOMIC_RELAXED);
}

void time_set_wall_ns(uint64_t unix_ns)
{
	__atomic_store_n(&wall_offset, (int64_t)(unix_ns - time_ns()),
			 __ATOMIC_RELAXED);
}
