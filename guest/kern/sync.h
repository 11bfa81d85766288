/*
 * Synchronisation: spinlocks (interrupts off while held), wait queues, and
 * on top of them the sleeping locks threads use: mutex, semaphore and
 * condition variable.
 *
 * Spinlocks may be taken anywhere, interrupt handlers included, and must
 * be held only briefly.  Everything else may sleep, so it is for threads
 * only; the idle thread and interrupt handlers must never block (waking
 * others, sema_up, cond_signal and wq_wake_* are fine from anywhere).
 */
#ifndef KERN_SYNC_H
#define KERN_SYNC_H

#include <stdint.h>
#include "lib/list.h"

struct thread;

/* ---- spinlocks ---------------------------------------------------------- */

struct spinlock {
	uint32_t locked;
	uint32_t owner_cpu;		/* for catching recursion */
};

#define SPINLOCK_INIT { 0, 0 }

void spin_init(struct spinlock *l);

/* Disable interrupts, take l; returns the flags to restore. */
uint64_t spin_lock_irqsave(struct spinlock *l);

/*
 * Release l and restore the interrupt flag.  When that re-enables
 * interrupts and a wakeup made a more important thread runnable, this
 * is where the current thread is preempted.
 */
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);

/* For callers that already run with interrupts off. */
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* Take l if it is free (1) or give up at once (0); interrupts already off. */
int spin_trylock(struct spinlock *l);

/* Whether this CPU holds l (interrupts off, so the answer stays true). */
int spin_held_here(const struct spinlock *l);

/* ---- wait queues -------------------------------------------------------- */

/*
 * A list of threads waiting for something.  The usual pattern, with the
 * condition protected by a spinlock:
 *
 *	flags = spin_lock_irqsave(&lock);
 *	while (!condition)
 *		wq_wait(&wq, &lock, 0);
 *	spin_unlock_irqrestore(&lock, flags);
 *
 * and on the waking side: take lock, make condition true, wq_wake_*().
 */
struct wait_queue {
	struct list_node waiters;	/* guarded by the scheduler's lock */
};

#define WAIT_QUEUE_INIT(name) { LIST_HEAD_INIT((name).waiters) }

void wq_init(struct wait_queue *wq);

/*
 * Sleep on wq.  Call with interrupts off and lock (may be NULL) held: it
 * is released once the thread is on the queue, so no wakeup is lost, and
 * taken again before returning.  deadline_ns is absolute (time_ns()), 0
 * for none.  Returns 0 when woken, -ETIMEDOUT when the deadline passed
 * (at once, without sleeping, if it had passed already).
 * Wakeups may be spurious: always recheck the condition.
 */
int wq_wait(struct wait_queue *wq, struct spinlock *lock,
	    uint64_t deadline_ns);

/* Wake the longest waiter; returns it, or NULL if nobody was waiting. */
struct thread *wq_wake_one(struct wait_queue *wq);

/* Wake every waiter; returns how many. */
int wq_wake_all(struct wait_queue *wq);

/* ---- mutex -------------------------------------------------------------- */

/*
 * Sleeping lock with an owner.  Unlock leaves the mutex free and wakes
 * its first waiter, and a running thread that locks a free mutex takes
 * it at once, ahead of the waiters: no thread waits for another to be
 * scheduled when the mutex is free (a lock convoy).  A waiter that was
 * woken and found it taken again is handed the mutex by the next unlock,
 * so none starves.  Waiters are woken in the order they came, whatever
 * their priority.  A recursive mutex may be locked again by its owner
 * (and must be unlocked as often).
 */
struct mutex {
	struct spinlock lock;
	struct thread *owner;
	unsigned int depth;
	int recursive;
	uint8_t handoff;	/* the next unlock gives m to the first waiter */
	uint8_t waking;		/* a waiter woken by unlock has not run yet */
	struct wait_queue wq;
};

#define MUTEX_INIT(name)                                                      \
	{ .lock = SPINLOCK_INIT, .wq = WAIT_QUEUE_INIT((name).wq) }
#define MUTEX_INIT_RECURSIVE(name)                                            \
	{ .lock = SPINLOCK_INIT, .recursive = 1,                              \
	  .wq = WAIT_QUEUE_INIT((name).wq) }

void mutex_init(struct mutex *m);
void mutex_init_recursive(struct mutex *m);
void mutex_lock(struct mutex *m);
int mutex_trylock(struct mutex *m);	/* 1 if taken, 0 if not */
void mutex_unlock(struct mutex *m);
int mutex_is_held(struct mutex *m);	/* by the calling thread */

/* ---- semaphore ---------------------------------------------------------- */

struct semaphore {
	struct spinlock lock;
	unsigned long count;
	struct wait_queue wq;
};

#define SEMAPHORE_INIT(name, n)                                               \
	{ .lock = SPINLOCK_INIT, .count = (n),                                \
	  .wq = WAIT_QUEUE_INIT((name).wq) }

void sema_init(struct semaphore *s, unsigned long count);
void sema_down(struct semaphore *s);
int sema_trydown(struct semaphore *s);	/* 1 if taken, 0 if not */
/*
 * 0, or -ETIMEDOUT after timeout_ns nanoseconds without a unit; a
 * timeout of 0 tries once and returns at once.
 */
int sema_down_timeout(struct semaphore *s, uint64_t timeout_ns);
void sema_up(struct semaphore *s);	/* also from interrupt handlers */

/* ---- condition variable ------------------------------------------------- */

struct condvar {
	struct wait_queue wq;
};

#define CONDVAR_INIT(name) { .wq = WAIT_QUEUE_INIT((name).wq) }

void cond_init(struct condvar *cv);
/* Atomically unlock m and wait; m is locked again on return. */
void cond_wait(struct condvar *cv, struct mutex *m);
/*
 * As cond_wait; 0, or -ETIMEDOUT after timeout_ns without a signal (at
 * once for 0, m given up and taken again all the same).
 */
int cond_wait_timeout(struct condvar *cv, struct mutex *m,
		      uint64_t timeout_ns);
void cond_signal(struct condvar *cv);
void cond_broadcast(struct condvar *cv);

#endif
