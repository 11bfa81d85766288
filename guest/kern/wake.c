/*
 * Idling where the host can wake us with a write (ABI 1.2,
 * KSPAWN_F_MWAIT_WAKE).  This core is the guest's own, so it may sit in
 * MWAIT on a cache line of the shared area: an interrupt the host has for
 * us is then a bit it sets in that line, which ends the MWAIT, rather
 * than an IPI.  The protocol (abi/kspawn_abi.h, struct kspawn_wake): we
 * set waiting before we look at pending, the host sets its bit before it
 * looks at waiting, so one of us always sees the other.
 *
 * Taken when the host offers it and the CPU has MONITOR/MWAIT; mwait=off
 * on the command line keeps HLT.  Under QEMU's TCG with several CPUs,
 * MWAIT returns at once: there it is polling, correct but no lighter.
 */
#include <string.h>

#include "kern/wake.h"
#include "kern/console.h"
#include "kern/shared.h"
#include "kern/thread.h"
#include "lib/cmdline.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/trap.h"

static struct kspawn_wake *line;	/* this CPU's; NULL: HLT */
static uint64_t host_wakes;		/* interrupts that came as writes */

void wake_init(const struct cmdline *c)
{
	const char *v = cmdline_opt(c, "mwait");

	if (!(kspawn_hdr->host_features & KSPAWN_F_MWAIT_WAKE) ||
	    !boot_cpu.has_monitor || (v && !strcmp(v, "off")))
		return;
	line = &kspawn_hdr->wake[0];
	kspawn_hdr->guest_features |= KSPAWN_F_MWAIT_WAKE;
	kprintf("idle: MWAIT on the host's wake line\n");
}

static int any_pending(void)
{
	for (int i = 0; i < 4; i++)
		if (__atomic_load_n(&line->pending[i], __ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* The handlers of the vectors the host left in the line. */
static void run_pending(void)
{
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t bits = __atomic_exchange_n(&line->pending[i], 0,
						    __ATOMIC_ACQ_REL);

		while (bits) {
			irq_run(i * 64 + (unsigned int)__builtin_ctzll(bits));
			bits &= bits - 1;
			host_wakes++;
		}
	}
}

void wake_idle(void)
{
	/* The host's interrupts, and so its wake line, are CPU 0's. */
	if (!line || this_cpu()->index) {
		__asm__ volatile("sti; hlt" ::: "memory");
		return;
	}
	__atomic_store_n(&line->waiting, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	cpu_monitor(line);
	if (!any_pending())
		cpu_sti_mwait();
	irq_disable();
	__atomic_store_n(&line->waiting, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	run_pending();
	irq_enable();
}

void wake_report(void)
{
	if (line)
		kprintf("idle: %llu interrupts came as writes to the wake line\n",
			(unsigned long long)host_wakes);
}
