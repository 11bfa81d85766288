/*
 * schedtest's mutex groups: who gets a contended mutex, counted in
 * acquisitions and switches, never in time.
 *
 *   mutex-steal  a running thread that unlocks and locks again keeps
 *                the mutex instead of waiting for the woken waiter to
 *                run (no lock convoy), and that waiter still gets it
 *                soon: it is handed over once it lost a race
 *   mutex-fair   threads hammering one mutex: none waits for more than
 *                a bounded number of the others' acquisitions
 *
 * Both make the holder give up the CPU while it holds the mutex (a
 * yield), as a preempted holder does, but at a point the test chooses:
 * that is when a woken waiter runs and finds the mutex taken.  Both run
 * on CPU 0 alone (schedtest.c pins them): across CPUs, how many
 * acquisitions the others make while a woken waiter's CPU gets round to
 * running it is the emulator's timing, not the mutex's doing (3 906 seen
 * once on 3 CPUs under TCG, with the hand-off at work).
 */
#include <stdint.h>

#include "apps/test/schedtest.h"

static uint64_t switches_of(struct thread *t)
{
	struct thread_info info;

	thread_get_info(t, &info);
	return info.switches;
}

/* ---- stealing, and the hand-off that bounds it -------------------------- */

#define STEAL_ROUNDS 10000
#define STEAL_YIELD_EVERY 64

struct steal_job {
	struct mutex m;
	struct thread *last;		/* the last owner; under m */
	int round;			/* A's round; under m */
	int done;			/* A's rounds are over; under m */
	unsigned long again;		/* A's acquisitions right after its own */
	unsigned long b_got;		/* B's acquisitions during A's rounds */
	int b_first;			/* A's round at B's first, or -1 */
};

/*
 * B always wants the mutex, so it is queued whenever A unlocks; it
 * yields while it holds it, which hands the CPU to A if A is runnable.
 */
static int steal_b(void *arg)
{
	struct steal_job *j = arg;
	int done = 0;

	while (!done) {
		mutex_lock(&j->m);
		done = j->done;
		if (!done) {
			if (!j->b_got++)
				j->b_first = j->round;
			j->last = thread_self();
			thread_yield();
		}
		mutex_unlock(&j->m);
	}
	return 0;
}

/*
 * On one CPU: A runs its rounds, yielding while it holds the mutex
 * every STEAL_YIELD_EVERY of them.  A strict hand-off gives the mutex
 * to B at each of A's unlocks, so A's next lock waits for B every
 * round.  Stealing lets A take it again at once; B, woken, runs at A's
 * next yield, finds the mutex taken and asks for it, and A's next
 * unlock hands it over.  Without that hand-off B would lose every time
 * until A's rounds were over.
 */
void schedtest_test_mutex_steal(void)
{
	struct steal_job j = { .b_first = -1 };
	struct thread *self = thread_self(), *b;
	uint64_t sw0, a_switches;

	mutex_init(&j.m);
	mutex_lock(&j.m);
	b = schedtest_spawn("steal-b", steal_b, &j, THREAD_PRIO_NORMAL);
	/* B runs and queues behind us: we hold the mutex. */
	thread_yield();
	sw0 = switches_of(self);
	for (int i = 0; i < STEAL_ROUNDS; i++) {
		if (i)
			mutex_lock(&j.m);
		j.again += j.last == self;
		j.last = self;
		j.round = i;
		if (i % STEAL_YIELD_EVERY == STEAL_YIELD_EVERY - 1)
			thread_yield();
		if (i == STEAL_ROUNDS - 1)
			j.done = 1;
		mutex_unlock(&j.m);
	}
	a_switches = switches_of(self) - sw0;
	thread_join(b);
	/* B asks at A's first yield and is handed it by the next unlock. */
	report("mutex-steal", j.again >= STEAL_ROUNDS / 2 && j.b_first >= 0 &&
	       j.b_first < 2 * STEAL_YIELD_EVERY,
	       "of %d rounds, A took the mutex right after itself %lu times "
	       "(%llu switches); B, always waiting, got it %lu times, first "
	       "in A's round %d", STEAL_ROUNDS, j.again,
	       (unsigned long long)a_switches, j.b_got, j.b_first);
}

/* ---- fairness under hammering ------------------------------------------- */

#define FAIR_THREADS 4
#define FAIR_ROUNDS 4000
#define FAIR_YIELD_EVERY 16
/*
 * Others' acquisitions one thread may wait through.  On one CPU a
 * waiter's turn comes within a few of the others' yields (tens of
 * acquisitions); without the hand-off the first waiter waits for the
 * running thread's remaining rounds, nearly FAIR_ROUNDS.
 */
#define FAIR_MAX_WAIT (FAIR_ROUNDS / 2)

struct fair_job {
	struct mutex m;
	unsigned long seq;		/* acquisitions so far; written under m */
	unsigned long max_wait;		/* under m */
};

static int fair_thread(void *arg)
{
	struct fair_job *j = arg;

	for (int i = 0; i < FAIR_ROUNDS; i++) {
		unsigned long seq0 = __atomic_load_n(&j->seq, __ATOMIC_RELAXED);

		mutex_lock(&j->m);
		if (j->seq - seq0 > j->max_wait)
			j->max_wait = j->seq - seq0;
		__atomic_store_n(&j->seq, j->seq + 1, __ATOMIC_RELAXED);
		if (i % FAIR_YIELD_EVERY == 0)
			thread_yield();
		mutex_unlock(&j->m);
	}
	return 0;
}

void schedtest_test_mutex_fair(void)
{
	struct fair_job j = { .seq = 0 };
	struct thread *t[FAIR_THREADS];

	mutex_init(&j.m);
	for (int i = 0; i < FAIR_THREADS; i++)
		t[i] = schedtest_spawn("fair", fair_thread, &j,
				       THREAD_PRIO_NORMAL);
	for (int i = 0; i < FAIR_THREADS; i++)
		thread_join(t[i]);
	report("mutex-fair", j.seq == FAIR_THREADS * FAIR_ROUNDS &&
		     j.max_wait <= FAIR_MAX_WAIT,
	       "%d threads, %lu acquisitions of %d; the longest wait lasted "
	       "%lu of the others' acquisitions (at most %d)", FAIR_THREADS,
	       j.seq, FAIR_THREADS * FAIR_ROUNDS, j.max_wait, FAIR_MAX_WAIT);
}
