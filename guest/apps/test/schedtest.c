/*
 * schedtest: the scheduler, synchronisation, time and the local APIC,
 * tested from inside the guest.  Each test prints one PASS or FAIL line;
 * the app exits 0 only if every test passed.
 *
 *   schedtest          run every test
 *   schedtest NAME...  run only the named tests
 *   schedtest stop     play the host: ask the guest to stop (expect 0x71)
 *   schedtest stop-ipi the same, through the stop vector with no tick
 *
 * Timing-dependent checks count timer ticks or compare clocks with
 * deadlines; none of them asserts how long anything took in real time,
 * which a loaded host running the emulator would make flaky.
 */
#include <errno.h>
#include <fenv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"
#include "apps/test/selftest.h"

#define WATCHDOG_MS (180 * 1000)


/*
 * The groups that check what one CPU does (priorities, time slices,
 * preemption, sleep latency in ticks) pin themselves and their threads
 * to CPU 0, so an SMP guest runs them as a one-CPU guest does, on the
 * CPU whose timer counts ticks(); the rest run spread over every CPU.
 */
static uint32_t pin_mask;		/* spawn()'s threads: 0 = any CPU */

static void pin_cpu0(int on)
{
	pin_mask = on ? 1 : 0;
	thread_set_affinity(thread_self(), pin_mask);
}

static struct thread *spawn(const char *name, thread_fn fn, void *arg,
			    int prio)
{
	struct thread_attr attr = { .prio = prio, .cpus = pin_mask };
	struct thread *t = thread_create(name, fn, arg, &attr);

	if (!t) {
		printf("schedtest: cannot create thread '%s'\n", name);
		exit(1);
	}
	return t;
}

