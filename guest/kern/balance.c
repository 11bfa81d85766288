/*
 * Where threads run on an SMP guest: the CPU a thread that becomes
 * runnable goes to (sched_place), telling that CPU to switch to it
 * (sched_kick), and CPUs taking waiting threads from each other
 * (sched_steal_locked: an idle CPU from busy ones, a busy one those stuck
 * behind a higher priority).  The run queues are runq.h's; all of it
 * runs with sched_lock held, interrupts off.
 */
#include "kern/runq.h"
#include "kern/smp.h"

static unsigned int load(const struct cpu *c)
{
	return c->nr_ready + (c->current != c->idle);
}

/*
 * Where a thread that becomes runnable goes: here if it outranks what
 * runs here (it preempts at once, as on one CPU), else the least loaded
 * CPU it may use, the one it ran on last winning a tie (its cache), then
 * this one.
 */
struct cpu *sched_place(struct thread *t)
{
	struct cpu *me = this_cpu(), *best = NULL;

	if (allowed(t, me) && t->prio > me->current->prio)
		return me;
	if (t->cpu && allowed(t, t->cpu))
		best = t->cpu;
	else if (allowed(t, me))
		best = me;
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++) {
		struct cpu *c = cpu_get(i);

		if (allowed(t, c) && (!best || load(c) < load(best)))
			best = c;
	}
	return best ? best : me;	/* no CPU allowed: cannot happen */
}

/* c has a thread of priority prio ready: preempt what runs there? */
void sched_kick(struct cpu *c, int prio)
{
	if (prio <= c->current->prio)
		return;
	c->need_resched = 1;
	if (c == this_cpu())
		return;
	/* Pairs with idle_poll() (sched.c): a polling CPU sees need_resched. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&c->polling, __ATOMIC_RELAXED))
		smp_send_resched(c->apic_id);
}

/*
 * CPU c takes a thread waiting on another CPU's queue: the one of the
 * highest priority (at least min_prio) that c may run, from the
 * busiest CPU on a tie.  Never one that outranks what runs on its CPU:
 * that CPU was told to switch to it (sched_kick()).  With stranded_only,
 * only one that what runs on its CPU outranks, which cannot run there
 * until that ends.  Returns 1 if it took one.
 */
int sched_steal_locked(struct cpu *c, int min_prio, int stranded_only)
{
	struct thread *best = NULL;
	struct cpu *from = NULL;

	if (min_prio <= THREAD_PRIO_IDLE)
		min_prio = THREAD_PRIO_IDLE + 1;
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++) {
		struct cpu *o = cpu_get(i);
		uint32_t top, mask;

		if (o == c || !o->online || !o->nr_ready)
			continue;
		top = (uint32_t)o->current->prio;
		/* Priorities min_prio..top, or below top if stranded_only. */
		mask = o->ready_mask & ~((1u << min_prio) - 1);
		mask &= stranded_only ? (1u << top) - 1 : (2u << top) - 1;
		while (mask) {
			int p = 31 - __builtin_clz(mask);
			struct list_node *n;

			mask &= ~(1u << p);
			if (best && (p < best->prio ||
				     (p == best->prio &&
				      o->nr_ready <= from->nr_ready)))
				break;
			list_for_each(n, &o->ready[p]) {
				struct thread *t = list_entry(n, struct thread,
							      run_node);

				if (allowed(t, c)) {
					best = t;
					from = o;
					break;
				}
			}
			if (from == o)
				break;
		}
	}
	if (!best)
		return 0;
	ready_remove(from, best);
	ready_enqueue(c, best, 0);
	c->stolen++;
	return 1;
}
