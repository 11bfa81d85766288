/*
 * Thread life cycle: create, exit, join, detach, and listings.
 *
 * A thread's struct sits at the top of its own stack allocation (one
 * allocation per thread, with the guard page at the bottom), so freeing
 * the stack frees the thread.  A thread cannot free the stack it runs on:
 * a joined thread is freed by its joiner, a detached one by whichever
 * thread next creates or joins a thread.
 */
#include <string.h>

#include "kern/thread.h"
#include "kern/sched.h"
#include "kern/mm.h"
#include "kern/panic.h"
#include "kern/time.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "libc/reent.h"

/* Below this a thread's own struct would leave too little stack. */
#define THREAD_STACK_MIN (16 * 1024)

/* Guarded by sched_lock. */
static struct list_node all_threads = LIST_HEAD_INIT(all_threads);
static unsigned int last_id;

static void links_init(struct thread *t)
{
	list_init(&t->run_node);
	list_init(&t->wait_node);
	list_init(&t->sleep_node);
	list_init(&t->all_node);
	wq_init(&t->join_wq);
}

static void set_name(struct thread *t, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n >= THREAD_NAME_MAX)
		n = THREAD_NAME_MAX - 1;
	memcpy(t->name, name ? name : "", n);
	t->name[n] = '\0';
}

void thread_register_idle(struct thread *t, const char *name)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);

	links_init(t);
	set_name(t, name);
	t->is_idle = 1;
	/* CPU 0's idle thread is 0 (gdb's 1); other CPUs' idle threads
	 * need IDs of their own, or a debugger sees one idle thread. */
	t->id = list_empty(&all_threads) ? 0 : ++last_id;
	list_push_back(&all_threads, &t->all_node);
	spin_unlock_irqrestore(&sched_lock, flags);
}

static void thread_start(void *arg)
{
	struct thread *t = arg;

	sched_finish_first_switch();
	thread_exit(t->fn(t->arg));
}

static void thread_free(struct thread *t)
{
	libc_thread_free(t->reent);
	stack_free(t->stack_base, t->stack_size);
}

static void reap_zombies(void)
{
	struct list_node dead, *n;
	uint64_t flags;

	list_init(&dead);
	flags = spin_lock_irqsave(&sched_lock);
	while ((n = list_pop_front(&sched_zombies))) {
		struct thread *t = list_entry(n, struct thread, run_node);

		list_remove(&t->all_node);
		list_push_back(&dead, n);
	}
	spin_unlock_irqrestore(&sched_lock, flags);
	while ((n = list_pop_front(&dead)))
		thread_free(list_entry(n, struct thread, run_node));
}

static int attr_resolve(const struct thread_attr *attr, struct thread_attr *a)
{
	*a = attr ? *attr : (struct thread_attr){ 0 };
	if (!a->prio)
		a->prio = THREAD_PRIO_NORMAL;
	if (!a->stack_size)
		a->stack_size = THREAD_STACK_DEFAULT;
	a->stack_size = PAGE_ALIGN(a->stack_size);
	if (a->prio < THREAD_PRIO_MIN || a->prio > THREAD_PRIO_MAX)
		return -1;
	if (a->cpus && !(a->cpus & sched_cpus_mask()))
		return -1;
	if (a->stack_size < THREAD_STACK_MIN)
		return -1;
	return 0;
}

/* The struct at the top of the stack; the stack proper grows below it. */
static struct thread *thread_alloc(size_t stack_size)
{
	char *base = stack_alloc(stack_size);
	uintptr_t at;
	struct thread *t;

	if (!base)
		return NULL;
	at = ((uintptr_t)base + stack_size - sizeof(*t)) & ~(uintptr_t)63;
	t = (struct thread *)at;
	memset(t, 0, sizeof(*t));
	t->stack_base = base;
	t->stack_size = stack_size;
	return t;
}

struct thread *thread_create(const char *name, thread_fn fn, void *arg,
			     const struct thread_attr *attr)
{
	struct thread_attr a;
	struct thread *t;
	uint64_t flags;

	if (!fn || attr_resolve(attr, &a))
		return NULL;
	reap_zombies();
	t = thread_alloc(a.stack_size);
	if (!t)
		return NULL;
	links_init(t);
	set_name(t, name);
	t->prio = a.prio;
	t->affinity = a.cpus;
	t->detached = a.detached;
	t->fn = fn;
	t->arg = arg;
	t->reent = &t->reent_store;
	libc_thread_init(t->reent);
	fpu_state_init(&t->fpu);
	t->sp = context_init(t, thread_start, t);
	t->state = THREAD_BLOCKED;

	flags = spin_lock_irqsave(&sched_lock);
	t->id = ++last_id;
	list_push_back(&all_threads, &t->all_node);
	sched_wake_locked(t, 0);
	spin_unlock_irqrestore(&sched_lock, flags);
	return t;
}

