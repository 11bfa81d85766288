/*
 * Spinlocks, wait queues, mutexes, semaphores and condition variables.
 * Only wait queues know about the scheduler; the sleeping locks are a
 * spinlock-protected state plus a wait queue each.
 */
#include <errno.h>

#include "kern/sync.h"
#include "kern/thread.h"
#include "kern/time.h"
#include "kern/panic.h"
#include "arch/x86_64/cpu.h"

#define RFLAGS_IF (1 << 9)

/* ---- spinlocks ---------------------------------------------------------- */

void spin_init(struct spinlock *l)
{
	l->locked = 0;
	l->owner_cpu = 0;
}

int spin_trylock(struct spinlock *l)
{
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return 0;
	__atomic_store_n(&l->owner_cpu, this_cpu()->index + 1,
			 __ATOMIC_RELAXED);
	return 1;
}

int spin_held_here(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) ==
		       this_cpu()->index + 1;
}

void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		/* With interrupts off, our own lock would spin forever. */
		if (spin_held_here(l))
			panic("spinlock %p taken twice by CPU %u", (void *)l,
			      this_cpu()->index);
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner_cpu, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
	if (flags & RFLAGS_IF)
		sched_preempt_check();
}

/* ---- wait queues -------------------------------------------------------- */

void wq_init(struct wait_queue *wq)
{
	list_init(&wq->waiters);
}

/*
 * Queue the current thread on wq and block.  At the front (front != 0)
 * only for a mutex waiter that was woken and lost the mutex to a
 * running thread: it was first in line and stays first (mutex_wait()).
 */
static int wq_wait_locked_at(struct wait_queue *wq, uint64_t deadline_ns,
			     int front)
{
	struct thread *self = this_cpu()->current;

	/*
	 * A deadline already past (a timeout of 0: try once) times out
	 * now.  Blocked, the thread would wait for the next tick's look
	 * at the sleepers before it ran again.
	 */
	if (deadline_ns && time_ns() >= deadline_ns)
		return -ETIMEDOUT;
	if (front)
		list_add_after(&self->wait_node, &wq->waiters);
	else
		list_push_back(&wq->waiters, &self->wait_node);
	self->waiting_on = wq;
	return sched_block_locked(deadline_ns);
}

int wq_wait_locked(struct wait_queue *wq, uint64_t deadline_ns)
{
	return wq_wait_locked_at(wq, deadline_ns, 0);
}

static int wq_wait_at(struct wait_queue *wq, struct spinlock *lock,
		      uint64_t deadline_ns, int front)
{
	int ret;

	spin_lock(&sched_lock);
	if (lock)
		spin_unlock(lock);
	ret = wq_wait_locked_at(wq, deadline_ns, front);
	spin_unlock(&sched_lock);
	if (lock)
		spin_lock(lock);
	return ret;
}

int wq_wait(struct wait_queue *wq, struct spinlock *lock,
	    uint64_t deadline_ns)
{
	return wq_wait_at(wq, lock, deadline_ns, 0);
}

int wq_wake_locked(struct wait_queue *wq, int all)
{
	struct list_node *n;
	int woken = 0;

	while ((n = list_pop_front(&wq->waiters))) {
		struct thread *t = list_entry(n, struct thread, wait_node);

		t->waiting_on = NULL;
		sched_wake_locked(t, 0);
		woken++;
		if (!all)
			break;
	}
	return woken;
}

struct thread *wq_wake_one(struct wait_queue *wq)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	struct list_node *n = list_first(&wq->waiters);
	struct thread *t = n ? list_entry(n, struct thread, wait_node) : NULL;

	wq_wake_locked(wq, 0);
	spin_unlock_irqrestore(&sched_lock, flags);
	return t;
}

int wq_wake_all(struct wait_queue *wq)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	int n = wq_wake_locked(wq, 1);

	spin_unlock_irqrestore(&sched_lock, flags);
	return n;
}

/* Relative timeout to absolute deadline; 0 stays "none" only if asked. */
static uint64_t deadline_after(uint64_t timeout_ns)
{
	uint64_t d = time_after_ns(timeout_ns);

	return d ? d : 1;
}

/* ---- mutex -------------------------------------------------------------- */

void mutex_init(struct mutex *m)
{
	spin_init(&m->lock);
	m->owner = NULL;
	m->depth = 0;
	m->recursive = 0;
	m->handoff = 0;
	m->waking = 0;
	wq_init(&m->wq);
}

void mutex_init_recursive(struct mutex *m)
{
	mutex_init(m);
	m->recursive = 1;
}

/*
 * Why the mutex lets a running thread take it ahead of its waiters: a
 * strict hand-off to the first waiter makes every contended acquisition
 * wait for that waiter to be woken and scheduled (on another CPU, or
 * after the unlocker's time slice), while the unlocker, still running,
 * could have gone on at once.  Taking a free mutex ("stealing") keeps
 * the running thread running; the price is fairness, which the
 * hand-off flag buys back: a waiter that was woken and still found the
 * mutex taken asks for it, and the next unlock gives it the mutex
 * directly, so no waiter loses more than one race in a row.
 *
 * With m->lock held, m not held by self: wait until m is free or handed
 * over, and own it.
 */
