/*
 * Bringing up the guest's other CPUs, and the IPIs between its CPUs.
 *
 * A CPU other than 0 spins in entry64.S, touching nothing, on the host's
 * page tables, until smp_init publishes a stack for it in smp_ap_stack[].
 * The host's tables map the whole region, so the stack and this code are
 * there for it; it then moves to the guest's own tables (paging_load)
 * and sets itself up.  CPU 0 waits for each CPU in turn, a second for it
 * to come: a CPU that does not come is reported and left out of the
 * scheduler.  One that came but does not finish setting up within
 * AP_SETUP_NS more is a broken guest: CPU 0 panics, saying which.
 *
 * Left out for good: the stack stays published (the CPU may have read it
 * already), so a CPU that comes after CPU 0 gave up must see that it did
 * and park, touching nothing, rather than join a scheduler that counted
 * it absent.  One word per CPU settles who was first (ap_checkin[]).
 */
#include "kern/smp.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/panic.h"
#include "kern/power.h"
#include "kern/sched.h"
#include "kern/shared.h"
#include "kern/thread.h"
#include "kern/time.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"

#define AP_IDLE_STACK (16 * 1024)
#define AP_WAIT_NS (1000 * NSEC_PER_MSEC)
/* Setup takes no wait of its own: this is for a CPU that faulted or hung. */
#define AP_SETUP_NS (10000 * NSEC_PER_MSEC)

/* Read by entry64.S: 0 until CPU i may come in. */
uint64_t smp_ap_stack[KSPAWN_MAX_CPUS];
_Static_assert(sizeof(smp_ap_stack) / sizeof(smp_ap_stack[0]) == 16,
	       "entry64.S bounds the index by 16");

static void *ap_ist[KSPAWN_MAX_CPUS];
static uint32_t cpus_up;		/* bit i: CPU i runs the scheduler */

/*
 * CPU i's check-in, changed once by whichever side comes first: CPU i
 * (AP_IN: it goes on to join) or CPU 0 at its deadline (AP_GIVEN_UP: it
 * must not).  A compare-and-swap each, so never both.
 */
enum { AP_WAITED_FOR, AP_IN, AP_GIVEN_UP };
static uint32_t ap_checkin[KSPAWN_MAX_CPUS];

/* The test image holds a CPU back here (kern/smp.h); nothing to do here. */
__attribute__((weak)) void hostile_ap_arrives(unsigned int index,
					       int checked_in)
{
	(void)index;
	(void)checked_in;
}

