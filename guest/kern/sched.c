/*
 * The scheduler core: run queues, the switch, blocking and waking, the
 * tick, sleeping and the idle loop.  Thread life cycle is in thread.c.
 *
 * Locking: one scheduler lock (interrupts off) guards the run queues,
 * wait queues, sleepers and thread states.  A thread switches away while
 * holding it, and whichever thread runs next releases it: the code after
 * context_switch() in schedule_locked()'s caller, or thread_start() for a
 * thread that runs for the first time.
 */
#include <errno.h>
#include <sys/reent.h>

#include "kern/thread.h"
#include "kern/sched.h"
#include "kern/wake.h"
#include "kern/time.h"
#include "kern/panic.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"

struct spinlock sched_lock = SPINLOCK_INIT;

static struct cpu cpu0;

/* The boot context; sched_init turns it into CPU 0's idle thread. */
static struct thread boot_thread = {
	.state = THREAD_RUNNING,
	.prio = THREAD_PRIO_IDLE,
	.name = "boot",
};

struct cpu *this_cpu(void)
{
	return &cpu0;
}

struct thread *thread_self(void)
{
	struct thread *t = this_cpu()->current;

	return t ? t : &boot_thread;
}

/* ---- run queue ---------------------------------------------------------- */

static void ready_enqueue(struct cpu *c, struct thread *t, int front)
{
	t->state = THREAD_READY;
	if (front)
		list_add_after(&t->run_node, &c->ready[t->prio]);
	else
		list_push_back(&c->ready[t->prio], &t->run_node);
	c->ready_mask |= 1u << t->prio;
}

static struct thread *ready_dequeue(struct cpu *c)
{
	struct list_node *n;
	int prio;

	if (!c->ready_mask)
		return NULL;
	prio = 31 - __builtin_clz(c->ready_mask);
	n = list_pop_front(&c->ready[prio]);
	if (list_empty(&c->ready[prio]))
		c->ready_mask &= ~(1u << prio);
	return list_entry(n, struct thread, run_node);
}

static int highest_ready_prio(const struct cpu *c)
{
	return c->ready_mask ? 31 - __builtin_clz(c->ready_mask) : -1;
}

/* ---- the switch --------------------------------------------------------- */

static void switch_to(struct cpu *c, struct thread *prev, struct thread *next)
{
	next->state = THREAD_RUNNING;
	next->switches++;
	if (!next->slice_left)
		next->slice_left = SCHED_SLICE_TICKS;
	c->current = next;
	fpu_save(&prev->fpu);
	fpu_restore(&next->fpu);
	_impure_ptr = next->reent;
	context_switch(&prev->sp, next->sp);
}

/*
 * Pick the next thread and switch to it.  A thread that is still runnable
 * goes back on its queue: at the front if it was preempted with time left
 * in its slice, at the back if its slice is used up (or it yielded).
 */
static void schedule_locked(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->current, *next;

	c->need_resched = 0;
	if (prev->state == THREAD_RUNNING && prev != c->idle) {
		if (!prev->yielded)
			prev->preemptions++;
		ready_enqueue(c, prev, prev->slice_left != 0);
	}
	prev->yielded = 0;
	next = ready_dequeue(c);
	if (!next)
		next = c->idle;
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	if (prev == c->idle)
		prev->state = THREAD_READY;
	switch_to(c, prev, next);
}

void schedule_locked_noreturn(void)
{
	schedule_locked();
	panic("sched: thread '%s' ran after it ended",
	      this_cpu()->current->name);
}

static void schedule(void)
{
	uint64_t flags = irq_save();

	spin_lock(&sched_lock);
	schedule_locked();
	spin_unlock(&sched_lock);
	irq_restore(flags);
}

void sched_preempt_check(void)
{
	if (this_cpu()->need_resched && irqs_enabled())
		schedule();
}

void sched_irq_exit(void)
{
	if (this_cpu()->need_resched)
		schedule();
}

/* ---- blocking and waking ------------------------------------------------ */

static void sleeper_add(struct cpu *c, struct thread *t)
{
	struct list_node *pos;

	list_for_each(pos, &c->sleepers) {
		struct thread *o = list_entry(pos, struct thread, sleep_node);

		if (o->deadline_ns > t->deadline_ns)
			break;
	}
	list_add_before(&t->sleep_node, pos);
}

int sched_block_locked(uint64_t deadline_ns)
{
	struct cpu *c = this_cpu();
	struct thread *self = c->current;

	if (self == c->idle)
		panic("sched: the idle thread tried to block");
	self->state = THREAD_BLOCKED;
	self->wake_result = 0;
	self->deadline_ns = deadline_ns;
	if (deadline_ns)
		sleeper_add(c, self);
	schedule_locked();
	return self->wake_result;
}

