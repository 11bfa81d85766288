/*
 * schedtest's scheduling groups: what the scheduler decides on one CPU
 * and how threads begin and end.
 *
 *   fpu         FPU/SSE state and rounding mode survive preemption
 *   sleep       no early wakeup, none later than a tick or two
 *   starvation  two busy threads of equal priority both run
 *   join        exit statuses reach the joiner; bad joins are refused
 *   idle        every CPU's idle thread refused to detach, priority, join
 *   priority    higher priority runs first, at once when raised, or
 *               when the running thread lowers itself below it
 *   irq-preempt a thread an interrupt wakes runs at once if it outranks
 *   churn       many threads created and ended leak no page
 *
 * All but join, idle and churn run pinned to CPU 0 (schedtest.c's table): they
 * count ticks or preemptions, which only one CPU's timer gives.
 */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apps/test/schedtest.h"

static uint64_t preemptions_of(struct thread *t)
{
	struct thread_info info;

	thread_get_info(t, &info);
	return info.preemptions;
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

void schedtest_test_fpu(void)
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
		t[i] = schedtest_spawn("fpu", fp_thread, &jobs[i], THREAD_PRIO_NORMAL);
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
		b = schedtest_spawn("busy", spin_thread, &busy, busy_prio);
	t = schedtest_spawn("sleeper", sleep_thread, &s, THREAD_PRIO_NORMAL);
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

void schedtest_test_sleep(void)
{
	sleep_case("idle CPU", 0);
	sleep_case("with a busy lower-priority thread", THREAD_PRIO_LOW);
	sleep_case("with a busy same-priority thread", THREAD_PRIO_NORMAL);
}

/* ---- no starvation at equal priority ------------------------------------ */

#define STARVE_MS 200
#define STARVE_MIN_TURNS 3

void schedtest_test_starvation(void)
{
	volatile int stop = 0;
	struct spinner a = { .stop = &stop }, b = { .stop = &stop };
	struct thread *ta, *tb;
	uint64_t t0 = ticks();

	a.other = &b.count;
	b.other = &a.count;
	ta = schedtest_spawn("spin-a", spin_thread, &a, THREAD_PRIO_NORMAL);
	tb = schedtest_spawn("spin-b", spin_thread, &b, THREAD_PRIO_NORMAL);
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

void schedtest_test_join(void)
{
	struct detached_job dj;
	struct thread_attr attr = { .detached = 1 };
	struct thread *t42, *t7, *tz, *td;
	int s42, s7, sz, sd, sself;

	t42 = schedtest_spawn("ret42", return_arg, (void *)42, THREAD_PRIO_NORMAL);
	t7 = schedtest_spawn("exit7", exit_seven, NULL, THREAD_PRIO_NORMAL);
	/* Higher priority: it has ended (a zombie) before we join it. */
	tz = schedtest_spawn("zombie", return_arg, (void *)-3, THREAD_PRIO_HIGH);
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

/* ---- idle threads ------------------------------------------------------- */

struct idle_threads {
	struct thread *t[KSPAWN_MAX_CPUS];
	unsigned int n;
};

static int collect_idle(const struct thread *t, void *arg)
{
	struct idle_threads *it = arg;

	/* THREAD_PRIO_IDLE is the idle threads' alone (kern/sched.h). */
	if (thread_priority(t) == THREAD_PRIO_IDLE && it->n < KSPAWN_MAX_CPUS)
		it->t[it->n++] = (struct thread *)t;
	return 0;
}

/*
 * Every idle thread a listing hands out is refused by thread_detach,
 * thread_set_priority and thread_join, another CPU's too: they once knew
 * only the calling CPU's own.  In that order, and no further once one is
 * taken: a detached idle thread harms no one, but a priority puts it on a
 * run queue, and a join waits for ever.  On one CPU there is no other
 * CPU's idle thread: the qemu suite runs this on 2 and 3 (smp-guest).
 */
void schedtest_test_idle(void)
{
	struct idle_threads it = { .n = 0 };
	const char *took = NULL;
	unsigned int i;

	thread_for_each(collect_idle, &it);
	for (i = 0; i < it.n && !took; i++) {
		if (thread_detach(it.t[i]) != -1)
			took = "thread_detach";
		else if (thread_set_priority(it.t[i], THREAD_PRIO_NORMAL) != -1)
			took = "thread_set_priority";
		else if (thread_join(it.t[i]) != -1)
			took = "thread_join";
	}
	if (took) {
		report("idle", 0, "%s took idle thread '%s' (id %u)", took,
		       thread_name(it.t[i - 1]), thread_id(it.t[i - 1]));
		return;
	}
	report("idle", it.n == sched_ncpus(),
	       "%u idle threads for %u CPUs, each refused by thread_detach, "
	       "thread_set_priority and thread_join", it.n, sched_ncpus());
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

void schedtest_test_priority(void)
{
	struct thread *h, *l1, *l2, *l3;
	int prio = thread_priority(thread_self());
	int high_first, none_low, boosted, lowered;

	run_count = 0;
	/* Higher than ours: it runs before thread_create returns. */
	h = schedtest_spawn("high", mark_run, (void *)1, THREAD_PRIO_HIGH);
	high_first = run_count == 1 && run_order[0] == 1;
	/* Lower than ours: they wait until we block, the higher one first. */
	l1 = schedtest_spawn("low", mark_run, (void *)2, THREAD_PRIO_LOW);
	l2 = schedtest_spawn("lowish", mark_run, (void *)3, THREAD_PRIO_LOW + 4);
	l3 = schedtest_spawn("raised", mark_run, (void *)4, THREAD_PRIO_LOW);
	none_low = run_count == 1;
	/* Raising a waiting thread above us lets it run at once. */
	thread_set_priority(l3, THREAD_PRIO_HIGH);
	boosted = run_count == 2 && run_order[1] == 4;
	/* Lowering ourselves below a waiting thread lets it run at once. */
	thread_set_priority(thread_self(), THREAD_PRIO_LOW + 2);
	lowered = run_count == 3 && run_order[2] == 3;
	thread_set_priority(thread_self(), prio);
	thread_join(l1);
	thread_join(l2);
	thread_join(l3);
	thread_join(h);
	report("priority", high_first && none_low && boosted && lowered &&
		     run_count == 4 && run_order[2] == 3 && run_order[3] == 2,
	       "run order %d %d %d %d (want 1 4 3 2), raised %s, lowered "
	       "below %s", run_order[0], run_order[1], run_order[2],
	       run_order[3], boosted ? "ran at once" : "DID NOT RUN",
	       lowered ? "ran at once" : "DID NOT RUN");
}

/* ---- an interrupt that wakes a higher priority preempts ---------------- */

/*
 * A self-IPI wakes a THREAD_PRIO_HIGH waiter while this NORMAL thread
 * spins without ever yielding.  The waiter must run on the way out of
 * the interrupt, in the tick the interrupt came in; left to the next
 * tick, as device interrupts once were, it never would.
 */
#define IRQ_WAKES 50

static struct semaphore irq_sem;
static volatile uint64_t irq_tick;
static volatile int irq_woken, irq_same_tick;

static void wake_irq(struct trap_frame *tf)
{
	(void)tf;
	apic_eoi();
	irq_tick = ticks();
	sema_up(&irq_sem);
}

static int irq_waiter(void *arg)
{
	(void)arg;
	for (int i = 0; i < IRQ_WAKES; i++) {
		sema_down(&irq_sem);
		if (ticks() == irq_tick)
			irq_same_tick++;
		__atomic_store_n(&irq_woken, i + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

void schedtest_test_irq_preempt(void)
{
	int vector = irq_alloc_vector(wake_irq), sent;
	struct thread *t;

	if (vector < 0) {
		report("irq-preempt", 0, "no free vector");
		return;
	}
	sema_init(&irq_sem, 0);
	irq_woken = irq_same_tick = 0;
	t = schedtest_spawn("irq-waiter", irq_waiter, NULL, THREAD_PRIO_HIGH);
	for (sent = 0; sent < IRQ_WAKES; sent++) {
		uint64_t end = time_after_ns(NSEC_PER_SEC);

		apic_send_ipi(apic_id(), (unsigned int)vector);
		while (__atomic_load_n(&irq_woken, __ATOMIC_ACQUIRE) <= sent &&
		       time_ns() < end)
			cpu_relax();
		if (irq_woken <= sent)
			break;
	}
	/* A waiter that never ran gets its wakeups by a voluntary switch. */
	for (int i = irq_woken; i < IRQ_WAKES; i++)
		sema_up(&irq_sem);
	thread_join(t);
	irq_set_handler((unsigned int)vector, NULL);
	report("irq-preempt", sent == IRQ_WAKES && irq_same_tick >= IRQ_WAKES * 9 / 10,
	       "%d of %d wakeups from an interrupt ran before the next tick, %d within a second",
	       irq_same_tick, IRQ_WAKES, sent);
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
void schedtest_test_churn(void)
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