/* Whether CPU index may go on, or CPU 0 gave up on it first. */
static int ap_check_in(unsigned int index)
{
	uint32_t want = AP_WAITED_FOR;

	return __atomic_compare_exchange_n(&ap_checkin[index], &want, AP_IN, 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* CPU 0 at its deadline: whether it gave up on CPU index before it came. */
static int ap_give_up(unsigned int index)
{
	uint32_t want = AP_WAITED_FOR;

	/* A plain load first: no locked write per spin once it checked in. */
	if (__atomic_load_n(&ap_checkin[index], __ATOMIC_ACQUIRE) != want)
		return 0;
	return __atomic_compare_exchange_n(&ap_checkin[index], &want,
					   AP_GIVEN_UP, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static void resched_irq(struct trap_frame *tf)
{
	(void)tf;
	apic_eoi();
	this_cpu()->resched_ipis++;
	/* trap.c's sched_irq_exit() switches to the thread that asked. */
}

static void halt_irq(struct trap_frame *tf)
{
	(void)tf;
	cpu_park();
}

void smp_send_resched(uint32_t apic_id)
{
	apic_send_ipi(apic_id, SMP_VEC_RESCHED);
}

void smp_stop_others(void)
{
	uint32_t up = __atomic_load_n(&cpus_up, __ATOMIC_ACQUIRE);
	unsigned int me = this_cpu()->index;

	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++)
		if (i != me && (up >> i) & 1)
			apic_send_ipi(cpu_get(i)->apic_id, SMP_VEC_HALT);
}

/*
 * TLB shootdown: a page another CPU may have cached goes out of the page
 * tables (a stack's guard page).  One shootdown at a time; the others
 * invalidate the page and clear their bit.  The lock is tried with
 * interrupts off but waited for with them on, so that a CPU waiting for
 * it still answers the holder's IPI.  A CPU that never answers (parked
 * by a halt) costs a bounded wait and a message, not a hang.
 *
 * Nor a panic: the pages unmapped here are guard pages (stack_alloc(),
 * schedtest's probe), which stay their owner's while unmapped and are
 * mapped again, at the same address, before anyone frees them
 * (stack_free()).  A CPU that kept the old entry therefore reaches only
 * that same page, never one handed to someone else; what it loses is the
 * guard's fault, until its entry goes.  The CPUs that do not answer are
 * parked ones, which run nothing, or ones with interrupts off for long
 * (the rogue test app's 2 s), which the host's hang check is for: a
 * panic would stop a guest that is fine.  Were a page ever unmapped here
 * to be freed or remapped elsewhere, that would change, and a CPU not
 * answering would have to be parked for good before the page is reused.
 */
#define FLUSH_WAIT_NS (100 * NSEC_PER_MSEC)

static uint32_t flush_lock;
static uint64_t flush_va;
static uint32_t flush_pending;		/* bit i: CPU i has not flushed yet */

static void flush_irq(struct trap_frame *tf)
{
	(void)tf;
	invlpg(__atomic_load_n(&flush_va, __ATOMIC_ACQUIRE));
	__atomic_and_fetch(&flush_pending, ~(1u << this_cpu()->index),
			   __ATOMIC_RELEASE);
	apic_eoi();
}

void smp_flush_tlb_page(uint64_t va)
{
	uint32_t others;
	uint64_t flags, end;

	if (!(__atomic_load_n(&cpus_up, __ATOMIC_ACQUIRE) & ~1u) &&
	    !this_cpu()->index)
		return;		/* one CPU: its own invlpg was enough */
	for (;;) {
		flags = irq_save();
		if (!__atomic_exchange_n(&flush_lock, 1, __ATOMIC_ACQUIRE))
			break;
		irq_restore(flags);
		cpu_relax();
	}
	/*
	 * The caller's invlpg ran with interrupts on: it may have moved CPUs
	 * since, so the CPU it is on now flushes too, and the others are
	 * counted from here.
	 */
	invlpg(va);
	others = __atomic_load_n(&cpus_up, __ATOMIC_ACQUIRE) &
		 ~(1u << this_cpu()->index);
	__atomic_store_n(&flush_va, va, __ATOMIC_RELEASE);
	__atomic_store_n(&flush_pending, others, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++)
		if ((others >> i) & 1)
			apic_send_ipi(cpu_get(i)->apic_id, SMP_VEC_FLUSH);
	end = time_ns() + FLUSH_WAIT_NS;
	while (__atomic_load_n(&flush_pending, __ATOMIC_ACQUIRE) &&
	       time_ns() < end)
		cpu_relax();
	others = __atomic_load_n(&flush_pending, __ATOMIC_ACQUIRE);
	__atomic_store_n(&flush_lock, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
	if (others)
		kprintf("smp: CPUs 0x%x did not flush 0x%llx: its guard may not fault there\n",
			others, (unsigned long long)va);
}

void smp_ap_main(unsigned int index)
{
	hostile_ap_arrives(index, 0);
	/*
	 * Too late: CPU 0 said so and counted us out.  Park as the CPU
	 * waiting in entry64.S would, on the host's tables, before this CPU
	 * touches its GS, its struct cpu or the scheduler.
	 */
	if (!ap_check_in(index))
		cpu_park();
	hostile_ap_arrives(index, 1);
	paging_load();
	cpu_local_init(index, 0);
	gdt_init_cpu(index, ap_ist[index]);
	idt_load();
	apic_init(kspawn_hdr);
	this_cpu()->apic_id = apic_id();
	sched_init_cpu(index);
	if (apic_timer_start(HZ, APIC_VEC_TIMER, apic_timer_input_khz()))
		panic("smp: CPU %u: no timer", index);
	__atomic_or_fetch(&cpus_up, 1u << index, __ATOMIC_RELEASE);
	sched_idle();
}

/*
 * Let CPU index in and wait for it; 0 if it came.  Past the deadline it
 * is given up, unless it checked in first: then it is setting itself up,
 * which takes no wait of its own, and is waited for; it can no longer be
 * left out (it may be in the scheduler any moment), so one that never
 * finishes (a fault on the host's tables, a hang) panics the guest rather
 * than hang its boot without a word.
 */
static int start_cpu(unsigned int index, uint32_t apic)
{
	void *stack = stack_alloc(AP_IDLE_STACK);
	uint64_t end;

	ap_ist[index] = page_alloc(IST_AREA_SIZE / PAGE_SIZE);
	if (!stack || !ap_ist[index]) {
		kprintf("smp: no memory for CPU %u\n", index);
		return -1;
	}
	__atomic_store_n(&smp_ap_stack[index],
			 (uint64_t)stack + AP_IDLE_STACK, __ATOMIC_RELEASE);
	end = time_ns() + AP_WAIT_NS;
	while (!(__atomic_load_n(&cpus_up, __ATOMIC_ACQUIRE) & (1u << index))) {
		uint64_t now = time_ns();

		if (now > end && ap_give_up(index)) {
			kprintf("smp: CPU %u (APIC ID %u) did not come up in %u ms: left out, and it parks if it comes later\n",
				index, apic,
				(unsigned int)(AP_WAIT_NS / NSEC_PER_MSEC));
			return -1;
		}
		if (now > end + AP_SETUP_NS)
			panic("smp: CPU %u (APIC ID %u) came in but did not finish setting up in %u ms",
			      index, apic,
			      (unsigned int)(AP_SETUP_NS / NSEC_PER_MSEC));
		cpu_relax();
	}
	return 0;
}

void smp_init(const struct kspawn_header *hdr)
{
	unsigned int n = hdr->ncpus, up = 1;

	this_cpu()->apic_id = apic_id();
	cpus_up = 1;
	irq_set_handler(SMP_VEC_RESCHED, resched_irq);
	irq_set_handler(SMP_VEC_HALT, halt_irq);
	irq_set_handler(SMP_VEC_FLUSH, flush_irq);
	if ((hdr->flags & KSPAWN_HF_STANDALONE) || n <= 1)
		return;
	if (n > KSPAWN_MAX_CPUS)
		n = KSPAWN_MAX_CPUS;
	for (unsigned int i = 1; i < n; i++)
		if (!start_cpu(i, hdr->cpu_apic_id[i]))
			up++;
	kprintf("smp: %u of %u CPUs online\n", up, n);
}
