/*
 * The scheduler core: the switch, blocking and waking, the tick,
 * sleeping and the idle loop.  The run queues are runq.h's, which CPU a
 * thread goes to and load balancing balance.c's, thread life cycle is in
 * thread.c, the CPUs' structures and which of them schedule in percpu.c.
 *
 * Locking: one scheduler lock (interrupts off) guards every CPU's run
 * queues and sleepers, the wait queues and thread states.  A thread
 * switches away while holding it, and whichever thread runs next on that
 * CPU releases it: the code after context_switch() in schedule_locked()'s
 * caller, or thread_start() for a thread that runs for the first time.
 * So no other CPU can pick up a thread before its registers are saved:
 * it would need the lock.
 */
#include <errno.h>
#include <sys/reent.h>

#include "libc/reent.h"
#include "kern/thread.h"
#include "kern/runq.h"
#include "kern/sched.h"
#include "kern/smp.h"
#include "kern/wake.h"
#include "kern/time.h"
#include "kern/panic.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"

struct spinlock sched_lock = SPINLOCK_INIT;
struct list_node sched_zombies = LIST_HEAD_INIT(sched_zombies);

/* The boot context; sched_init turns it into CPU 0's idle thread. */
static struct thread boot_thread = {
	.state = THREAD_RUNNING,
	.prio = THREAD_PRIO_IDLE,
	.name = "boot",
};
static struct thread ap_idle[KSPAWN_MAX_CPUS];

struct thread *thread_self(void)
{
	struct thread *t = this_cpu_current();

