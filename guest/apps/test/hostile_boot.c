/*
 * hostile stamps: the part of the hostile app (hostile.c) that must act
 * before kmain does anything, while the host is still starting the
 * guest's other CPUs one after the other.  (And hostile slowboot, anywhere
 * in the command line: kmain's start held back SLOW_MS, a boot slower
 * than the host's hang timeout.)
 *
 * From its first instructions, CPU 0 writes every other CPU's long-mode
 * stamp in the header (cpu_tsc[i], which the trampoline writes when CPU i
 * arrives) over and over, until it has seen and forged over every other
 * CPU's real stamp (so the forging overlapped each start, however slow
 * the host is), or for at most FORGE_MAX_MS.  A host that took that stamp as
 * the sign that CPU i had left the trampoline page would rewrite the page
 * for the next CPU (or the next guest) while CPU i still runs on it: CPU
 * i would come in with the next one's index, or not at all.  The host
 * must wait for a word outside the shared area, which the ABI never lets
 * the guest write: the trampoline's own, in its page.
 */
#include <stdint.h>
#include <string.h>

#include "apps/test/hostile.h"

#define MODE "hostile stamps"
#define FORGE_MAX_MS 5000
#define SLOW_MODE "hostile slowboot"
#define SLOW_MS 1500

/* hostile slowboot: a boot that takes SLOW_MS before the tick starts. */
static void slow_boot(struct kspawn_header *hdr, uint64_t khz)
{
	const size_t len = sizeof(SLOW_MODE) - 1;
	const char *c = hdr->cmdline;
	uint64_t end;
	size_t i;

	for (i = 0; i + len <= sizeof(hdr->cmdline) && c[i]; i++)
		if (!strncmp(c + i, SLOW_MODE, len))
			break;
	if (i + len > sizeof(hdr->cmdline) || !c[i])
		return;
	end = rdtsc() + khz * SLOW_MS;
	while (rdtsc() < end)
		__asm__ volatile("pause" ::: "memory");
}

static uint64_t rounds;
static uint32_t overwrote;	/* bit i: CPU i's real stamp seen, forged over */

void hostile_at_boot(struct kspawn_header *hdr)
{
	uint64_t khz = hdr->tsc_khz ? hdr->tsc_khz : 3000000, end;
	uint32_t n = hdr->ncpus < KSPAWN_MAX_CPUS ? hdr->ncpus :
		     KSPAWN_MAX_CPUS;
	uint32_t all = n > 1 ? ((1u << n) - 1) & ~1u : 0;

	slow_boot(hdr, khz);
	if (strncmp(hdr->cmdline, MODE, sizeof(MODE) - 1) ||
	    (hdr->cmdline[sizeof(MODE) - 1] &&
	     hdr->cmdline[sizeof(MODE) - 1] != ' '))
		return;
	end = rdtsc() + khz * FORGE_MAX_MS;
	while (rdtsc() < end && (overwrote & all) != all) {
		for (uint32_t i = 1; i < n; i++) {
			/*
			 * One exchange: a stamp the trampoline wrote between a
			 * read and a separate write would be lost unseen.
			 */
			uint64_t was = __atomic_exchange_n(&hdr->cpu_tsc[i], i,
							   __ATOMIC_RELAXED);

			/*
			 * Neither ours nor zero: the trampoline stamped CPU i
			 * inside the window, so the forging overlapped the
			 * host's start of it (the test tested something).
			 */
			if (was && was != i)
				overwrote |= 1u << i;
		}
		rounds++;
	}
}

/* The app's side: what it did, once the guest is up (every CPU or not). */
int hostile_stamps(void)
{
	int seen = 0;

	for (uint32_t bits = overwrote; bits; bits &= bits - 1)
		seen++;
	kprintf("hostile: stamps: %llu rounds of forged stamps for %u CPUs; %d real stamps forged over\n",
		(unsigned long long)rounds, kspawn_hdr->ncpus,
		seen);
	return rounds ? 0 : 1;
}
