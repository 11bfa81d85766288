/*
 * schedtest: the scheduler, synchronisation, time and the local APIC,
 * tested from inside the guest.  Each test prints one PASS or FAIL line;
 * the app exits 0 only if every test passed.
 *
 *   schedtest          run every test
 *   schedtest NAME...  run only the named tests
 *   schedtest stop     play the host: ask the guest to stop (expect 0x71)
 *   schedtest stop-ipi the same, through the stop vector with no tick
 *
 * Timing-dependent checks count timer ticks or compare clocks with
 * deadlines; none of them asserts how long anything took in real time,
 * which a loaded host running the emulator would make flaky.
 *
 * This file holds the app (its table, in the order the groups run, the
 * watchdog, the stop modes), schedtest_spawn() and the CPU pin the
 * groups share, and the groups about the hardware under the scheduler:
 * the clock, the local APIC's IPIs, threads spread over and pinned to
 * CPUs, TLB shootdown.  The scheduling groups are in schedtest_sched.c
 * (time slices in schedtest_slice.c, balancing over CPUs in
 * schedtest_balance.c), the synchronisation ones in schedtest_sync.c
 * (who gets a contended mutex in schedtest_mutex.c; see schedtest.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/test/schedtest.h"

#define WATCHDOG_MS (180 * 1000)

/*
 * The groups that check what one CPU does (priorities, time slices,
 * preemption, sleep latency in ticks, who gets a contended mutex) pin
 * themselves and their threads to CPU 0, so an SMP guest runs them as a
 * one-CPU guest does, on the CPU whose timer counts ticks(); the rest
 * run spread over every CPU.
 */
static uint32_t pin_mask;		/* schedtest_spawn()'s threads: 0 = any CPU */

static void pin_cpu0(int on)
{
	pin_mask = on ? 1 : 0;
	thread_set_affinity(thread_self(), pin_mask);
}

struct thread *schedtest_spawn(const char *name, thread_fn fn, void *arg,
			       int prio)
{
	struct thread_attr attr = { .prio = prio, .cpus = pin_mask };
	struct thread *t = thread_create(name, fn, arg, &attr);

	if (!t) {
		printf("schedtest: cannot create thread '%s'\n", name);
		exit(1);
	}
	return t;
}

/* ---- local APIC IPIs, the tick, the heartbeat --------------------------- */

static volatile int ipi_count;

static void ipi_handler(struct trap_frame *tf)
{
	(void)tf;
	ipi_count++;
	apic_eoi();
}

/* Wait (sleeping) until ipi_count reaches n, for at most a second. */
static int ipi_wait(int n)
{
	for (int i = 0; i < 1000 && ipi_count < n; i++)
		thread_sleep_ms(1);
	return ipi_count >= n;
}

static void test_ipi(void)
{
	int vector = irq_alloc_vector(ipi_handler);
	int first, masked_held, second;
	uint64_t flags;

	if (vector < 0) {
		report("ipi", 0, "no free vector");
		return;
	}
	ipi_count = 0;
	first = apic_send_ipi(apic_id(), (unsigned int)vector) == 0 &&
		ipi_wait(1);
	flags = irq_save();
	apic_send_ipi(apic_id(), (unsigned int)vector);
	for (int i = 0; i < 100000; i++)
		cpu_relax();
	masked_held = ipi_count == 1;
	irq_restore(flags);
	second = ipi_wait(2);
	irq_set_handler((unsigned int)vector, NULL);
	report("ipi", first && masked_held && second,
	       "self-IPI on vector %d to APIC ID %u (%s): delivered %s, held "
	       "while interrupts were off %s, then delivered %s", vector,
	       apic_id(), apic_is_x2apic() ? "x2APIC" : "xAPIC",
	       first ? "yes" : "NO", masked_held ? "yes" : "NO",
	       second ? "yes" : "NO");
}

static void test_clock(void)
{
	volatile uint64_t *hb = &shared_state()->heartbeat;
	uint64_t hb0 = *hb, t0 = ticks(), ns0 = time_ns(), ns1;
	int monotonic = 1;

	for (int i = 0; i < 100000; i++) {
		ns1 = time_ns();
		if (ns1 < ns0)
			monotonic = 0;
		ns0 = ns1;
	}
	thread_sleep_ms(10);
	report("clock", monotonic && ticks() > t0 && *hb > hb0,
	       "time_ns %s, %llu ticks and %llu heartbeats in 10 ms "
	       "(TSC %llu kHz, APIC timer %llu kHz)",
	       monotonic ? "monotonic" : "WENT BACKWARDS",
	       (unsigned long long)(ticks() - t0),
	       (unsigned long long)(*hb - hb0),
	       (unsigned long long)tsc_khz(),
	       (unsigned long long)(apic_timer_hz() / 1000));
}