static uint64_t preemptions_of(struct thread *t)
{
	struct thread_info info;

	thread_get_info(t, &info);
	return info.preemptions;
}

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
		ct[i] = spawn("consumer", consumer, &cons[i],
			      THREAD_PRIO_NORMAL);
	}
	for (unsigned int i = 0; i < PC_PRODUCERS; i++) {
		prod[i] = (struct pc_worker){ .q = q, .index = i };
		pt[i] = spawn("producer", producer, &prod[i],
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

static void test_pc_condvar(void)
{
	pc_run("pc-condvar", 0);
}

static void test_pc_semaphore(void)
{
	pc_run("pc-semaphore", 1);
}

/* ---- floating point under preemption ----------------------------------- */

#define FP_STEPS 20000
#define FP_CHUNKS_MAX 2000
#define FP_PREEMPTED_CHUNKS 3

/* Inexact at every step, so the rounding mode shows in the result. */
static double __attribute__((noinline)) fp_work_sse(double seed)
{
	double x = seed, acc = 0.0;

	for (int i = 1; i <= FP_STEPS; i++) {
		x = x * 1.0000001 + 1.0 / i;
		acc += x / (acc + 3.0);
	}
	return acc + x;
}

static long double __attribute__((noinline)) fp_work_x87(long double seed)
{
	long double x = seed, acc = 0.0L;

	for (int i = 1; i <= FP_STEPS; i++) {
		x = x * 1.0000001L + 1.0L / i;
		acc += x / (acc + 3.0L);
	}
	return acc + x;
}

struct fp_job {
	int x87;
	int round;
	long double expect;
	int chunks, preempted_chunks, mismatches, round_after;
};

static long double fp_compute(const struct fp_job *j)
{
	return j->x87 ? fp_work_x87(1.25L) : (long double)fp_work_sse(1.25);
}

/* Threads of the fpu group that have seen enough preemptions. */
static volatile int fp_satisfied;

/*
 * Repeat the work until a preemption has hit the middle of it often, and
 * go on until every thread of the group has: a thread left alone on the
 * CPU is never preempted (a loaded host, losing ticks, used to leave the
 * last one short).
 */
static int fp_thread(void *arg)
{
	struct fp_job *j = arg;
	int counted = 0;

	fesetround(j->round);
	while ((!counted || fp_satisfied < 3) && j->chunks < FP_CHUNKS_MAX) {
		uint64_t before = preemptions_of(thread_self());
		long double r = fp_compute(j);

		if (preemptions_of(thread_self()) != before)
			j->preempted_chunks++;
		if (r != j->expect)
			j->mismatches++;
		j->chunks++;
		if (!counted && j->preempted_chunks >= FP_PREEMPTED_CHUNKS) {
			counted = 1;
			__atomic_fetch_add(&fp_satisfied, 1, __ATOMIC_RELAXED);
		}
	}
	j->round_after = fegetround();
	return 0;
}

static void test_fpu(void)
{
	static const char *const kind[] = { "SSE nearest", "SSE toward-zero",
					    "x87 downward" };
	struct fp_job jobs[3] = {
		{ .x87 = 0, .round = FE_TONEAREST },
		{ .x87 = 0, .round = FE_TOWARDZERO },
		{ .x87 = 1, .round = FE_DOWNWARD },
	};
	struct thread *t[3];

	/* Expected values, computed alone, before anything competes. */
	for (int i = 0; i < 3; i++) {
		fesetround(jobs[i].round);
		jobs[i].expect = fp_compute(&jobs[i]);
	}
	fesetround(FE_TONEAREST);
	if (jobs[0].expect == jobs[1].expect) {
		report("fpu", 0, "rounding modes give equal results: no test");
		return;
	}
	fp_satisfied = 0;
	for (int i = 0; i < 3; i++)
		t[i] = spawn("fpu", fp_thread, &jobs[i], THREAD_PRIO_NORMAL);
	for (int i = 0; i < 3; i++)
		thread_join(t[i]);
	for (int i = 0; i < 3; i++) {
		struct fp_job *j = &jobs[i];
		int ok = !j->mismatches && j->round_after == j->round &&
		      j->preempted_chunks >= FP_PREEMPTED_CHUNKS;
		report("fpu", ok, "%s: %d runs, %d preempted mid-run, "
		       "%d wrong, rounding mode %s", kind[i], j->chunks,
		       j->preempted_chunks, j->mismatches,
		       j->round_after == j->round ? "kept" : "LOST");
	}
}

/* ---- sleeping ----------------------------------------------------------- */

#define SLEEP_SLACK_TICKS 2

struct spinner {
	volatile uint64_t count;
	volatile uint64_t *other;
	volatile int *stop;
	uint64_t saw_other_run;
};

/* Busy forever (until told to stop): never sleeps, never yields. */
static int spin_thread(void *arg)
{
	struct spinner *s = arg;
	uint64_t other_last = s->other ? *s->other : 0;

	while (!*s->stop) {
		s->count++;
		if (s->other && *s->other != other_last) {
			other_last = *s->other;
			s->saw_other_run++;
		}
	}
	return 0;
}

struct sleeper {
	int early;		/* woke before the deadline */
	int64_t worst_ticks;	/* ticks beyond those the sleep spans */
	uint64_t worst_late_ns;	/* for information only */
};

static int sleep_thread(void *arg)
{
	static const unsigned int ms[] = { 1, 3, 5, 10, 20, 7, 2, 15 };
	struct sleeper *s = arg;

	s->worst_ticks = INT64_MIN;
	for (unsigned int i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		uint64_t flags = irq_save();	/* no tick in between */
		uint64_t t0 = ticks();
		uint64_t deadline = time_ns() + ms[i] * NSEC_PER_MSEC;
		uint64_t now, extra_ticks;

		irq_restore(flags);
		thread_sleep_until(deadline);
		now = time_ns();
		extra_ticks = ticks() - t0 - ms[i] * HZ / 1000;
		if (now < deadline)
			s->early++;
		else if (now - deadline > s->worst_late_ns)
			s->worst_late_ns = now - deadline;
		if ((int64_t)extra_ticks > s->worst_ticks)
			s->worst_ticks = (int64_t)extra_ticks;
	}
	return 0;
}

/*
 * Fewer than d ticks fall strictly inside a sleep of d ticks' length; the
 * first tick at or after the deadline wakes the sleeper.  Running by the
 * second tick after the deadline means at most d + SLEEP_SLACK_TICKS
 * ticks between going to sleep and running again.  Late is tried again,
 * up to SLEEP_TRIES rounds in all: under emulation the host may not run
 * our CPU for milliseconds (a loaded machine), which is not the
 * scheduler's doing, and a scheduler that wakes late does so every time.
 * Early is never tried again.
 */
#define SLEEP_TRIES 3

static struct sleeper sleep_round(int busy_prio)
{
	volatile int stop = 0;
	struct spinner busy = { .stop = &stop };
	struct sleeper s = { 0 };
	struct thread *b = NULL, *t;

	if (busy_prio)
		b = spawn("busy", spin_thread, &busy, busy_prio);
	t = spawn("sleeper", sleep_thread, &s, THREAD_PRIO_NORMAL);
	thread_join(t);
	stop = 1;
	if (b)
		thread_join(b);
	return s;
}

static void sleep_case(const char *what, int busy_prio)
{
	struct sleeper s;
	int round = 0;

	do
		s = sleep_round(busy_prio);
	while (++round < SLEEP_TRIES && !s.early &&
	       s.worst_ticks > SLEEP_SLACK_TICKS);
	report("sleep", !s.early && s.worst_ticks <= SLEEP_SLACK_TICKS,
	       "%s: %d early wakeups, running at worst by tick +%lld "
	       "after the deadline (limit +%d; %llu us late; round %d)", what,
	       s.early, (long long)s.worst_ticks, SLEEP_SLACK_TICKS,
	       (unsigned long long)(s.worst_late_ns / 1000), round);
}

static void test_sleep(void)
{
	sleep_case("idle CPU", 0);
	sleep_case("with a busy lower-priority thread", THREAD_PRIO_LOW);
	sleep_case("with a busy same-priority thread", THREAD_PRIO_NORMAL);
}

/* ---- no starvation at equal priority ------------------------------------ */

#define STARVE_MS 200
#define STARVE_MIN_TURNS 3

static void test_starvation(void)
{
	volatile int stop = 0;
	struct spinner a = { .stop = &stop }, b = { .stop = &stop };
	struct thread *ta, *tb;
	uint64_t t0 = ticks();

	a.other = &b.count;
	b.other = &a.count;
	ta = spawn("spin-a", spin_thread, &a, THREAD_PRIO_NORMAL);
	tb = spawn("spin-b", spin_thread, &b, THREAD_PRIO_NORMAL);
	/*
	 * Slices are counted in ticks: wait for STARVE_MS of them, not of
	 * TSC time, which a loaded TCG host lets pass with ticks lost.
	 */
	for (int i = 0; i < 100 && ticks() - t0 < STARVE_MS * HZ / 1000; i++)
		thread_sleep_ms(STARVE_MS);
	stop = 1;
	thread_join(ta);
	thread_join(tb);
	report("starvation", a.count && b.count &&
		     a.saw_other_run >= STARVE_MIN_TURNS &&
		     b.saw_other_run >= STARVE_MIN_TURNS,
	       "two busy threads over %llu ticks: %llu and %llu loops, "
	       "each saw the other run %llu and %llu times",
	       (unsigned long long)(ticks() - t0),
	       (unsigned long long)a.count, (unsigned long long)b.count,
	       (unsigned long long)a.saw_other_run,
	       (unsigned long long)b.saw_other_run);
}

/* ---- join and exit ------------------------------------------------------ */

static int return_arg(void *arg)
{
	return (int)(intptr_t)arg;
}

static void __attribute__((noinline)) exit_from_deep(int status)
{
	thread_exit(status);
}

static int exit_seven(void *arg)
{
	(void)arg;
	exit_from_deep(7);
	return 0;
}

struct detached_job {
	struct semaphore go;
	volatile int done;
};

static int detached_thread(void *arg)
{
	struct detached_job *j = arg;

	sema_down(&j->go);
	j->done = 1;
	return 0;
}

static void test_join(void)
{
	struct detached_job dj;
	struct thread_attr attr = { .detached = 1 };
	struct thread *t42, *t7, *tz, *td;
	int s42, s7, sz, sd, sself;

	t42 = spawn("ret42", return_arg, (void *)42, THREAD_PRIO_NORMAL);
	t7 = spawn("exit7", exit_seven, NULL, THREAD_PRIO_NORMAL);
	/* Higher priority: it has ended (a zombie) before we join it. */
	tz = spawn("zombie", return_arg, (void *)-3, THREAD_PRIO_HIGH);
	s42 = thread_join(t42);
	s7 = thread_join(t7);
	sz = thread_join(tz);
	sself = thread_join(thread_self());

	sema_init(&dj.go, 0);
	dj.done = 0;
	td = thread_create("detached", detached_thread, &dj, &attr);
	sd = td ? thread_join(td) : 0;	/* refused: it is detached */
	sema_up(&dj.go);
	while (!dj.done)
		thread_sleep_ms(1);
	report("join", s42 == 42 && s7 == 7 && sz == -3 && sself == -1 &&
		     sd == -1 && td,
	       "return 42 -> %d, thread_exit(7) -> %d, ended before join "
	       "-> %d, join self -> %d, join detached -> %d",
	       s42, s7, sz, sself, sd);
}

/* ---- priorities --------------------------------------------------------- */

static int run_order[8];
static int run_count;

static int mark_run(void *arg)
{
	int slot = __atomic_fetch_add(&run_count, 1, __ATOMIC_RELAXED);

	if (slot < 8)
		run_order[slot] = (int)(intptr_t)arg;
	return 0;
}

static void test_priority(void)
{
	struct thread *h, *l1, *l2, *l3;
	int high_first, none_low, boosted;

	run_count = 0;
	/* Higher than ours: it runs before thread_create returns. */
	h = spawn("high", mark_run, (void *)1, THREAD_PRIO_HIGH);
	high_first = run_count == 1 && run_order[0] == 1;
	/* Lower than ours: they wait until we block, the higher one first. */
	l1 = spawn("low", mark_run, (void *)2, THREAD_PRIO_LOW);
	l2 = spawn("lowish", mark_run, (void *)3, THREAD_PRIO_LOW + 4);
	l3 = spawn("raised", mark_run, (void *)4, THREAD_PRIO_LOW);
	none_low = run_count == 1;
	/* Raising a waiting thread above us lets it run at once. */
	thread_set_priority(l3, THREAD_PRIO_HIGH);
	boosted = run_count == 2 && run_order[1] == 4;
	thread_join(l1);
	thread_join(l2);
	thread_join(l3);
	thread_join(h);
	report("priority", high_first && none_low && boosted &&
		     run_count == 4 && run_order[2] == 3 && run_order[3] == 2,
	       "run order %d %d %d %d (want 1 4 3 2)", run_order[0],
	       run_order[1], run_order[2], run_order[3]);
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

static void test_mutex(void)
{
	struct mutex_job j = { .counter = 0 };
	struct mutex rm;
	struct thread *t[MUTEX_THREADS];
	int other_got_it, recursive_ok;

	mutex_init(&j.m);
	for (int i = 0; i < MUTEX_THREADS; i++)
		t[i] = spawn("mutex", mutex_thread, &j, THREAD_PRIO_NORMAL);
	for (int i = 0; i < MUTEX_THREADS; i++)
		thread_join(t[i]);

	mutex_init_recursive(&rm);
	mutex_lock(&rm);
	recursive_ok = mutex_trylock(&rm);
	other_got_it = thread_join(spawn("try", try_other, &rm,
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

static void test_timeouts(void)
{
	struct thread_attr detached = { .detached = 1 };
	struct semaphore s;
	struct mutex m;
	struct condvar cv;
	uint64_t t0, sema_ns, cond_ns;
	int r_sema, r_given, r_cond, held;

	sema_init(&s, 0);
	t0 = time_ns();
	r_sema = sema_down_timeout(&s, TIMEOUT_MS * NSEC_PER_MSEC);
	sema_ns = time_ns() - t0;

	if (!thread_create("up", up_later, &s, &detached)) {
		report("timeout", 0, "cannot create a thread");
		return;
	}
	r_given = sema_down_timeout(&s, 10000 * NSEC_PER_MSEC);

	mutex_init(&m);
	cond_init(&cv);
	mutex_lock(&m);
	t0 = time_ns();
	r_cond = cond_wait_timeout(&cv, &m, TIMEOUT_MS * NSEC_PER_MSEC);
	cond_ns = time_ns() - t0;
	held = mutex_is_held(&m);
	mutex_unlock(&m);
	report("timeout", r_sema == -ETIMEDOUT && r_given == 0 &&
		     r_cond == -ETIMEDOUT && held &&
		     sema_ns >= TIMEOUT_MS * NSEC_PER_MSEC &&
		     cond_ns >= TIMEOUT_MS * NSEC_PER_MSEC,
	       "semaphore: timed out %s after >= %d ms %s, woken by "
	       "sema_up %s; condvar: timed out %s, mutex %s",
	       r_sema == -ETIMEDOUT ? "yes" : "NO", TIMEOUT_MS,
	       sema_ns >= TIMEOUT_MS * NSEC_PER_MSEC ? "yes" : "NO",
	       r_given == 0 ? "yes" : "NO",
	       r_cond == -ETIMEDOUT && cond_ns >= TIMEOUT_MS * NSEC_PER_MSEC ?
		       "yes" : "NO",
	       held ? "held again" : "NOT HELD");
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
	sched_irq_exit();
}

static void test_waitq(void)
{
	struct thread *t[WQ_WAITERS];
	int vector = irq_alloc_vector(wq_irq), done = 0, timed_out;
	uint64_t flags;

	if (vector < 0) {
		report("waitq", 0, "no free vector");
		return;
	}
	for (int i = 0; i < WQ_WAITERS; i++)
		t[i] = spawn("waiter", wq_waiter, NULL, THREAD_PRIO_HIGH);
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

/* ---- thread churn: nothing leaks ---------------------------------------- */

#define CHURN_ROUNDS 200
#define CHURN_BATCH 4

static int churn_thread(void *arg)
{
	char line[64];

	/* Touch this thread's own stdio so it has buffers to give back. */
	snprintf(line, sizeof(line), "churn %d", (int)(intptr_t)arg);
	fflush(stdout);
	return (int)strlen(line);
}

/* One round: some joined threads and some detached ones. */
static int churn_round(int round)
{
	struct thread_attr detached = { .detached = 1 };
	struct thread *t[CHURN_BATCH];
	int bad = 0;

	for (int i = 0; i < CHURN_BATCH; i++)
		t[i] = thread_create("churn", churn_thread,
				     (void *)(intptr_t)round, NULL);
	for (int i = 0; i < CHURN_BATCH; i++)
		bad += !t[i] || thread_join(t[i]) < 6;
	for (int i = 0; i < CHURN_BATCH; i++)
		bad += !thread_create("churn-d", churn_thread, NULL,
				      &detached);
	thread_sleep_ms(1);	/* let the detached ones end */
	return bad;
}

/*
 * Free pages once detached threads have all ended and been reaped: they
 * end when the scheduler lets them (a loaded machine can take longer than
 * the 1 ms a round waits), and their stacks come back at the next
 * thread_create or thread_join.  So: wait until nothing changes for 20 ms
 * (at most 2 s), then create and join one thread to reap them.
 */
static size_t settled_free_pages(void)
{
	size_t last = mm_free_pages();
	struct thread *t;

	for (int stable = 0, i = 0; stable < 4 && i < 400; i++) {
		size_t now;

		thread_sleep_ms(5);
		now = mm_free_pages();
		stable = now == last ? stable + 1 : 0;
		last = now;
	}
	t = thread_create("churn-reap", churn_thread, NULL, NULL);
	if (t)
		thread_join(t);
	return mm_free_pages();
}

/*
 * After a first round has warmed up the heap and stdio's FILE list, many
 * more rounds must leave the page allocator exactly where it was: every
 * stack, joined or detached, was given back.
 */
static void test_churn(void)
{
	size_t before, after;
	int bad = churn_round(0);

	churn_round(0);		/* reaps the first round's detached threads */
	before = settled_free_pages();
	for (int r = 1; r <= CHURN_ROUNDS; r++)
		bad += churn_round(r);
	churn_round(0);
	after = settled_free_pages();
	report("churn", !bad && after == before,
	       "%d threads created and ended, %d failures, free pages %lu "
	       "-> %lu", (CHURN_ROUNDS + 3) * CHURN_BATCH * 2, bad,
	       (unsigned long)before, (unsigned long)after);
}

/* ---- local APIC IPIs, the tick, the heartbeat --------------------------- */

static volatile int ipi_count;

static void ipi_handler(struct trap_frame *tf)
{
	(void)tf;
	ipi_count++;
	apic_eoi();
}

/* Wait (sleeping) until ipi_count reaches n, for at most a second. */
static int ipi_wait(int n)
{
	for (int i = 0; i < 1000 && ipi_count < n; i++)
		thread_sleep_ms(1);
	return ipi_count >= n;
}

static void test_ipi(void)
{
	int vector = irq_alloc_vector(ipi_handler);
	int first, masked_held, second;
	uint64_t flags;

	if (vector < 0) {
		report("ipi", 0, "no free vector");
		return;
	}
	ipi_count = 0;
	first = apic_send_ipi(apic_id(), (unsigned int)vector) == 0 &&
		ipi_wait(1);
	flags = irq_save();
	apic_send_ipi(apic_id(), (unsigned int)vector);
	for (int i = 0; i < 100000; i++)
		cpu_relax();
	masked_held = ipi_count == 1;
	irq_restore(flags);
	second = ipi_wait(2);
	irq_set_handler((unsigned int)vector, NULL);
	report("ipi", first && masked_held && second,
	       "self-IPI on vector %d to APIC ID %u (%s): delivered %s, held "
	       "while interrupts were off %s, then delivered %s", vector,
	       apic_id(), apic_is_x2apic() ? "x2APIC" : "xAPIC",
	       first ? "yes" : "NO", masked_held ? "yes" : "NO",
	       second ? "yes" : "NO");
}

static void test_clock(void)
{
	volatile uint64_t *hb = &shared_state()->heartbeat;
	uint64_t hb0 = *hb, t0 = ticks(), ns0 = time_ns(), ns1;
	int monotonic = 1;

	for (int i = 0; i < 100000; i++) {
		ns1 = time_ns();
		if (ns1 < ns0)
			monotonic = 0;
		ns0 = ns1;
	}
	thread_sleep_ms(10);
	report("clock", monotonic && ticks() > t0 && *hb > hb0,
	       "time_ns %s, %llu ticks and %llu heartbeats in 10 ms "
	       "(TSC %llu kHz, APIC timer %llu kHz)",
	       monotonic ? "monotonic" : "WENT BACKWARDS",
	       (unsigned long long)(ticks() - t0),
	       (unsigned long long)(*hb - hb0),
	       (unsigned long long)tsc_khz(),
	       (unsigned long long)(apic_timer_hz() / 1000));
}

/* ---- the host's stop request -------------------------------------------- */

/*
 * Do what the host does; the guest must end with GUEST_EXIT_STOPPED.
 * "stop" leaves it to the next tick; "stop-ipi" stops the tick first,
 * so only the stop vector's interrupt can end the guest.
 */
static int play_host_stop(int by_ipi)
{
	struct kspawn_state *st = shared_state();

	printf("schedtest: requesting a stop as the host would%s\n",
	       by_ipi ? ", by IPI, with the timer stopped" : "");
	fflush(stdout);
	if (by_ipi)
		apic_timer_stop();
	__atomic_store_n(&st->host_request, KSPAWN_REQ_STOP,
			 __ATOMIC_RELEASE);
	if (by_ipi && apic_send_ipi(apic_id(), st->stop_vector)) {
		printf("FAIL stop: no stop vector\n");
		return 1;
	}
	/* Without a tick, sleeping would never end: spin instead. */
	for (uint64_t end = time_ns() + NSEC_PER_SEC; time_ns() < end;)
		cpu_relax();
	printf("FAIL stop: still running 1 s after the request\n");
	return 1;
}

/* ---- SMP: spread, pinned, moved ------------------------------------------ */

struct roamer {
	volatile int *stop;
	volatile uint32_t seen;		/* bit i: ran on CPU i */
};

static int roam_thread(void *arg)
{
	struct roamer *r = arg;

	while (!*r->stop)
		r->seen |= 1u << sched_cpu();
	return 0;
}

#define SMP_SPIN_MS 100

/*
 * As many busy threads as CPUs, while main sleeps: every CPU runs one.
 * A thread pinned to the last CPU runs only there; re-pinned to CPU 0
 * while it runs, it moves there.
 */
static void test_smp(void)
{
	unsigned int n = sched_ncpus();
	uint32_t all = sched_cpus_mask(), spread = 0, last = 1u << (n - 1);
	struct roamer r[KSPAWN_MAX_CPUS] = { 0 }, p = { 0 };
	struct thread *t[KSPAWN_MAX_CPUS], *pt;
	struct thread_attr pin = { .cpus = last };
	volatile int stop = 0, pstop = 0;
	uint32_t pinned_seen, moved = 0;

	for (unsigned int i = 0; i < n; i++) {
		r[i].stop = &stop;
		t[i] = spawn("roam", roam_thread, &r[i], THREAD_PRIO_NORMAL);
	}
	thread_sleep_ms(SMP_SPIN_MS);
	stop = 1;
	for (unsigned int i = 0; i < n; i++) {
		thread_join(t[i]);
		spread |= r[i].seen;
	}
	p.stop = &pstop;
	pt = thread_create("pinned", roam_thread, &p, &pin);
	if (!pt) {
		report("smp", 0, "cannot create a pinned thread");
		return;
	}
	thread_sleep_ms(SMP_SPIN_MS);
	pinned_seen = p.seen;
	thread_set_affinity(pt, 1);
	for (int i = 0; i < 100 && !moved; i++) {
		p.seen = 0;
		thread_sleep_ms(5);
		moved = p.seen == 1;
	}
	pstop = 1;
	thread_join(pt);
	report("smp", spread == all && pinned_seen == last && moved,
	       "%u CPUs (mask 0x%x): %u busy threads ran on 0x%x; pinned to "
	       "0x%x ran on 0x%x; re-pinned to CPU 0 %s", n, all, n, spread,
	       last, pinned_seen, moved ? "moved" : "did not move");
}

/*
 * TLB shootdown: CPU 1 reads a page (its TLB caches it), CPU 0 unmaps it
 * as a guard page is unmapped (mm_unmap_page), then CPU 1 reads it again
 * through a probe whose page fault is caught: it must fault.  Without
 * the shootdown, CPU 1 reads through its stale TLB entry.
 */
extern char tlb_probe_read[], tlb_probe_done[];
static volatile int tlb_faulted;
static trap_hook_t tlb_prev_hook;

static int tlb_hook(struct trap_frame *tf)
{
	if (tf->vector == 14 && tf->rip == (uint64_t)tlb_probe_read) {
		tlb_faulted = 1;
		tf->rip = (uint64_t)tlb_probe_done;
		return 1;
	}
	return tlb_prev_hook ? tlb_prev_hook(tf) : 0;
}

static void __attribute__((noinline, noclone)) tlb_probe(volatile uint8_t *p)
{
	__asm__ volatile(".globl tlb_probe_read, tlb_probe_done\n"
			 "tlb_probe_read: movb (%0), %%al\n"
			 "tlb_probe_done:"
			 : : "r"(p) : "rax", "memory");
}

struct tlb_job {
	volatile uint8_t *page;
	volatile int step;		/* 1: read once; 2: unmapped; 3: probed */
	int faulted;
};

static int tlb_reader(void *arg)
{
	struct tlb_job *j = arg;

	(void)*j->page;		/* into this CPU's TLB */
	j->step = 1;
	while (j->step != 2)
		cpu_relax();
	tlb_faulted = 0;
	tlb_probe(j->page);
	j->faulted = tlb_faulted;
	j->step = 3;
	return 0;
}

static void test_tlb(void)
{
	struct thread_attr on1 = { .cpus = 2 };
	struct tlb_job j = { 0 };
	struct thread *t;
	uint8_t *page;

	if (sched_ncpus() < 2) {
		report("tlb", 1, "one CPU: no other TLB to shoot down");
		return;
	}
	page = page_alloc(1);
	if (!page) {
		report("tlb", 0, "no page");
		return;
	}
	j.page = page;
	tlb_prev_hook = trap_debug_hook();
	trap_set_debug_hook(tlb_hook);
	pin_cpu0(1);
	t = thread_create("tlb", tlb_reader, &j, &on1);
	while (t && j.step != 1)
		thread_sleep_ms(1);
	mm_unmap_page((uint64_t)page);
	j.step = 2;
	while (t && j.step != 3)
		thread_sleep_ms(1);
	if (t)
		thread_join(t);
	pin_cpu0(0);
	trap_set_debug_hook(tlb_prev_hook);
	mm_remap_page((uint64_t)page);
	page_free(page, 1);
	report("tlb", t && j.faulted,
	       "a page CPU 1 had read, unmapped on CPU 0: CPU 1's next read %s",
	       !t ? "(no thread)" : j.faulted ? "faulted" :
	       "went through a stale TLB entry");
}

/* ---- driver ------------------------------------------------------------- */

static void pinned(void (*fn)(void))
{
	pin_cpu0(1);
	fn();
	pin_cpu0(0);
}

static void test_priority_pinned(void)
{
	pinned(test_priority);
}

static void test_sleep_pinned(void)
{
	pinned(test_sleep);
}

static void test_starvation_pinned(void)
{
	pinned(test_starvation);
}

static void test_fpu_pinned(void)
{
	pinned(test_fpu);
}

static const struct selftest tests[] = {
	{ "clock", test_clock },
	{ "ipi", test_ipi },
	{ "join", test_join },
	{ "priority", test_priority_pinned },
	{ "mutex", test_mutex },
	{ "timeout", test_timeouts },
	{ "waitq", test_waitq },
	{ "sleep", test_sleep_pinned },
	{ "starvation", test_starvation_pinned },
	{ "fpu", test_fpu_pinned },
	{ "smp", test_smp },
	{ "tlb", test_tlb },
	{ "pc-condvar", test_pc_condvar },
	{ "pc-semaphore", test_pc_semaphore },
	{ "churn", test_churn },
};

#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static int watchdog(void *arg)
{
	(void)arg;
	thread_sleep_ms(WATCHDOG_MS);
	printf("FAIL schedtest: still running after %d s (deadlock?)\n",
	       WATCHDOG_MS / 1000);
	exit(1);
}

static int schedtest_main(int argc, char **argv)
{
	struct thread_attr wd = { .prio = THREAD_PRIO_MAX, .detached = 1 };

	if (argc > 1 && !strcmp(argv[1], "stop"))
		return play_host_stop(0);
	if (argc > 1 && !strcmp(argv[1], "stop-ipi"))
		return play_host_stop(1);
	thread_create("watchdog", watchdog, NULL, &wd);
	return selftest_run(tests, NTESTS, argc, argv, "schedtest",
			    "test group");
}
APP(schedtest, schedtest_main,
    "scheduler, sync, time, APIC tests (or names; stop; stop-ipi)");