	return t ? t : &boot_thread;
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
		if (allowed(prev, c)) {
			ready_enqueue(c, prev, prev->slice_left != 0);
		} else {	/* its affinity changed: off it goes */
			struct cpu *to = sched_place(prev);

			ready_enqueue(to, prev, 0);
			sched_kick(to, prev->prio);
		}
	}
	prev->yielded = 0;
	next = ready_dequeue(c);
	if (!next)
		next = c->idle;
	if (next == prev) {
		/*
		 * It keeps the CPU with its slice perhaps used up (a yield,
		 * or a peer stolen between the tick and here): switch_to()
		 * refills only a thread switched in, and the tick counts
		 * down only a slice not yet 0, so refill it here or it
		 * never rotates with a peer made ready later.
		 */
		prev->state = THREAD_RUNNING;
		if (!prev->slice_left)
			prev->slice_left = SCHED_SLICE_TICKS;
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

/*
 * An interrupt never switches the idle thread out: it looks at
 * need_resched itself the moment the interrupt returns (after its HLT,
 * MWAIT or poll), and it must first step off the host's wake line.
 * Switched out between its MWAIT and that, it left the line saying
 * "waiting", and the host wrote the running thread's interrupts there
 * instead of sending them (kern/wake.c).
 */
static int preempt_from_irq(const struct cpu *c)
{
	return c->need_resched && c->current != c->idle;
}

/*
 * After every interrupt handler (trap.c's hook, set in sched_init()): a
 * thread the handler woke that outranks the interrupted one runs now
 * rather than at the next tick.
 */
static void sched_irq_exit(void)
{
	if (preempt_from_irq(this_cpu()))
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
	struct cpu *c;

	if (t->state != THREAD_BLOCKED)
		return;
	list_remove(&t->sleep_node);
	if (t->waiting_on) {
		list_remove(&t->wait_node);
		t->waiting_on = NULL;
	}
	t->wake_result = result;
	c = sched_place(t);
	if (result == -ETIMEDOUT && t->prio == c->current->prio &&
	    c->current != c->idle) {
		/*
		 * A sleeper wakes on time even beside a busy peer: it
		 * goes first, and the peer to the back of the line.
		 */
		ready_enqueue(c, t, 1);
		c->current->slice_left = 0;
		c->need_resched = 1;
		if (c != this_cpu())
			smp_send_resched(c->apic_id);
	} else {
		ready_enqueue(c, t, 0);
		sched_kick(c, t->prio);
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
	int top;

	spin_lock(&sched_lock);
	wake_expired(c, time_ns());
	cur = c->current;
	/*
	 * With nothing queued to take turns with what runs here, take a
	 * thread waiting elsewhere that may run here; else still one stuck
	 * behind a higher priority on its own CPU.  Not "only with an empty
	 * queue": a lower priority queued here left it stuck there for as
	 * long as that ran.  Never one that cannot run here either, nor
	 * one that would wait here behind a thread queued already (woken,
	 * its reschedule to come).
	 */
	top = highest_ready_prio(c);
	if (sched_steal_locked(c, top > cur->prio ? top : cur->prio,
			 top >= cur->prio))
		sched_kick(c, highest_ready_prio(c));
	if (cur != c->idle && cur->slice_left && !--cur->slice_left) {
		/* Slice used up: rotate only if someone else may run. */
		if (highest_ready_prio(c) >= cur->prio)
			c->need_resched = 1;
		else
			cur->slice_left = SCHED_SLICE_TICKS;
	}
	spin_unlock(&sched_lock);
	/* The switch, if one is due: trap.c calls sched_irq_exit() next. */
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
	thread_sleep_until(time_after_ns(ns));
}

void thread_sleep_ms(uint64_t ms)
{
	thread_sleep_ns(ms_to_ns(ms));
}

/* ---- start-up and idle -------------------------------------------------- */

static void cpu_sched_init(struct cpu *c, struct thread *idle)
{
	for (int p = 0; p <= THREAD_PRIO_MAX; p++)
		list_init(&c->ready[p]);
	list_init(&c->sleepers);
	idle->cpu = c;
	c->idle = idle;
	c->current = idle;
}

void sched_init(void)
{
	struct cpu *c = this_cpu();

	fpu_init();
	irq_set_exit(sched_irq_exit);
	boot_thread.reent = _impure_ptr;
	cpu_sched_init(c, &boot_thread);
	libc_percpu_ready();
	thread_register_idle(&boot_thread, "idle");
	cpu_set_online(c);
}

void sched_init_cpu(unsigned int index)
{
	struct cpu *c = this_cpu();
	struct thread *idle = &ap_idle[index];
	char name[THREAD_NAME_MAX] = "idle";

	fpu_cpu_init();
	idle->state = THREAD_RUNNING;
	idle->prio = THREAD_PRIO_IDLE;
	idle->reent = _impure_ptr;
	cpu_sched_init(c, idle);
	name[4] = (char)('0' + index / 10);
	name[5] = (char)('0' + index % 10);
	thread_register_idle(idle, name);
	cpu_set_online(c);
}

/*
 * A CPU whose last thread just blocked polls for a while before it halts:
 * on an SMP guest the thread it ran often hands work to a thread on
 * another CPU that hands it back at once (a lock, a semaphore), and a
 * wake that finds it polling costs a store, not an IPI and a way out of
 * HLT (Linux's idle poll state, for the same reason).  Only after a
 * thread ran: an idle CPU woken by its tick halts again at once.
 */
#define IDLE_POLL_NS (100 * 1000)

static void idle_poll(struct cpu *c)
{
	uint64_t end = time_ns() + IDLE_POLL_NS;

	__atomic_store_n(&c->polling, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	irq_enable();
	while (!__atomic_load_n(&c->need_resched, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&c->ready_mask, __ATOMIC_RELAXED) &&
	       time_ns() < end)
		cpu_relax();
	irq_disable();
	__atomic_store_n(&c->polling, 0, __ATOMIC_RELAXED);
	/* A waker that saw polling skipped its IPI: look again, below. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void sched_idle(void)
{
	struct cpu *c = this_cpu();
	uint64_t ran = c->idle->switches;

	for (;;) {
		irq_disable();
		if (!c->ready_mask && sched_ncpus() > 1) {
			spin_lock(&sched_lock);
			sched_steal_locked(c, THREAD_PRIO_MIN, 0);
			spin_unlock(&sched_lock);
		}
		if (c->need_resched || c->ready_mask) {
			irq_enable();
			schedule();
			continue;
		}
		if (c->idle->switches != ran && sched_ncpus() > 1) {
			ran = c->idle->switches;
			idle_poll(c);
			continue;
		}
		wake_idle();	/* HLT, or MWAIT on the host's wake line */
	}
}

void sched_set_prio_locked(struct thread *t, int prio)
{
	struct cpu *c = t->cpu ? t->cpu : this_cpu();

	if (t->state == THREAD_READY) {
		ready_remove(c, t);
		t->prio = prio;
		ready_enqueue(c, t, 0);
		sched_kick(c, prio);
	} else {
		t->prio = prio;
		if (t->state == THREAD_RUNNING &&
		    highest_ready_prio(c) > prio) {
			c->need_resched = 1;
			if (c != this_cpu())
				smp_send_resched(c->apic_id);
		}
	}
}

int thread_set_affinity(struct thread *t, uint32_t mask)
{
	uint64_t flags;

	if (mask && !(mask & sched_cpus_mask()))
		return -1;
	flags = spin_lock_irqsave(&sched_lock);
	if (t->is_idle) {
		spin_unlock_irqrestore(&sched_lock, flags);
		return -1;
	}
	t->affinity = mask;
	if (t->state == THREAD_READY && !allowed(t, t->cpu)) {
		struct cpu *to;

		ready_remove(t->cpu, t);
		to = sched_place(t);
		ready_enqueue(to, t, 0);
		sched_kick(to, t->prio);
	} else if (t->state == THREAD_RUNNING && !allowed(t, t->cpu)) {
		/* schedule_locked moves it when it next stops here */
		t->cpu->need_resched = 1;
		if (t->cpu != this_cpu())
			smp_send_resched(t->cpu->apic_id);
	}
	spin_unlock_irqrestore(&sched_lock, flags);
	return 0;
}

uint32_t thread_affinity(const struct thread *t)
{
	return t->affinity;
}

void sched_finish_first_switch(void)
{
	spin_unlock(&sched_lock);
	irq_enable();
}
