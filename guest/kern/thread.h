/*
 * Scheduler internals shared by sched.c and sync.c: the thread structure,
 * the per-CPU structure, and blocking and waking under the scheduler lock.
 */
#ifndef KERN_THREAD_H
#define KERN_THREAD_H

#include <stdint.h>
#include <sys/reent.h>

#include "kern/sched.h"
#include "kern/sync.h"
#include "lib/list.h"
#include "arch/x86_64/fpu.h"

struct thread {
	void *sp;			/* saved by context_switch */
	enum thread_state state;
	int prio;
	unsigned int id;
	unsigned int slice_left;	/* ticks; 0 means go to the back */
	int yielded;			/* gave up the CPU, not preempted */
	char name[THREAD_NAME_MAX];

	struct list_node run_node;	/* run queue */
	struct list_node wait_node;	/* a wait queue's waiters */
	struct wait_queue *waiting_on;
	struct list_node sleep_node;	/* timeouts, by deadline */
	uint64_t deadline_ns;
	int wake_result;		/* 0 or -ETIMEDOUT */
	struct list_node all_node;	/* every thread, for listings */

	thread_fn fn;
	void *arg;
	int exit_status;
	int detached;
	int joined;
	struct wait_queue join_wq;

	void *stack_base;		/* from stack_alloc; NULL: static */
	size_t stack_size;
	uint64_t switches;
	uint64_t preemptions;

	struct _reent *reent;
	struct _reent reent_store;
	struct fpu_state fpu;
};

/*
 * Per-CPU scheduler state.  One CPU today; everything that is per CPU
 * lives here so that more cores only add instances of it.
 */
struct cpu {
	unsigned int index;
	struct thread *current;
	struct thread *idle;
	int need_resched;
	uint32_t ready_mask;		/* bit p: queue p is not empty */
	struct list_node ready[THREAD_PRIO_MAX + 1];
	struct list_node sleepers;	/* sorted by deadline_ns */
	struct list_node zombies;	/* detached threads to free */
};

struct cpu *this_cpu(void);

/* The scheduler lock guards run queues, wait queues and thread states. */
extern struct spinlock sched_lock;

/*
 * With sched_lock held (interrupts off): block the current thread until
 * woken or until deadline_ns (0: none).  Releases the lock while others
 * run, holds it again on return.  Returns the thread's wake_result.
 */
int sched_block_locked(uint64_t deadline_ns);

/* With sched_lock held: make a blocked thread runnable. */
void sched_wake_locked(struct thread *t, int result);

/* With sched_lock held: switch away from a thread that has ended. */
void schedule_locked_noreturn(void) __attribute__((noreturn));

/* Wait-queue operations for callers that hold sched_lock already. */
int wq_wait_locked(struct wait_queue *wq, uint64_t deadline_ns);
int wq_wake_locked(struct wait_queue *wq, int all);

/* Preempt now if a wakeup asked for it and the caller may be preempted. */
void sched_preempt_check(void);

/* With sched_lock held: t's priority changes (requeued if it is ready). */
void sched_set_prio_locked(struct thread *t, int prio);

/* Make the boot context a listed thread (sched_init). */
void thread_register_idle(struct thread *t, const char *name);

/* Take a new thread's first switch: release the lock, enable interrupts. */
void sched_finish_first_switch(void);

#endif