/* ---- the host's stop request -------------------------------------------- */

/*
 * Do what the host does; the guest must end with GUEST_EXIT_STOPPED.
 * "stop" leaves it to the next tick; "stop-ipi" stops the tick first,
 * so only the stop vector's interrupt can end the guest.
 */
static int play_host_stop(int by_ipi)
{
	struct kspawn_state *st = shared_state();

	printf("schedtest: requesting a stop as the host would%s\n",
	       by_ipi ? ", by IPI, with the timer stopped" : "");
	fflush(stdout);
	if (by_ipi)
		apic_timer_stop();
	__atomic_store_n(&st->host_request, KSPAWN_REQ_STOP,
			 __ATOMIC_RELEASE);
	if (by_ipi && apic_send_ipi(apic_id(), st->stop_vector)) {
		printf("FAIL stop: no stop vector\n");
		return 1;
	}
	/* Without a tick, sleeping would never end: spin instead. */
	for (uint64_t end = time_ns() + NSEC_PER_SEC; time_ns() < end;)
		cpu_relax();
	printf("FAIL stop: still running 1 s after the request\n");
	return 1;
}

/* ---- SMP: spread, pinned, moved ------------------------------------------ */

struct roamer {
	volatile int *stop;
	volatile uint32_t seen;		/* bit i: ran on CPU i */
};

static int roam_thread(void *arg)
{
	struct roamer *r = arg;

	while (!*r->stop)
		r->seen |= 1u << sched_cpu();
	return 0;
}

#define SMP_SPIN_MS 100

/*
 * As many busy threads as CPUs, while main sleeps: every CPU runs one.
 * A thread pinned to the last CPU runs only there; re-pinned to CPU 0
 * while it runs, it moves there.
 */
static void test_smp(void)
{
	unsigned int n = sched_ncpus();
	uint32_t all = sched_cpus_mask(), spread = 0, last = 1u << (n - 1);
	struct roamer r[KSPAWN_MAX_CPUS] = { 0 }, p = { 0 };
	struct thread *t[KSPAWN_MAX_CPUS], *pt;
	struct thread_attr pin = { .cpus = last };
	volatile int stop = 0, pstop = 0;
	uint32_t pinned_seen, moved = 0;

	for (unsigned int i = 0; i < n; i++) {
		r[i].stop = &stop;
		t[i] = schedtest_spawn("roam", roam_thread, &r[i], THREAD_PRIO_NORMAL);
	}
	thread_sleep_ms(SMP_SPIN_MS);
	stop = 1;
	for (unsigned int i = 0; i < n; i++) {
		thread_join(t[i]);
		spread |= r[i].seen;
	}
	p.stop = &pstop;
	pt = thread_create("pinned", roam_thread, &p, &pin);
	if (!pt) {
		report("smp", 0, "cannot create a pinned thread");
		return;
	}
	thread_sleep_ms(SMP_SPIN_MS);
	pinned_seen = p.seen;
	thread_set_affinity(pt, 1);
	for (int i = 0; i < 100 && !moved; i++) {
		p.seen = 0;
		thread_sleep_ms(5);
		moved = p.seen == 1;
	}
	pstop = 1;
	thread_join(pt);
	report("smp", spread == all && pinned_seen == last && moved,
	       "%u CPUs (mask 0x%x): %u busy threads ran on 0x%x; pinned to "
	       "0x%x ran on 0x%x; re-pinned to CPU 0 %s", n, all, n, spread,
	       last, pinned_seen, moved ? "moved" : "did not move");
}

/*
 * TLB shootdown, from each CPU in turn: every CPU reads a page (its TLB
 * caches it), then the round's initiator unmaps it as a guard page is
 * unmapped (mm_unmap_page), and every CPU reads it again through a probe
 * whose page fault is caught: each must fault.  A CPU the shootdown
 * missed reads through its stale TLB entry.  Not only CPU 0 unmaps: a
 * new stack's guard page is unmapped on whichever CPU runs
 * thread_create().
 */
extern char tlb_probe_read[], tlb_probe_done[];
static trap_hook_t tlb_prev_hook;

