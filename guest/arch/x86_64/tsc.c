/*
 * Where the TSC frequency comes from.  The host knows it best (Linux has
 * calibrated it already) and passes it in the ABI header.  Alone, we ask
 * CPUID, which only newer Intel parts answer exactly, and otherwise time
 * the TSC against the PIT, whose crystal runs at a known 1.193182 MHz.
 */
#include <stddef.h>

#include "arch/x86_64/tsc.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pit.h"

#define PIT_SPAN_MIN (PIT_HZ / 500)	/* counts between the readings: 2 ms */
#define PIT_ERR_SHIFT 10		/* spreads within 1/1024 of the time */
#define PIT_TRIES 100
#define PIT_READS_MAX 200000	/* a try's: far more than 55 ms of them */

static uint32_t max_basic_leaf(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	return r[0];
}

/* Leaf 0x15: TSC = crystal * ebx / eax; ecx (crystal Hz) may be 0. */
static uint64_t cpuid_crystal_khz(void)
{
	uint32_t r[4];

	if (max_basic_leaf() < 0x15)
		return 0;
	cpuid(0x15, 0, r);
	if (!r[0] || !r[1] || !r[2])
		return 0;
	return (uint64_t)r[2] * r[1] / r[0] / 1000;
}

/* Leaf 0x16: the processor's base frequency in MHz, close to the TSC's. */
static uint64_t cpuid_base_khz(void)
{
	uint32_t r[4];

	if (max_basic_leaf() < 0x16)
		return 0;
	cpuid(0x16, 0, r);
	return (uint64_t)(r[0] & 0xffff) * 1000;
}

/*
 * Two readings of PIT channel 2, each with the TSC read right before and
 * after it.  Whatever holds the CPU between the readings (an SMI; under
 * emulation, the host's scheduler, for as long as it likes) delays both
 * clocks alike and costs nothing.  A hold inside a reading does, and the
 * reading's spread shows it.  So the second reading is taken again until
 * the two spreads are within 1/1024 of the time between the readings (the
 * error is at most half that) and at least 2 ms of counts lie between
 * them; a try whose count ran out (55 ms: held that long) starts over.
 * A CPU held inside every reading (TCG on a loaded host: each port access
 * waits its turn) may never get that close: then the pair of readings
 * with the least error of all the tries is taken, rather than none.
 * 0 if the PIT does not count.
 */
uint64_t tsc_pit_khz(void)
{
	uint64_t best_khz = 0, best_err = UINT64_MAX;

	for (int t = 0; t < PIT_TRIES; t++) {
		struct pit_reading a, b;
		unsigned long n = 0;
		uint16_t span;
		uint64_t dt;

		pit_start();
		pit_read(&a);
		do {
			pit_read(&b);
			span = (uint16_t)(a.count - b.count);
			dt = b.tsc > a.tsc ? b.tsc - a.tsc : 0;
			if (!a.done && !b.done && b.count < a.count &&
			    span >= PIT_SPAN_MIN && dt) {
				/* In 2^-20ths of the time between them. */
				uint64_t err = ((a.spread + b.spread) << 20) / dt;

				if (err < best_err) {
					best_err = err;
					best_khz = dt * PIT_HZ /
						   ((uint64_t)span * 1000);
				}
			}
		} while (!b.done && (span < PIT_SPAN_MIN ||
				     (a.spread + b.spread) << PIT_ERR_SHIFT > dt) &&
			 ++n < PIT_READS_MAX);
		if (n >= PIT_READS_MAX)
			return 0;	/* it does not count: no PIT here */
		if (a.done || b.done || b.count >= a.count)
			continue;
		return dt * PIT_HZ / ((uint64_t)span * 1000);
	}
	return best_khz;
}

uint64_t tsc_find_khz(const struct kspawn_header *hdr, const char **source)
{
	int alone = (hdr->flags & KSPAWN_HF_STANDALONE) != 0;
	uint64_t khz;

	*source = "ABI header";
	if (hdr->tsc_khz)
		return hdr->tsc_khz;
	*source = "CPUID 0x15";
	khz = cpuid_crystal_khz();
	if (khz)
		return khz;
	/* Spawned, the PIT is the host's: prefer CPUID's nominal figure. */
	*source = "CPUID 0x16";
	khz = alone ? 0 : cpuid_base_khz();
	if (khz)
		return khz;
	*source = "PIT calibration";
	khz = tsc_pit_khz();
	if (khz)
		return khz;
	*source = "CPUID 0x16";
	khz = cpuid_base_khz();
	if (!khz)
		*source = NULL;
	return khz;
}
