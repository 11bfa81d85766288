/*
 * The scheduler's run queues, shared by its two halves: sched.c (the
 * switch, blocking and waking, the tick, idle) and balance.c (which CPU
 * a runnable thread goes to, and CPUs taking threads from each other).
 * Each CPU has a queue per priority (struct cpu); everything here runs
 * with sched_lock held, interrupts off.  Inline: the switch and every
 * wake go through them.
 */
#ifndef KERN_RUNQ_H
#define KERN_RUNQ_H

#include "kern/thread.h"

static inline void ready_enqueue(struct cpu *c, struct thread *t, int front)
{
	t->state = THREAD_READY;
	t->cpu = c;
	if (front)
		list_add_after(&t->run_node, &c->ready[t->prio]);
	else
		list_push_back(&c->ready[t->prio], &t->run_node);
	c->ready_mask |= 1u << t->prio;
	c->nr_ready++;
}

static inline void ready_remove(struct cpu *c, struct thread *t)
{
	list_remove(&t->run_node);
	if (list_empty(&c->ready[t->prio]))
		c->ready_mask &= ~(1u << t->prio);
	c->nr_ready--;
}

static inline struct thread *ready_dequeue(struct cpu *c)
{
	struct thread *t;
	int prio;

	if (!c->ready_mask)
		return NULL;
	prio = 31 - __builtin_clz(c->ready_mask);
	t = list_entry(list_first(&c->ready[prio]), struct thread, run_node);
	ready_remove(c, t);
	return t;
}

static inline int highest_ready_prio(const struct cpu *c)
{
	return c->ready_mask ? 31 - __builtin_clz(c->ready_mask) : -1;
}

/* May t run on c: online, and in its affinity. */
static inline int allowed(const struct thread *t, const struct cpu *c)
{
	return c->online && (!t->affinity || (t->affinity >> c->index) & 1);
}

/*
 * balance.c.  sched_place(): the CPU a thread that becomes runnable
 * goes to; sched_kick(): c has a thread of priority prio ready, preempt
 * what runs there if it outranks it; sched_steal_locked(): c takes a
 * thread waiting on another CPU (1 if it took one).
 */
struct cpu *sched_place(struct thread *t);
void sched_kick(struct cpu *c, int prio);
int sched_steal_locked(struct cpu *c, int min_prio, int stranded_only);

#endif