void sched_wake_locked(struct thread *t, int result)
{
	struct cpu *c = this_cpu();

	if (t->state != THREAD_BLOCKED)
		return;
	list_remove(&t->sleep_node);
	if (t->waiting_on) {
		list_remove(&t->wait_node);
		t->waiting_on = NULL;
	}
	t->wake_result = result;
	if (t->prio > c->current->prio) {
		ready_enqueue(c, t, 0);
		c->need_resched = 1;
	} else if (result == -ETIMEDOUT && t->prio == c->current->prio) {
		/*
		 * A sleeper wakes on time even beside a busy peer: it
		 * goes first, and the peer to the back of the line.
		 */
		ready_enqueue(c, t, 1);
		c->current->slice_left = 0;
		c->need_resched = 1;
	} else {
		ready_enqueue(c, t, 0);
	}
}

/* Wake every sleeper whose deadline has passed. */
static void wake_expired(struct cpu *c, uint64_t now)
{
	struct list_node *n;

	while ((n = list_first(&c->sleepers))) {
		struct thread *t = list_entry(n, struct thread, sleep_node);

		if (t->deadline_ns > now)
			break;
		sched_wake_locked(t, -ETIMEDOUT);
	}
}

/* ---- the tick ----------------------------------------------------------- */

/* Called from the timer interrupt, after its EOI, interrupts off. */
void sched_tick(void)
{
	struct cpu *c = this_cpu();
	struct thread *cur;

	spin_lock(&sched_lock);
	wake_expired(c, time_ns());
	cur = c->current;
	if (cur != c->idle && cur->slice_left && !--cur->slice_left) {
		/* Slice used up: rotate only if someone else may run. */
		if (highest_ready_prio(c) >= cur->prio)
			c->need_resched = 1;
		else
			cur->slice_left = SCHED_SLICE_TICKS;
	}
	spin_unlock(&sched_lock);
	if (c->need_resched)
		schedule();
}

/* ---- voluntary switches ------------------------------------------------- */

void thread_yield(void)
{
	uint64_t flags = irq_save();

	spin_lock(&sched_lock);
	this_cpu()->current->slice_left = 0;
	this_cpu()->current->yielded = 1;
	schedule_locked();
	spin_unlock(&sched_lock);
	irq_restore(flags);
}

void thread_sleep_until(uint64_t deadline_ns)
{
	uint64_t flags;

	if (!deadline_ns)
		deadline_ns = 1;	/* 0 would mean "no deadline" */
	flags = irq_save();
	spin_lock(&sched_lock);
	if (time_ns() < deadline_ns)
		sched_block_locked(deadline_ns);
	spin_unlock(&sched_lock);
	irq_restore(flags);
}

void thread_sleep_ns(uint64_t ns)
{
	thread_sleep_until(time_ns() + ns);
}

void thread_sleep_ms(uint64_t ms)
{
	thread_sleep_ns(ms * NSEC_PER_MSEC);
}

/* ---- start-up and idle -------------------------------------------------- */

void sched_init(void)
{
	struct cpu *c = &cpu0;

	fpu_init();
	for (int p = 0; p <= THREAD_PRIO_MAX; p++)
		list_init(&c->ready[p]);
	list_init(&c->sleepers);
	list_init(&c->zombies);
	boot_thread.reent = _impure_ptr;
	c->idle = &boot_thread;
	c->current = &boot_thread;
	thread_register_idle(&boot_thread, "idle");
}

void sched_idle(void)
{
	struct cpu *c = this_cpu();

	for (;;) {
		irq_disable();
		if (c->need_resched || c->ready_mask) {
			irq_enable();
			schedule();
			continue;
		}
		wake_idle();	/* HLT, or MWAIT on the host's wake line */
	}
}

void sched_set_prio_locked(struct thread *t, int prio)
{
	struct cpu *c = this_cpu();

	if (t->state == THREAD_READY) {
		list_remove(&t->run_node);
		if (list_empty(&c->ready[t->prio]))
			c->ready_mask &= ~(1u << t->prio);
		t->prio = prio;
		ready_enqueue(c, t, 0);
	} else {
		t->prio = prio;
	}
	if (highest_ready_prio(c) > c->current->prio)
		c->need_resched = 1;
}

void sched_finish_first_switch(void)
{
	spin_unlock(&sched_lock);
	irq_enable();
}
