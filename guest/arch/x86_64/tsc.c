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

#define PIT_RUNS 5
#define PIT_RUN_MS 10

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
 * The median of a few short runs: a run that an SMI (or, under emulation,
 * the host's scheduler) stretched does not skew the result.
 */
static uint64_t pit_khz(void)
{
	uint64_t runs[PIT_RUNS];

	for (int i = 0; i < PIT_RUNS; i++) {
		uint64_t v = pit_measure_tsc(PIT_RUN_MS);
		int j;

		if (!v)
			return 0;
		for (j = i; j > 0 && runs[j - 1] > v; j--)
			runs[j] = runs[j - 1];
		runs[j] = v;
	}
	return runs[PIT_RUNS / 2] / PIT_RUN_MS;
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
	khz = pit_khz();
	if (khz)
		return khz;
	*source = "CPUID 0x16";
	khz = cpuid_base_khz();
	if (!khz)
		*source = NULL;
	return khz;
}
