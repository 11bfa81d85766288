/*
 * saylines [lines=N]: one thread pinned to each guest CPU, all released
 * at once, each printing N lines through kprintf() with several
 * conversions in each; with two CPUs or more, the last one also sends
 * CPU 0 an IPI after each of its lines, and CPU 0 prints a line of its
 * own from the interrupt.  format() hands kprintf() a line in pieces, and
 * an interrupt or another CPU could land between two of them; the host
 * checks that no line came out torn (qemu/smp-guest).
 */
#define KSPAWN_INTERNALS
#include <stdlib.h>

#include "kspawn.h"

static unsigned int lines = 100;
static unsigned int ready;	/* threads waiting for the start */
static uint32_t cpu0_apic;	/* where the IPIs go */
static int vector = -1;
static unsigned int ipis_sent;	/* by the last CPU's thread alone */
static unsigned int ipis_seen;	/* by CPU 0's handler */

static void on_ipi(struct trap_frame *tf)
{
	unsigned int n = __atomic_add_fetch(&ipis_seen, 1, __ATOMIC_ACQ_REL);

	(void)tf;
	kprintf("saylines: interrupt %u on cpu 0: %s\n", n,
		"the lazy dog sleeps on");
	apic_eoi();
}

/*
 * One IPI to CPU 0, and a wait (bounded) for its handler: two pending at
 * once would be one interrupt, and the count would not add up.
 */
static void ring_cpu0(void)
{
	uint64_t end = time_ns() + 100 * NSEC_PER_MSEC;

	if (apic_send_ipi(__atomic_load_n(&cpu0_apic, __ATOMIC_ACQUIRE),
			  (unsigned int)vector))
		return;
	ipis_sent++;
	while (__atomic_load_n(&ipis_seen, __ATOMIC_ACQUIRE) < ipis_sent &&
	       time_ns() < end)
		cpu_relax();
}

static int say(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	unsigned int n = sched_ncpus();

	if (cpu == 0)
		__atomic_store_n(&cpu0_apic, apic_id(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < n)
		cpu_relax();
	for (unsigned int i = 0; i < lines; i++) {
		kprintf("saylines: cpu %u line %u of %u: %s %s\n", cpu, i,
			lines, "the quick brown fox", "jumps over the lazy dog");
		if (n > 1 && cpu == n - 1 && vector >= 0)
			ring_cpu0();
	}
	return 0;
}

static int saylines_main(int argc, char **argv)
{
	const char *v = app_opt(argc, argv, "lines", NULL);
	struct thread *t[KSPAWN_MAX_CPUS];
	unsigned int n = sched_ncpus(), made = 0;

	if (v)
		lines = (unsigned int)strtoul(v, NULL, 0);
	if (n > 1)
		vector = irq_alloc_vector(on_ipi);
	for (; made < n; made++) {
		struct thread_attr a = { .cpus = 1u << made };

		t[made] = thread_create("saylines", say, (void *)(uintptr_t)made,
					&a);
		if (!t[made])
			break;
	}
	if (made < n) {
		/* Those made wait for the rest for ever: end the guest. */
		kprintf("saylines: cannot create thread %u\n", made);
		return 1;
	}
	for (unsigned int c = 0; c < n; c++)
		thread_join(t[c]);
	if (vector >= 0)
		irq_set_handler((unsigned int)vector, NULL);
	kprintf("saylines: %u CPUs, %u lines each, %u interrupts sent, %u printed\n",
		n, lines, ipis_sent, ipis_seen);
	return 0;
}
APP(saylines, saylines_main,
    "print lines from every CPU and an interrupt at once (torn lines: qemu smp-guest)");
