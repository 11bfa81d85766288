/*
 * Scheduler internals shared by sched.c, percpu.c and sync.c: the thread
 * structure, the per-CPU structure, and blocking and waking under the
 * scheduler lock.
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
	struct cpu *cpu;		/* whose run queue; where it last ran */
	uint32_t affinity;		/* bit i: may run on CPU i; 0: any */
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
	/*
	 * A CPU's idle thread (thread_register_idle): never joined, detached
	 * or given a priority, whichever CPU asks.  A mark on the thread,
	 * because a CPU knows only its own idle thread (cpu.idle).
	 */
	int is_idle;
	struct wait_queue join_wq;

	void *stack_base;		/* from stack_alloc; NULL: static */
	size_t stack_size;
	uint64_t switches;
	uint64_t preemptions;
	/*
	 * netif_tx_hold()s not released (kern/virtio_net.c): a batch is the
	 * thread's own, so one preempted inside it holds back no one else.
	 */
	int tx_hold;

	struct _reent *reent;
	struct _reent reent_store;
	struct fpu_state fpu;
};

/*
 * Per-CPU state, one per guest CPU, reached through GS (this_cpu()).
 * Each CPU has its own run queues and sleepers; one scheduler lock
 * guards them all, so a thread moves between CPUs under that lock.
 */
struct cpu {
	struct cpu *self;		/* at GS:0, for this_cpu() */
	unsigned int index;		/* in kspawn_header.cpu_apic_id[] */
	uint32_t apic_id;
	int online;			/* schedules threads */
	struct thread *current;
	struct thread *idle;
	int need_resched;
	int polling;			/* idle and polling need_resched */
	unsigned int nr_ready;		/* threads on ready[] */
	uint32_t ready_mask;		/* bit p: queue p is not empty */
	struct list_node ready[THREAD_PRIO_MAX + 1];
	struct list_node sleepers;	/* sorted by deadline_ns */
	uint64_t stolen;		/* threads it took from other CPUs */
	uint64_t resched_ipis;		/* reschedule IPIs it received */
};

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/*
 * The thread running on this CPU, in one load from GS.  Not
 * this_cpu()->current with interrupts on: preempted between the two loads,
 * a thread may resume on another CPU (stolen) and read the first CPU's
 * current thread, someone else.
 */
static inline struct thread *this_cpu_current(void)
{
	struct thread *t;

	__asm__ volatile("movq %%gs:%c1, %0"
			 : "=r"(t)
			 : "i"(__builtin_offsetof(struct cpu, current)));
	return t;
}

/* Every CPU's structure, KSPAWN_MAX_CPUS of them (percpu.c). */
extern struct cpu cpu_table[];

/*
 * CPU index's structure (index < KSPAWN_MAX_CPUS).  Inline: the
 * scheduler looks at every CPU's on each wake (balance.c's sched_place()).
 */
static inline struct cpu *cpu_get(unsigned int index)
{
	return &cpu_table[index];
}

/* Point GS at CPU index's structure; first thing on every CPU. */
void cpu_local_init(unsigned int index, uint32_t apic_id);

/* CPU c schedules threads from now on (counted by sched_ncpus()). */
void cpu_set_online(struct cpu *c);

/* Detached threads that ended, to free (any CPU's); under sched_lock. */
extern struct list_node sched_zombies;

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
