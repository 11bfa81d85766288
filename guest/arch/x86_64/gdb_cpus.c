/*
 * All-stop for the gdb stub on an SMP guest (see gdb_cpus.h).
 *
 * One CPU at a time owns the stub (owner).  Each stop has a generation:
 * the owner bumps stop_gen, sends SMP_VEC_GDB to every other scheduling
 * CPU and waits until each has parked for that generation; resuming
 * stores release_gen = stop_gen, which lets them all go, and waits until
 * they have left before it gives up the stub (as Linux's kgdb does).  It
 * hands the stub straight to a CPU waiting for its own turn (the next
 * after it, round robin), if any: left to a race, the owner, whose next
 * trap may be one instruction away (a breakpoint in a loop), won it every
 * time under QEMU's TCG, and gdb never heard of the other CPU's hits.
 *
 * The parking vector is a maskable IPI of the highest priority class,
 * not an NMI: a CPU takes it only where interrupts are on, so it never
 * parks holding a spinlock (every spinlock is taken with interrupts off)
 * that the stub needs to list threads.  A CPU spinning on a lock the
 * owner holds (a breakpoint inside a locked region) cannot answer; the
 * owner stops waiting for it after PARK_WAIT_NS and gdb sees it as
 * running.  Such a CPU runs on while gdb is served, past the int3s,
 * which are out of memory then (gdb_breakpoints.c), and while they are
 * written back at the resume: a breakpoint it passes meanwhile is
 * missed, as in a non-stop target.
 */
#include "arch/x86_64/gdb_cpus.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "kern/sched.h"
#include "kern/smp.h"
#include "kern/thread.h"
#include "kern/time.h"

#define NO_OWNER (-1)
#define PARK_WAIT_NS (2000 * NSEC_PER_MSEC)

static int owner = NO_OWNER;		/* CPU index that owns the stub */
static int waiting[KSPAWN_MAX_CPUS];	/* trapped, its turn to come */
static uint64_t stop_gen, release_gen;
static uint64_t dr_addr[4], dr7;	/* what parked CPUs load on release */
static struct gdb_parked parked[KSPAWN_MAX_CPUS];

void gdb_write_dr(int n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
	case 6: __asm__ volatile("mov %0, %%dr6" : : "r"(v)); break;
	case 7: __asm__ volatile("mov %0, %%dr7" : : "r"(v)); break;
	}
}

/*
 * The debug registers gdb left at the last release (each CPU has its own,
 * so a watchpoint set while CPU 0 was stopped fires on CPU 1 too).
 */
static void load_debug_regs(void)
{
	for (int n = 0; n < 4; n++)
		gdb_write_dr(n, __atomic_load_n(&dr_addr[n], __ATOMIC_RELAXED));
	gdb_write_dr(7, __atomic_load_n(&dr7, __ATOMIC_RELAXED));
}

/*
 * Park this CPU for stop gen: publish its frame and FPU state, wait for
 * the release, take the debug registers, and only then say it has left
 * (the release waits for that before the next stop may rewrite them).
 */
static void park(struct trap_frame *tf, uint64_t gen)
{
	struct gdb_parked *p = &parked[this_cpu()->index];

	p->tf = tf;
	p->tid = (int)thread_id(thread_self()) + 1;
	__asm__ volatile("fxsave %0" : "=m"(p->fx));
	__atomic_store_n(&p->gen, gen, __ATOMIC_RELEASE);
	while (__atomic_load_n(&release_gen, __ATOMIC_ACQUIRE) < gen)
		cpu_relax();
	load_debug_regs();
	__atomic_store_n(&p->tf, NULL, __ATOMIC_RELEASE);
}

/* A stop in progress this CPU has not parked for yet: its generation. */
static uint64_t stop_to_join(void)
{
	uint64_t gen = __atomic_load_n(&stop_gen, __ATOMIC_ACQUIRE);
	unsigned int me = this_cpu()->index;

	if (gen == __atomic_load_n(&release_gen, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&parked[me].gen, __ATOMIC_ACQUIRE) == gen)
		return 0;
	return gen;
}

/* SMP_VEC_GDB; a late one, for a stop already over, does nothing. */
static void park_irq(struct trap_frame *tf)
{
	uint64_t gen;

	apic_eoi();
	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) ==
	    (int)this_cpu()->index)
		return;
	gen = stop_to_join();
	if (gen)
		park(tf, gen);
}

void gdb_cpus_init(void)
{
	irq_set_handler(SMP_VEC_GDB, park_irq);
}

int gdb_cpus_stop(struct trap_frame *tf)
{
	int me = (int)this_cpu()->index, waited = 0, free = NO_OWNER;
	uint32_t others;
	uint64_t gen, end;

	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == me)
		return 0;
	__atomic_store_n(&waiting[me], 1, __ATOMIC_RELEASE);
	while (!__atomic_compare_exchange_n(&owner, &free, me, 0,
					    __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE)) {
		if (free == me) {	/* handed to us: gdb_cpus_release() */
			waited = 1;
			break;
		}
		gen = stop_to_join();
		if (gen) {
			park(tf, gen);
			waited = 1;
		}
		free = NO_OWNER;
		cpu_relax();
	}
	__atomic_store_n(&waiting[me], 0, __ATOMIC_RELAXED);
	/*
	 * A CPU that missed a stop (it did not answer in time, or was handed
	 * the stub before it parked) still has the debug registers from
	 * before it: a breakpoint gdb took out since would fire again the
	 * moment this one resumes.  The owner's own are gdb's already.
	 */
	load_debug_regs();
	gen = __atomic_add_fetch(&stop_gen, 1, __ATOMIC_ACQ_REL);
	others = sched_cpus_mask() & ~(1u << me);
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++)
		if ((others >> i) & 1)
			apic_send_ipi(cpu_get(i)->apic_id, SMP_VEC_GDB);
	end = time_ns() + PARK_WAIT_NS;
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++)
		while (((others >> i) & 1) &&
		       __atomic_load_n(&parked[i].gen, __ATOMIC_ACQUIRE) != gen &&
		       time_ns() < end)
			cpu_relax();
	return waited;
}

void gdb_cpus_release(const uint64_t addr[4], uint64_t dr7_value)
{
	int me = (int)this_cpu()->index, next = NO_OWNER;
	uint64_t end = time_ns() + PARK_WAIT_NS;

	for (int n = 0; n < 4; n++)
		__atomic_store_n(&dr_addr[n], addr[n], __ATOMIC_RELAXED);
	__atomic_store_n(&dr7, dr7_value, __ATOMIC_RELAXED);
	__atomic_store_n(&release_gen,
			 __atomic_load_n(&stop_gen, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
	/* Every parked CPU on its way (bounded, as the stop's wait). */
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++)
		while ((int)i != me &&
		       __atomic_load_n(&parked[i].tf, __ATOMIC_ACQUIRE) &&
		       time_ns() < end)
			cpu_relax();
	for (int i = 1; i < KSPAWN_MAX_CPUS && next == NO_OWNER; i++)
		if (__atomic_load_n(&waiting[(me + i) % KSPAWN_MAX_CPUS],
				    __ATOMIC_ACQUIRE))
			next = (me + i) % KSPAWN_MAX_CPUS;
	__atomic_store_n(&owner, next, __ATOMIC_RELEASE);
}

const struct gdb_parked *gdb_cpus_find(int tid)
{
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++) {
		const struct gdb_parked *p = &parked[i];

		if (__atomic_load_n(&p->tf, __ATOMIC_ACQUIRE) && p->tid == tid &&
		    (int)i != owner)
			return p;
	}
	return NULL;
}
