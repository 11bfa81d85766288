/*
 * Threads and the scheduler.
 *
 * Every thread has its own stack (with a guard page below it), its own
 * FPU/SSE state and its own newlib reentrancy structure (so errno and
 * stdio buffers are per thread).  Scheduling is preemptive round-robin
 * within strict priorities: the highest-priority runnable thread runs; a
 * thread runs for SCHED_SLICE_TICKS timer ticks before the next runnable
 * thread of the same priority gets the CPU; waking a thread of higher
 * priority than the running one preempts it at once.
 *
 * Creating a thread:
 *
 *	static int worker(void *arg) { ...; return 0; }
 *
 *	struct thread_attr attr = { .prio = THREAD_PRIO_HIGH };
 *	struct thread *t = thread_create("worker", worker, ctx, &attr);
 *	...
 *	int status = thread_join(t);	(worker's return value)
 */
#ifndef KERN_SCHED_H
#define KERN_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct thread;

#define THREAD_PRIO_IDLE 0		/* the idle thread only */
#define THREAD_PRIO_MIN 1
#define THREAD_PRIO_LOW 8
#define THREAD_PRIO_NORMAL 16
#define THREAD_PRIO_HIGH 24
#define THREAD_PRIO_MAX 31

#define THREAD_NAME_MAX 16		/* including the NUL */
#define THREAD_STACK_DEFAULT (64 * 1024)
#define SCHED_SLICE_TICKS 5

typedef int (*thread_fn)(void *arg);

struct thread_attr {
	int prio;		/* THREAD_PRIO_MIN..MAX; 0 means NORMAL */
	size_t stack_size;	/* bytes (page multiple); 0 means default */
	int detached;		/* freed when it exits; cannot be joined */
	unsigned int cpus;	/* bit i: may run on guest CPU i; 0 means any */
};

/*
 * Create a thread running fn(arg); attr may be NULL for the defaults.
 * It may run before this returns (if its priority is higher than the
 * caller's).  Returns NULL if memory ran out or attr is invalid.
 * thread_create, thread_join and thread_detach may sleep: threads only.
 */
struct thread *thread_create(const char *name, thread_fn fn, void *arg,
			     const struct thread_attr *attr);

/*
 * Wait for t to end and return its exit status (fn's return value or
 * thread_exit's argument), then free it.  One join per thread; detached
 * threads and the caller itself cannot be joined (returns -1).
 */
int thread_join(struct thread *t);

/* Let t free itself when it ends.  Returns 0, or -1 if t was joined. */
int thread_detach(struct thread *t);

void thread_exit(int status) __attribute__((noreturn));

/* Give the CPU to another runnable thread of the same priority, if any. */
void thread_yield(void);

/* Sleep at least until time_ns() >= deadline_ns (or for ns / ms). */
void thread_sleep_until(uint64_t deadline_ns);
void thread_sleep_ns(uint64_t ns);
void thread_sleep_ms(uint64_t ms);

struct thread *thread_self(void);
const char *thread_name(const struct thread *t);
unsigned int thread_id(const struct thread *t);
int thread_priority(const struct thread *t);
/* Returns 0, or -1 if prio is out of range. */
int thread_set_priority(struct thread *t, int prio);

/*
 * SMP.  The guest's CPUs are numbered 0..sched_ncpus()-1.  A thread runs
 * on any CPU its affinity allows (all, unless attr.cpus or
 * thread_set_affinity said otherwise: one bit pins it).  New and woken
 * threads go to the least loaded CPU they may use, an idle CPU takes
 * waiting threads from busy ones, a busy one those stuck behind a higher
 * priority that it can run, and a thread made runnable on another
 * CPU with a higher priority than what runs there preempts it at once
 * (reschedule IPI).
 */
unsigned int sched_ncpus(void);		/* CPUs that schedule threads */
uint32_t sched_cpus_mask(void);		/* bit i: CPU i schedules */
unsigned int sched_cpu(void);		/* the calling thread's CPU now */
/* Returns 0, or -1 if mask names no CPU that schedules. */
int thread_set_affinity(struct thread *t, uint32_t mask);
uint32_t thread_affinity(const struct thread *t);	/* 0: any */

enum thread_state {
	THREAD_READY,		/* runnable, waiting for the CPU */
	THREAD_RUNNING,
	THREAD_BLOCKED,		/* on a wait queue, or sleeping */
	THREAD_ZOMBIE,		/* ended, not yet joined */
};

/*
 * A consistent snapshot of a thread, e.g. for a debugger or a listing.
 * A thread that is not running stopped inside context_switch: saved_sp
 * points at its struct switch_frame (arch/x86_64/context.h), which holds
 * rbx, rbp, r12-r15 and the rip it resumes at; its rsp is saved_sp plus
 * sizeof(struct switch_frame).
 */
struct thread_info {
	unsigned int id;
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	int prio;
	uint64_t switches;	/* times it was given the CPU */
	uint64_t preemptions;	/* times it lost the CPU while runnable */
	void *saved_sp;		/* struct switch_frame, unless RUNNING */
	unsigned int cpu;	/* where it runs, or ran last */
};

void thread_get_info(const struct thread *t, struct thread_info *info);

/*
 * Call fn for every thread (idle included) until it returns non-zero;
 * returns that value.  fn runs with interrupts off: it must not block.
 */
int thread_for_each(int (*fn)(const struct thread *t, void *arg), void *arg);

/*
 * The same for a debugger that stopped every CPU, interrupts off: they
 * never spin on sched_lock held by the stopped CPU itself (a breakpoint
 * inside the scheduler), nor for long on one held by another.
 */
void thread_get_info_stopped(const struct thread *t, struct thread_info *info);
int thread_for_each_stopped(int (*fn)(const struct thread *t, void *arg),
			    void *arg);

/* ---- for kmain and interrupt code --------------------------------------- */

/* Make the running boot context the idle thread.  After mm and time init. */
void sched_init(void);

/* CPU index (not 0) joins: its idle thread, then sched_idle().  */
void sched_init_cpu(unsigned int index);

/* Become the idle loop: enable interrupts, run threads, hlt when none. */
void sched_idle(void) __attribute__((noreturn));

/* The timer tick: wake sleepers, account the time slice, maybe preempt. */
void sched_tick(void);

#endif