void thread_exit(int status)
{
	struct thread *self = thread_self();

	/*
	 * An idle thread never moves: if it is us, this CPU is ours.  No
	 * current thread at all: too early (before sched_init) to exit.
	 */
	if (!this_cpu_current() || self == this_cpu()->idle)
		panic("thread_exit: the idle thread cannot exit");
	libc_thread_exit(self->reent);
	irq_disable();
	spin_lock(&sched_lock);
	self->exit_status = status;
	self->state = THREAD_ZOMBIE;
	if (self->detached)
		list_push_back(&sched_zombies, &self->run_node);
	else
		wq_wake_locked(&self->join_wq, 1);
	schedule_locked_noreturn();
}

int thread_join(struct thread *t)
{
	uint64_t flags;
	int status;

	if (!t || t == thread_self())
		return -1;
	flags = spin_lock_irqsave(&sched_lock);
	if (t->detached || t->joined || t->is_idle) {
		spin_unlock_irqrestore(&sched_lock, flags);
		return -1;
	}
	t->joined = 1;
	while (t->state != THREAD_ZOMBIE)
		wq_wait_locked(&t->join_wq, 0);
	status = t->exit_status;
	list_remove(&t->all_node);
	spin_unlock_irqrestore(&sched_lock, flags);
	thread_free(t);
	reap_zombies();
	return status;
}

int thread_detach(struct thread *t)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	int zombie;

	if (t->joined || t->detached || t->is_idle) {
		spin_unlock_irqrestore(&sched_lock, flags);
		return -1;
	}
	t->detached = 1;
	zombie = t->state == THREAD_ZOMBIE;
	if (zombie)
		list_remove(&t->all_node);
	spin_unlock_irqrestore(&sched_lock, flags);
	if (zombie)
		thread_free(t);
	return 0;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

unsigned int thread_id(const struct thread *t)
{
	return t->id;
}

int thread_priority(const struct thread *t)
{
	return t->prio;
}

int thread_set_priority(struct thread *t, int prio)
{
	uint64_t flags;

	if (prio < THREAD_PRIO_MIN || prio > THREAD_PRIO_MAX || t->is_idle)
		return -1;
	flags = spin_lock_irqsave(&sched_lock);
	sched_set_prio_locked(t, prio);
	spin_unlock_irqrestore(&sched_lock, flags);
	return 0;
}

static void info_fill(const struct thread *t, struct thread_info *info)
{
	info->id = t->id;
	memcpy(info->name, t->name, sizeof(info->name));
	info->state = t->state;
	info->prio = t->prio;
	info->switches = t->switches;
	info->preemptions = t->preemptions;
	info->saved_sp = t->state == THREAD_RUNNING ? NULL : t->sp;
	info->cpu = t->cpu ? t->cpu->index : 0;
}

void thread_get_info(const struct thread *t, struct thread_info *info)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);

	info_fill(t, info);
	spin_unlock_irqrestore(&sched_lock, flags);
}

int thread_for_each(int (*fn)(const struct thread *t, void *arg), void *arg)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	struct list_node *pos;
	int ret = 0;

	list_for_each(pos, &all_threads) {
		ret = fn(list_entry(pos, struct thread, all_node), arg);
		if (ret)
			break;
	}
	spin_unlock_irqrestore(&sched_lock, flags);
	return ret;
}

/*
 * The debugger stopped the world, possibly inside the scheduler: the
 * stopped CPU may hold sched_lock itself (a breakpoint in a *_locked
 * function), and then taking it again would spin forever.  In that case
 * nothing else can change the lists, so look without it.  Another CPU
 * holds it only with interrupts off and lets go within microseconds,
 * unless it is itself caught in a trap waiting for the stub: wait a
 * bounded time, then look without it too.  Returns whether it was taken.
 */
#define DEBUG_LOCK_WAIT_NS (50 * NSEC_PER_MSEC)
#define DEBUG_WALK_MAX 100000	/* a list caught mid-update may not close */

static int debug_lock(void)
{
	uint64_t start;

	if (spin_held_here(&sched_lock))
		return 0;
	start = time_ns();
	while (!spin_trylock(&sched_lock)) {
		if (time_ns() - start > DEBUG_LOCK_WAIT_NS)
			return 0;
		cpu_relax();
	}
	return 1;
}

void thread_get_info_stopped(const struct thread *t, struct thread_info *info)
{
	int locked = debug_lock();

	info_fill(t, info);
	if (locked)
		spin_unlock(&sched_lock);
}

int thread_for_each_stopped(int (*fn)(const struct thread *t, void *arg),
			    void *arg)
{
	int locked = debug_lock();
	struct list_node *pos = all_threads.next;
	int ret = 0, n;

	for (n = 0; pos != &all_threads && n < DEBUG_WALK_MAX; n++) {
		ret = fn(list_entry(pos, struct thread, all_node), arg);
		if (ret)
			break;
		pos = pos->next;
	}
	if (locked)
		spin_unlock(&sched_lock);
	return ret;
}
