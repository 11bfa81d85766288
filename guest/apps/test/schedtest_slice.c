/*
 * schedtest's time-slice groups: a thread that keeps the CPU must still
 * give it up when its slice ends, however it came to keep it.
 *
 *   yield-slice    a thread that yielded with nobody to yield to still
 *                  has its slice counted: a peer made ready later runs
 *   preempt-front  a thread preempted with its slice not used up goes
 *                  back to the front of its queue, ahead of its peers
 *
 * Pinned to CPU 0 (schedtest.c's table): slices are counted in the
 * ticks only CPU 0's timer gives.
 */
#include <stdint.h>

#include "apps/test/schedtest.h"

/* ---- a yield that kept the CPU ------------------------------------------ */

/*
 * How long the yielder spins, at most, waiting for its peer to run: far
 * beyond a slice, so a peer that never gets its turn shows as a wait of
 * all of it rather than a hang.
 */
#define YIELD_SPIN_TICKS (40 * SCHED_SLICE_TICKS)
/* A slice, the tick that ends it, and slack for a lost tick or two. */
#define YIELD_WAIT_MAX_TICKS (2 * SCHED_SLICE_TICKS + 2)

struct yielder {
	struct semaphore started;
	volatile int peer_ran;
	uint64_t waited_ticks;
};

/*
 * Yield while no other thread of this priority is ready, so the yield
 * returns at once; then make the main thread (the same priority) ready
 * and spin without blocking or yielding again.  Only the time slice can
 * give the main thread its turn.
 */
static int yield_then_spin(void *arg)
{
	struct yielder *y = arg;
	uint64_t t0;

	thread_yield();
	t0 = ticks();
	sema_up(&y->started);
	while (!y->peer_ran && ticks() - t0 < YIELD_SPIN_TICKS)
		cpu_relax();
	y->waited_ticks = ticks() - t0;
	return 0;
}

/*
 * A yield with no one to switch to once left the yielder's slice at 0,
 * which the tick reads as "not counting": it then kept the CPU from
 * every peer of its priority until it blocked.
 */
void schedtest_test_yield_slice(void)
{
	struct yielder y = { .peer_ran = 0 };
	struct thread *t;

	sema_init(&y.started, 0);
	t = schedtest_spawn("yielder", yield_then_spin, &y,
			    thread_priority(thread_self()));
	sema_down(&y.started);
	y.peer_ran = 1;
	thread_join(t);
	report("yield-slice", y.waited_ticks <= YIELD_WAIT_MAX_TICKS,
	       "a thread that yielded alone, then spun, let a peer of its "
	       "priority run after %llu ticks (limit %d; slice %d)",
	       (unsigned long long)y.waited_ticks, YIELD_WAIT_MAX_TICKS,
	       SCHED_SLICE_TICKS);
}

/* ---- a preempted thread keeps its place ---------------------------------- */

/*
 * Its slice, less a tick or two that may come between its switch in and
 * its look at ticks(); put at the back, its peer starts 1 or 2 ticks in.
 */
#define PREEMPT_GAP_MIN_TICKS (SCHED_SLICE_TICKS - 2)

struct front_job {
	volatile int stop;
	volatile uint64_t started[2];	/* ticks() as each first ran, + 1 */
};

struct front_runner {
	struct front_job *j;
	int i;
};

static int front_spin(void *arg)
{
	struct front_runner *r = arg;

	r->j->started[r->i] = ticks() + 1;
	while (!r->j->stop)
		cpu_relax();
	return 0;
}

/*
 * Two busy threads of a priority below ours: the first runs while we
 * sleep, and each of our wake-ups preempts it with most of its slice
 * left.  Put back at the front of its queue, it runs on when we sleep
 * again, and its peer only once its slice is used up; at the back, the
 * peer took over at our first wake-up, a tick or two in.
 */
void schedtest_test_preempt_front(void)
{
	struct front_job j = { .stop = 0 };
	struct front_runner r[2] = { { &j, 0 }, { &j, 1 } };
	struct thread *t[2];
	uint64_t gap;

	for (int i = 0; i < 2; i++)
		t[i] = schedtest_spawn("front", front_spin, &r[i],
				       thread_priority(thread_self()) - 1);
	for (int i = 0; i < 1000 && !j.started[1]; i++)
		thread_sleep_ms(1);
	j.stop = 1;
	for (int i = 0; i < 2; i++)
		thread_join(t[i]);
	gap = j.started[1] - j.started[0];
	report("preempt-front", j.started[0] && j.started[1] &&
		     gap >= PREEMPT_GAP_MIN_TICKS,
	       "a thread preempted early in its slice ran on: its peer "
	       "started %llu ticks after it (want at least %d; slice %d)",
	       (unsigned long long)gap, PREEMPT_GAP_MIN_TICKS,
	       SCHED_SLICE_TICKS);
}
