/*
 * schedtest's synchronisation groups: the primitives threads block on,
 * checked for lost or doubled work rather than for timing.
 *
 *   pc-condvar, pc-semaphore  producers and consumers through a small
 *                             queue: every item once, none lost
 *   mutex                     exclusion under yields; recursive mutexes
 *   timeout                   timed waits end at their deadline, or
 *                             before it when woken; UINT64_MAX is for
 *                             ever, not a deadline wrapped into the past
 *   timeout-zero              a timeout of 0 tries once and returns
 *   waitq                     waiters woken from an interrupt handler
 *   broadcast                 cond_broadcast wakes every waiter
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "apps/test/schedtest.h"

/* ---- producer/consumer ------------------------------------------------- */

#define PC_ITEMS 100000u
#define PC_SLOTS 16u
#define PC_PRODUCERS 2u
#define PC_CONSUMERS 2u
#define PC_STOP UINT32_MAX

struct pc_queue {
	int use_sema;
	uint32_t slots[PC_SLOTS];
	unsigned int head, tail, count, max_count;
	struct mutex lock;
	struct condvar not_full, not_empty;	/* condvar variant */
	struct semaphore free, used;		/* semaphore variant */
	uint8_t seen[PC_ITEMS];
	unsigned int bad;			/* values out of range */
};

struct pc_worker {
	struct pc_queue *q;
	unsigned int index;
	unsigned long consumed;
	uint64_t sum;
};

static void pc_store(struct pc_queue *q, uint32_t v)
{
	q->slots[q->head++ % PC_SLOTS] = v;
	if (++q->count > q->max_count)
		q->max_count = q->count;
}

static uint32_t pc_take(struct pc_queue *q)
{
	q->count--;
	return q->slots[q->tail++ % PC_SLOTS];
}

static void pc_put(struct pc_queue *q, uint32_t v)
{
	if (q->use_sema) {
		sema_down(&q->free);
		mutex_lock(&q->lock);
		pc_store(q, v);
		mutex_unlock(&q->lock);
		sema_up(&q->used);
		return;
	}
	mutex_lock(&q->lock);
	while (q->count == PC_SLOTS)
		cond_wait(&q->not_full, &q->lock);
	pc_store(q, v);
	cond_signal(&q->not_empty);
	mutex_unlock(&q->lock);
}

static uint32_t pc_get(struct pc_queue *q)
{
	uint32_t v;

	if (q->use_sema) {
		sema_down(&q->used);
		mutex_lock(&q->lock);
		v = pc_take(q);
		mutex_unlock(&q->lock);
		sema_up(&q->free);
		return v;
	}
	mutex_lock(&q->lock);
	while (!q->count)
		cond_wait(&q->not_empty, &q->lock);
	v = pc_take(q);
	cond_signal(&q->not_full);
	mutex_unlock(&q->lock);
	return v;
}

static int producer(void *arg)
{
	struct pc_worker *w = arg;

	for (uint32_t v = w->index; v < PC_ITEMS; v += PC_PRODUCERS)
		pc_put(w->q, v);
	return 0;
}