/* The probe's fault: skipped, and said in the probe's %rdx. */
static int tlb_hook(struct trap_frame *tf)
{
	if (tf->vector == 14 && tf->rip == (uint64_t)tlb_probe_read) {
		tf->rdx = 1;
		tf->rip = (uint64_t)tlb_probe_done;
		return 1;
	}
	return tlb_prev_hook ? tlb_prev_hook(tf) : 0;
}

/* 1 if reading p faulted. */
static int __attribute__((noinline, noclone)) tlb_probe(volatile uint8_t *p)
{
	int faulted;

	__asm__ volatile(".globl tlb_probe_read, tlb_probe_done\n"
			 "xorl %%edx, %%edx\n"
			 "tlb_probe_read: movb (%1), %%al\n"
			 "tlb_probe_done:"
			 : "=&d"(faulted) : "r"(p) : "rax", "memory");
	return faulted;
}

/* One round: a thread pinned to each CPU, the initiator's among them. */
struct tlb_round {
	volatile uint8_t *page;
	unsigned int initiator, ncpus;
	unsigned int read;		/* CPUs with the page in their TLB */
	int unmapped;
	uint32_t faulted;		/* bit i: CPU i's probe faulted */
};

struct tlb_arg {
	struct tlb_round *round;
	unsigned int cpu;
};

