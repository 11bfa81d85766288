/*
 * hostile stamps: the part of the hostile app (hostile.c) that must act
 * before kmain does anything, while the host is still starting the
 * guest's other CPUs one after the other.  (And hostile slowboot, anywhere
 * in the command line: kmain's start held back SLOW_MS, a boot slower
 * than the host's hang timeout.  And hostile lateap: CPU 1 held back
 * LATE_MS where it enters the guest's C code, so that it comes after
 * CPU 0 gave up waiting for it, a second; hostile lateap-hang: CPU 1
 * comes in time, then hangs before it is set up.)
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

/* Whether the command line starts with mode (a whole word). */
static int mode_is(const struct kspawn_header *hdr, const char *mode)
{
	size_t len = strlen(mode);

	return !strncmp(hdr->cmdline, mode, len) &&
	       (!hdr->cmdline[len] || hdr->cmdline[len] == ' ');
}

/* ---- hostile lateap ----------------------------------------------------- */

#define LATE_MODE "hostile lateap"
#define HANG_MODE "hostile lateap-hang"
#define LATE_MS 3000		/* CPU 0 waits 1 s: a margin for TCG */
#define LATE_WATCH_MS 2000	/* long enough for a late CPU to join */

static int late_held;		/* CPU 1 was held back and let go */

/*
 * lateap: CPU 1 held back before it checks in.  lateap-hang: CPU 1 checks
 * in, then never finishes setting up (as a CPU that faulted on the host's
 * tables would not); CPU 0 must say so in a panic, not wait for ever.
 */
void hostile_ap_arrives(unsigned int index, int checked_in)
{
	uint64_t khz = kspawn_hdr->tsc_khz ? kspawn_hdr->tsc_khz : 3000000;
	uint64_t end;

	if (index != 1)
		return;
	if (checked_in && mode_is(kspawn_hdr, HANG_MODE))
		for (;;)
			__asm__ volatile("cli; pause" ::: "memory");
	if (checked_in || !mode_is(kspawn_hdr, LATE_MODE))
		return;
	end = rdtsc() + khz * LATE_MS;
	while (rdtsc() < end)
		__asm__ volatile("pause" ::: "memory");
	__atomic_store_n(&late_held, 1, __ATOMIC_RELEASE);
}

/*
 * The app's side: once CPU 1 was let go, it must never schedule, as CPU
 * 0 said (kern/smp.c).  A CPU that joined anyway would be in the mask
 * within microseconds; LATE_WATCH_MS only bounds how long a CPU that
 * joins is waited for, a correct guest passes however long it takes.
 */
int hostile_lateap(void)
{
	uint32_t mask = 0;
	int i;

	for (i = 0; i < LATE_MS + 10000 &&
		    !__atomic_load_n(&late_held, __ATOMIC_ACQUIRE); i += 10)
		thread_sleep_ms(10);
	if (!__atomic_load_n(&late_held, __ATOMIC_ACQUIRE)) {
		kprintf("hostile: lateap: CPU 1 never reached the guest's C code\n");
		return 1;
	}
	for (i = 0; i < LATE_WATCH_MS && !(mask & 2); i += 10) {
		mask = sched_cpus_mask();
		thread_sleep_ms(10);
	}
	kprintf("hostile: lateap: CPU 1 came %d ms late; CPUs scheduling: 0x%x\n",
		LATE_MS, mask);
	return mask == 1 ? 0 : 1;
}

/* ---- hostile stamps ----------------------------------------------------- */

static uint64_t rounds;
static uint32_t overwrote;	/* bit i: CPU i's real stamp seen, forged over */

void hostile_at_boot(struct kspawn_header *hdr)
{
	uint64_t khz = hdr->tsc_khz ? hdr->tsc_khz : 3000000, end;
	uint32_t n = hdr->ncpus < KSPAWN_MAX_CPUS ? hdr->ncpus :
		     KSPAWN_MAX_CPUS;
	uint32_t all = n > 1 ? ((1u << n) - 1) & ~1u : 0;

	slow_boot(hdr, khz);
	if (!mode_is(hdr, MODE))
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