static int consumer(void *arg)
{
	struct pc_worker *w = arg;
	uint32_t v;

	while ((v = pc_get(w->q)) != PC_STOP) {
		if (v >= PC_ITEMS) {
			__atomic_fetch_add(&w->q->bad, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(&w->q->seen[v], 1, __ATOMIC_RELAXED);
		w->consumed++;
		w->sum += v;
	}
	return 0;
}

static void pc_run(const char *name, int use_sema)
{
	struct pc_queue *q = calloc(1, sizeof(*q));
	struct pc_worker prod[PC_PRODUCERS], cons[PC_CONSUMERS];
	struct thread *pt[PC_PRODUCERS], *ct[PC_CONSUMERS];
	unsigned long consumed = 0, lost = 0, dup = 0;
	uint64_t sum = 0, want = (uint64_t)PC_ITEMS * (PC_ITEMS - 1) / 2;

	if (!q) {
		report(name, 0, "out of memory");
		return;
	}
	q->use_sema = use_sema;
	mutex_init(&q->lock);
	cond_init(&q->not_full);
	cond_init(&q->not_empty);
	sema_init(&q->free, PC_SLOTS);
	sema_init(&q->used, 0);
	for (unsigned int i = 0; i < PC_CONSUMERS; i++) {
		cons[i] = (struct pc_worker){ .q = q, .index = i };
		ct[i] = schedtest_spawn("consumer", consumer, &cons[i],
			      THREAD_PRIO_NORMAL);
	}
	for (unsigned int i = 0; i < PC_PRODUCERS; i++) {
		prod[i] = (struct pc_worker){ .q = q, .index = i };
		pt[i] = schedtest_spawn("producer", producer, &prod[i],
			      THREAD_PRIO_NORMAL);
	}
	for (unsigned int i = 0; i < PC_PRODUCERS; i++)
		thread_join(pt[i]);
	for (unsigned int i = 0; i < PC_CONSUMERS; i++)
		pc_put(q, PC_STOP);
	for (unsigned int i = 0; i < PC_CONSUMERS; i++) {
		thread_join(ct[i]);
		consumed += cons[i].consumed;
		sum += cons[i].sum;
	}
	for (uint32_t v = 0; v < PC_ITEMS; v++) {
		lost += q->seen[v] == 0;
		dup += q->seen[v] > 1;
	}
	report(name, consumed == PC_ITEMS && !lost && !dup && !q->bad &&
		     sum == want && q->max_count <= PC_SLOTS,
	       "%lu items, %lu lost, %lu duplicated, %u bad, checksum %s, "
	       "queue peak %u/%u (consumers took %lu and %lu)",
	       consumed, lost, dup, q->bad, sum == want ? "ok" : "WRONG",
	       q->max_count, PC_SLOTS, cons[0].consumed, cons[1].consumed);
	free(q);
}

void schedtest_test_pc_condvar(void)
{
	pc_run("pc-condvar", 0);
}

void schedtest_test_pc_semaphore(void)
{
	pc_run("pc-semaphore", 1);
}

/* ---- mutual exclusion --------------------------------------------------- */

#define MUTEX_THREADS 4
#define MUTEX_ROUNDS 20000

struct mutex_job {
	struct mutex m;
	unsigned long counter;
};

/* Read, maybe yield, write: without the mutex, updates would be lost. */
static int mutex_thread(void *arg)
{
	struct mutex_job *j = arg;

	for (int i = 0; i < MUTEX_ROUNDS; i++) {
		unsigned long v;

		mutex_lock(&j->m);
		v = j->counter;
		if (i % 64 == 0)
			thread_yield();
		j->counter = v + 1;
		mutex_unlock(&j->m);
	}
	return 0;
}

static int try_other(void *arg)
{
	return mutex_trylock(arg);
}

void schedtest_test_mutex(void)
{
	struct mutex_job j = { .counter = 0 };
	struct mutex rm;
	struct thread *t[MUTEX_THREADS];
	int other_got_it, recursive_ok;

	mutex_init(&j.m);
	for (int i = 0; i < MUTEX_THREADS; i++)
		t[i] = schedtest_spawn("mutex", mutex_thread, &j, THREAD_PRIO_NORMAL);
	for (int i = 0; i < MUTEX_THREADS; i++)
		thread_join(t[i]);

	mutex_init_recursive(&rm);
	mutex_lock(&rm);
	recursive_ok = mutex_trylock(&rm);
	other_got_it = thread_join(schedtest_spawn("try", try_other, &rm,
					 THREAD_PRIO_NORMAL));
	mutex_unlock(&rm);
	recursive_ok &= mutex_is_held(&rm);
	mutex_unlock(&rm);
	recursive_ok &= !mutex_is_held(&rm);
	report("mutex", j.counter == MUTEX_THREADS * MUTEX_ROUNDS &&
		     recursive_ok && !other_got_it,
	       "counter %lu of %d, recursive %s, trylock by another "
	       "thread while held %s", j.counter,
	       MUTEX_THREADS * MUTEX_ROUNDS, recursive_ok ? "ok" : "BROKEN",
	       other_got_it ? "SUCCEEDED" : "refused");
}

/* ---- timeouts ----------------------------------------------------------- */

#define TIMEOUT_MS 20

static int up_later(void *arg)
{
	thread_sleep_ms(5);
	sema_up(arg);
	return 0;
}

void schedtest_test_timeouts(void)
{
	struct thread_attr detached = { .detached = 1 };
	struct semaphore s;
	struct mutex m;
	struct condvar cv;
	uint64_t t0, sema_ns, cond_ns;
	int r_sema, r_given, r_forever, r_cond, held;

	sema_init(&s, 0);
	t0 = time_ns();
	r_sema = sema_down_timeout(&s, TIMEOUT_MS * NSEC_PER_MSEC);
	sema_ns = time_ns() - t0;

	if (!thread_create("up", up_later, &s, &detached)) {
		report("timeout", 0, "cannot create a thread");
		return;
	}
	r_given = sema_down_timeout(&s, 10000 * NSEC_PER_MSEC);
	if (!thread_create("up", up_later, &s, &detached)) {
		report("timeout", 0, "cannot create a thread");
		return;
	}
	r_forever = sema_down_timeout(&s, UINT64_MAX);

	mutex_init(&m);
	cond_init(&cv);
	mutex_lock(&m);
	t0 = time_ns();
	r_cond = cond_wait_timeout(&cv, &m, TIMEOUT_MS * NSEC_PER_MSEC);
	cond_ns = time_ns() - t0;
	held = mutex_is_held(&m);
	mutex_unlock(&m);
	report("timeout", r_sema == -ETIMEDOUT && r_given == 0 &&
		     r_forever == 0 && r_cond == -ETIMEDOUT && held &&
		     sema_ns >= TIMEOUT_MS * NSEC_PER_MSEC &&
		     cond_ns >= TIMEOUT_MS * NSEC_PER_MSEC,
	       "semaphore: timed out %s after >= %d ms %s, woken by "
	       "sema_up %s, with no deadline (UINT64_MAX) %s; condvar: "
	       "timed out %s, mutex %s",
	       r_sema == -ETIMEDOUT ? "yes" : "NO", TIMEOUT_MS,
	       sema_ns >= TIMEOUT_MS * NSEC_PER_MSEC ? "yes" : "NO",
	       r_given == 0 ? "yes" : "NO", r_forever == 0 ? "yes" : "NO",
	       r_cond == -ETIMEDOUT && cond_ns >= TIMEOUT_MS * NSEC_PER_MSEC ?
		       "yes" : "NO",
	       held ? "held again" : "NOT HELD");
}

/*
 * A timeout of 0 (or a deadline already past) tries once and returns:
 * the unit if there is one, else -ETIMEDOUT at once, never a sleep until
 * the next tick.  Counted by the thread's switches, not by a clock: a
 * wait that blocked was given the CPU back once more.
 */
#define ZERO_TRIES 20

static uint64_t my_switches(void)
{
	struct thread_info info;

	thread_get_info(thread_self(), &info);
	return info.switches;
}

void schedtest_test_timeout_zero(void)
{
	struct spinlock lock = SPINLOCK_INIT;
	struct wait_queue wq;
	struct semaphore s;
	struct mutex m;
	struct condvar cv;
	int taken, sema_to = 0, cond_to = 0, wq_to = 0, held = 1, slept = 0;
	uint64_t flags, sw;

	sema_init(&s, 1);
	mutex_init(&m);
	cond_init(&cv);
	wq_init(&wq);
	taken = sema_down_timeout(&s, 0) == 0;
	mutex_lock(&m);
	for (int i = 0; i < ZERO_TRIES; i++) {
		sw = my_switches();
		sema_to += sema_down_timeout(&s, 0) == -ETIMEDOUT;
		cond_to += cond_wait_timeout(&cv, &m, 0) == -ETIMEDOUT;
		held &= mutex_is_held(&m);
		flags = spin_lock_irqsave(&lock);
		wq_to += wq_wait(&wq, &lock, 1) == -ETIMEDOUT;
		spin_unlock_irqrestore(&lock, flags);
		slept += my_switches() != sw;
	}
	mutex_unlock(&m);
	/* A stray preemption may switch a round or two; a wait, all. */
	report("timeout-zero", taken && sema_to == ZERO_TRIES &&
		     cond_to == ZERO_TRIES && wq_to == ZERO_TRIES && held &&
		     slept < ZERO_TRIES / 2,
	       "a free unit %s; of %d rounds, semaphore -ETIMEDOUT %d, "
	       "condvar %d (mutex %s), wait queue past its deadline %d; "
	       "rounds that slept %d", taken ? "taken" : "NOT TAKEN",
	       ZERO_TRIES, sema_to, cond_to, held ? "held" : "NOT HELD",
	       wq_to, slept);
}

/* ---- wait queues, woken from an interrupt handler ------------------------ */

#define WQ_WAITERS 3

static struct spinlock wq_lock = SPINLOCK_INIT;
static struct wait_queue wq_test = WAIT_QUEUE_INIT(wq_test);
static volatile int wq_flag;
static int wq_woken;

/* The documented pattern: recheck the condition under the lock. */
static int wq_waiter(void *arg)
{
	uint64_t flags = spin_lock_irqsave(&wq_lock);

	(void)arg;
	while (!wq_flag)
		wq_wait(&wq_test, &wq_lock, 0);
	spin_unlock_irqrestore(&wq_lock, flags);
	return 1;
}

static void wq_irq(struct trap_frame *tf)
{
	(void)tf;
	apic_eoi();
	spin_lock(&wq_lock);
	wq_flag = 1;
	wq_woken = wq_wake_all(&wq_test);
	spin_unlock(&wq_lock);
}

void schedtest_test_waitq(void)
{
	struct thread *t[WQ_WAITERS];
	int vector = irq_alloc_vector(wq_irq), done = 0, timed_out;
	uint64_t flags;

	if (vector < 0) {
		report("waitq", 0, "no free vector");
		return;
	}
	for (int i = 0; i < WQ_WAITERS; i++)
		t[i] = schedtest_spawn("waiter", wq_waiter, NULL, THREAD_PRIO_HIGH);
	/* They all run (higher priority) and block at once. */
	apic_send_ipi(apic_id(), (unsigned int)vector);
	for (int i = 0; i < WQ_WAITERS; i++)
		done += thread_join(t[i]);
	irq_set_handler((unsigned int)vector, NULL);

	flags = spin_lock_irqsave(&wq_lock);
	timed_out = wq_wait(&wq_test, &wq_lock,
			    time_ns() + 5 * NSEC_PER_MSEC) == -ETIMEDOUT;
	spin_unlock_irqrestore(&wq_lock, flags);
	report("waitq", done == WQ_WAITERS && wq_woken == WQ_WAITERS &&
		     timed_out,
	       "%d waiters woken from an interrupt handler, %d finished, "
	       "an unwoken wait with a deadline %s", wq_woken, done,
	       timed_out ? "timed out" : "DID NOT TIME OUT");
}

/* ---- condition variable broadcast ---------------------------------------- */

#define BC_WAITERS 4
#define BC_TIMEOUT_MS 3000

struct bc_job {
	struct mutex m;
	struct condvar cv;
	int go, waiting, woken, timed_out;
};

/* Waits for go; a wait that times out was never woken, go or not. */
static int bc_waiter(void *arg)
{
	struct bc_job *j = arg;
	int timed_out = 0;

	mutex_lock(&j->m);
	j->waiting++;
	while (!j->go && !timed_out)
		timed_out = cond_wait_timeout(&j->cv, &j->m,
					      BC_TIMEOUT_MS * NSEC_PER_MSEC) ==
			    -ETIMEDOUT;
	if (timed_out)
		j->timed_out++;
	else
		j->woken++;
	mutex_unlock(&j->m);
	return 0;
}

/*
 * cond_broadcast() wakes every waiter, not only the first: each is
 * asleep on the condition (it counted itself in under the mutex, which
 * the broadcaster then takes), and none may be left to its timeout.
 */
void schedtest_test_broadcast(void)
{
	struct bc_job j = { .go = 0 };
	struct thread *t[BC_WAITERS];
	int waiting;

	mutex_init(&j.m);
	cond_init(&j.cv);
	for (int i = 0; i < BC_WAITERS; i++)
		t[i] = schedtest_spawn("bcast", bc_waiter, &j, THREAD_PRIO_NORMAL);
	for (int i = 0; i < 1000; i++) {
		mutex_lock(&j.m);
		waiting = j.waiting;
		mutex_unlock(&j.m);
		if (waiting == BC_WAITERS)
			break;
		thread_sleep_ms(1);
	}
	mutex_lock(&j.m);
	j.go = 1;
	cond_broadcast(&j.cv);
	mutex_unlock(&j.m);
	for (int i = 0; i < BC_WAITERS; i++)
		thread_join(t[i]);
	report("broadcast", waiting == BC_WAITERS && j.woken == BC_WAITERS &&
		     !j.timed_out,
	       "%d waiters on a condition, one broadcast: %d woken, %d left "
	       "to their %d ms timeout", waiting, j.woken, j.timed_out,
	       BC_TIMEOUT_MS);
}