/* Spinning, not sleeping: nothing else runs here to evict the entry. */
static int tlb_reader(void *arg)
{
	struct tlb_arg *a = arg;
	struct tlb_round *r = a->round;

	(void)*r->page;		/* into this CPU's TLB */
	__atomic_add_fetch(&r->read, 1, __ATOMIC_RELEASE);
	if (a->cpu == r->initiator) {
		while (__atomic_load_n(&r->read, __ATOMIC_ACQUIRE) < r->ncpus)
			cpu_relax();
		mm_unmap_page((uint64_t)r->page);
		__atomic_store_n(&r->unmapped, 1, __ATOMIC_RELEASE);
	}
	while (!__atomic_load_n(&r->unmapped, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (tlb_probe(r->page))
		__atomic_or_fetch(&r->faulted, 1u << a->cpu, __ATOMIC_RELAXED);
	return 0;
}

/* Unmapped on initiator: the CPUs whose next read faulted (bit i). */
static uint32_t tlb_round(unsigned int initiator, unsigned int n)
{
	struct tlb_round r = { .initiator = initiator, .ncpus = n };
	struct tlb_arg args[KSPAWN_MAX_CPUS];
	struct thread *t[KSPAWN_MAX_CPUS];
	uint8_t *page = page_alloc(1);

	if (!page)
		return 0;
	r.page = page;
	for (unsigned int i = 0; i < n; i++) {
		struct thread_attr on = { .cpus = 1u << i };

		args[i] = (struct tlb_arg){ &r, i };
		t[i] = thread_create("tlb", tlb_reader, &args[i], &on);
	}
	/*
	 * A thread missing (no memory) counts as having read, so that the
	 * others are not held for ever; its CPU's bit stays clear.  Without
	 * the initiator nothing is unmapped: the others are let go as well.
	 */
	for (unsigned int i = 0; i < n; i++) {
		if (t[i])
			continue;
		__atomic_add_fetch(&r.read, 1, __ATOMIC_RELEASE);
		if (i == initiator)
			__atomic_store_n(&r.unmapped, 1, __ATOMIC_RELEASE);
	}
	for (unsigned int i = 0; i < n; i++)
		if (t[i])
			thread_join(t[i]);
	mm_remap_page((uint64_t)page);	/* a page still mapped stays so */
	page_free(page, 1);
	return r.faulted;
}

static void test_tlb(void)
{
	unsigned int n = sched_ncpus();
	uint32_t all = (1u << n) - 1, missed = 0;
	unsigned int bad = n;

	if (n < 2) {
		report("tlb", 1, "one CPU: no other TLB to shoot down");
		return;
	}
	tlb_prev_hook = trap_debug_hook();
	trap_set_debug_hook(tlb_hook);
	for (unsigned int c = 0; c < n; c++) {
		uint32_t faulted = tlb_round(c, n);

		if (faulted != all && bad == n) {
			bad = c;
			missed = all & ~faulted;
		}
	}
	trap_set_debug_hook(tlb_prev_hook);
	if (bad == n)
		report("tlb", 1, "a page every CPU had read, unmapped on each of the %u CPUs in turn: every CPU's next read faulted",
		       n);
	else
		report("tlb", 0, "a page every CPU had read, unmapped on CPU %u: the next read of CPUs 0x%x went through a stale TLB entry (or a thread or page was missing)",
		       bad, missed);
}

/*
 * page_alloc() hands out zeroed pages, one given back dirty too: booted
 * alone every page counts as dirty (mm.c).  A page written and freed
 * comes back (next fit) once the allocator has gone round the region:
 * the pages taken on the way are held, linked through themselves, and
 * freed after.
 */
static void test_pages(void)
{
	uint8_t *p = page_alloc(1), *q;
	void *held = NULL;
	size_t taken = 0, most = mm_free_pages();
	int zeroed = 1;

	if (!p) {
		report("pages", 0, "no page");
		return;
	}
	memset(p, 0xa5, PAGE_SIZE);
	page_free(p, 1);
	while ((q = page_alloc(1)) && q != p && taken <= most) {
		*(void **)q = held;
		held = q;
		taken++;
	}
	for (size_t i = 0; q == p && i < PAGE_SIZE; i++)
		zeroed &= q[i] == 0;
	if (q)
		page_free(q, 1);
	while (held) {
		void *next = *(void **)held;

		page_free(held, 1);
		held = next;
	}
	report("pages", q == p && zeroed,
	       "a page written and freed %s after %lu others: %s",
	       q == p ? "came back" : "DID NOT COME BACK",
	       (unsigned long)taken, zeroed ? "zeroed" : "NOT ZEROED");
}

/* ---- driver ------------------------------------------------------------- */

static void pinned(void (*fn)(void))
{
	pin_cpu0(1);
	fn();
	pin_cpu0(0);
}

static void test_priority_pinned(void)
{
	pinned(schedtest_test_priority);
}

static void test_sleep_pinned(void)
{
	pinned(schedtest_test_sleep);
}

static void test_starvation_pinned(void)
{
	pinned(schedtest_test_starvation);
}

static void test_irq_preempt_pinned(void)
{
	pinned(schedtest_test_irq_preempt);
}

static void test_fpu_pinned(void)
{
	pinned(schedtest_test_fpu);
}

static void test_mutex_steal_pinned(void)
{
	pinned(schedtest_test_mutex_steal);
}

static void test_mutex_fair_pinned(void)
{
	pinned(schedtest_test_mutex_fair);
}

static void test_yield_slice_pinned(void)
{
	pinned(schedtest_test_yield_slice);
}

static void test_preempt_front_pinned(void)
{
	pinned(schedtest_test_preempt_front);
}

static const struct selftest tests[] = {
	{ "clock", test_clock },
	{ "ipi", test_ipi },
	{ "join", schedtest_test_join },
	{ "attr", schedtest_test_attr },
	{ "idle", schedtest_test_idle },
	{ "priority", test_priority_pinned },
	{ "mutex", schedtest_test_mutex },
	{ "mutex-steal", test_mutex_steal_pinned },
	{ "mutex-fair", test_mutex_fair_pinned },
	{ "timeout", schedtest_test_timeouts },
	{ "timeout-zero", schedtest_test_timeout_zero },
	{ "waitq", schedtest_test_waitq },
	{ "broadcast", schedtest_test_broadcast },
	{ "sleep", test_sleep_pinned },
	{ "starvation", test_starvation_pinned },
	{ "yield-slice", test_yield_slice_pinned },
	{ "preempt-front", test_preempt_front_pinned },
	{ "irq-preempt", test_irq_preempt_pinned },
	{ "fpu", test_fpu_pinned },
	{ "smp", test_smp },
	{ "strand", schedtest_test_strand },
	{ "tlb", test_tlb },
	{ "pages", test_pages },
	{ "pc-condvar", schedtest_test_pc_condvar },
	{ "pc-semaphore", schedtest_test_pc_semaphore },
	{ "churn", schedtest_test_churn },
};

#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static int watchdog(void *arg)
{
	(void)arg;
	thread_sleep_ms(WATCHDOG_MS);
	printf("FAIL schedtest: still running after %d s (deadlock?)\n",
	       WATCHDOG_MS / 1000);
	exit(1);
}

static int schedtest_main(int argc, char **argv)
{
	struct thread_attr wd = { .prio = THREAD_PRIO_MAX, .detached = 1 };

	if (argc > 1 && !strcmp(argv[1], "stop"))
		return play_host_stop(0);
	if (argc > 1 && !strcmp(argv[1], "stop-ipi"))
		return play_host_stop(1);
	thread_create("watchdog", watchdog, NULL, &wd);
	return selftest_run(tests, NTESTS, argc, argv, "schedtest",
			    "test group");
}
APP(schedtest, schedtest_main,
    "scheduler, sync, time, APIC tests (or names, -name to leave one out; stop; stop-ipi)");
