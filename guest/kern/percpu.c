/*
 * The guest's CPUs as the scheduler knows them: a struct cpu each,
 * reached through GS (this_cpu()), and the mask of those that schedule
 * threads, which sched_ncpus() and friends answer from.
 *
 * Apart from sched.c, which decides what runs where: this is the table
 * and the mask only, each CPU's entry set up once as it comes in and
 * read by everyone after.
 */
#include "abi/kspawn_abi.h"
#include "kern/thread.h"
#include "kern/sched.h"
#include "arch/x86_64/cpu.h"

#define MSR_GS_BASE 0xc0000101

struct cpu cpu_table[KSPAWN_MAX_CPUS];
static uint32_t online_mask;		/* bit i: CPU i schedules */

void cpu_local_init(unsigned int index, uint32_t apic_id)
{
	struct cpu *c = &cpu_table[index];

	c->self = c;
	c->index = index;
	c->apic_id = apic_id;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

void cpu_set_online(struct cpu *c)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);

	c->online = 1;
	__atomic_or_fetch(&online_mask, 1u << c->index, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&sched_lock, flags);
}

unsigned int sched_ncpus(void)
{
	uint32_t m = __atomic_load_n(&online_mask, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	for (; m; m &= m - 1)	/* no libgcc: no __builtin_popcount */
		n++;
	return n;
}

uint32_t sched_cpus_mask(void)
{
	return __atomic_load_n(&online_mask, __ATOMIC_ACQUIRE);
}

unsigned int sched_cpu(void)
{
	return this_cpu()->index;
}