static void mutex_wait(struct mutex *m, struct thread *self)
{
	int woken = 0;

	while (m->owner != self) {
		if (!m->owner) {
			m->owner = self;
			break;
		}
		/*
		 * Lost after a wake-up: first in line, this waiter goes
		 * back to the front of the queue and is handed m next.
		 */
		if (woken)
			m->handoff = 1;
		wq_wait_at(&m->wq, &m->lock, 0, woken);
		woken = 1;
		/* Running again: the next unlock may wake someone else. */
		m->waking = 0;
	}
}

/* With m->lock held: take m (again, if recursive) or wait for it. */
static void mutex_acquire_locked(struct mutex *m, struct thread *self)
{
	if (m->owner == self) {
		if (!m->recursive)
			panic("mutex %p: '%s' locked it twice", (void *)m,
			      self->name);
		m->depth++;
		return;
	}
	mutex_wait(m, self);
	m->depth = 1;
}

void mutex_lock(struct mutex *m)
{
	uint64_t flags = spin_lock_irqsave(&m->lock);

	mutex_acquire_locked(m, thread_self());
	spin_unlock_irqrestore(&m->lock, flags);
}

int mutex_trylock(struct mutex *m)
{
	struct thread *self = thread_self();
	uint64_t flags = spin_lock_irqsave(&m->lock);
	int taken = 0;

	if (!m->owner || (m->owner == self && m->recursive)) {
		mutex_acquire_locked(m, self);
		taken = 1;
	}
	spin_unlock_irqrestore(&m->lock, flags);
	return taken;
}

/*
 * With m->lock held: give m up.  Asked for, it goes to the first waiter
 * (the one that set the flag, back at the front).  Otherwise it is left
 * free for whoever comes first, and the first waiter is woken to try,
 * unless one woken earlier has not run yet: waking more would only make
 * them queue again.
 */
static void mutex_release_locked(struct mutex *m)
{
	m->depth = 0;
	m->owner = NULL;
	if (m->handoff) {
		m->handoff = 0;
		m->owner = wq_wake_one(&m->wq);
		m->waking = m->owner != NULL;
	} else if (!m->waking) {
		m->waking = wq_wake_one(&m->wq) != NULL;
	}
}

void mutex_unlock(struct mutex *m)
{
	uint64_t flags = spin_lock_irqsave(&m->lock);

	if (m->owner != thread_self())
		panic("mutex %p: unlocked by '%s', which does not hold it",
		      (void *)m, thread_self()->name);
	if (--m->depth == 0)
		mutex_release_locked(m);
	spin_unlock_irqrestore(&m->lock, flags);
}

int mutex_is_held(struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == thread_self();
}

/* ---- semaphore ---------------------------------------------------------- */

void sema_init(struct semaphore *s, unsigned long count)
{
	spin_init(&s->lock);
	s->count = count;
	wq_init(&s->wq);
}

static int sema_down_deadline(struct semaphore *s, uint64_t deadline_ns)
{
	uint64_t flags = spin_lock_irqsave(&s->lock);
	int ret = 0;

	while (!s->count) {
		if (wq_wait(&s->wq, &s->lock, deadline_ns) == -ETIMEDOUT &&
		    !s->count) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	if (!ret)
		s->count--;
	spin_unlock_irqrestore(&s->lock, flags);
	return ret;
}

void sema_down(struct semaphore *s)
{
	sema_down_deadline(s, 0);
}

int sema_down_timeout(struct semaphore *s, uint64_t timeout_ns)
{
	return sema_down_deadline(s, deadline_after(timeout_ns));
}

int sema_trydown(struct semaphore *s)
{
	uint64_t flags = spin_lock_irqsave(&s->lock);
	int taken = s->count != 0;

	if (taken)
		s->count--;
	spin_unlock_irqrestore(&s->lock, flags);
	return taken;
}

void sema_up(struct semaphore *s)
{
	uint64_t flags = spin_lock_irqsave(&s->lock);

	s->count++;
	wq_wake_one(&s->wq);
	spin_unlock_irqrestore(&s->lock, flags);
}

/* ---- condition variable ------------------------------------------------- */

void cond_init(struct condvar *cv)
{
	wq_init(&cv->wq);
}

/*
 * m->lock is held from giving up the mutex until this thread is on the
 * condition's queue: a signaller must own m, and to own it it has to get
 * through m->lock, so it cannot signal in between and be lost.
 */
static int cond_wait_deadline(struct condvar *cv, struct mutex *m,
			      uint64_t deadline_ns)
{
	struct thread *self = thread_self();
	uint64_t flags = spin_lock_irqsave(&m->lock);
	int ret;

	if (m->owner != self || m->depth != 1)
		panic("cond_wait: '%s' must hold the mutex exactly once",
		      self->name);
	mutex_release_locked(m);
	ret = wq_wait(&cv->wq, &m->lock, deadline_ns);
	mutex_acquire_locked(m, self);
	spin_unlock_irqrestore(&m->lock, flags);
	return ret;
}

void cond_wait(struct condvar *cv, struct mutex *m)
{
	cond_wait_deadline(cv, m, 0);
}

int cond_wait_timeout(struct condvar *cv, struct mutex *m,
		      uint64_t timeout_ns)
{
	return cond_wait_deadline(cv, m, deadline_after(timeout_ns));
}

void cond_signal(struct condvar *cv)
{
	wq_wake_one(&cv->wq);
}

void cond_broadcast(struct condvar *cv)
{
	wq_wake_all(&cv->wq);
}
