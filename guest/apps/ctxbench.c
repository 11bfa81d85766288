/*
 * ctxbench [rounds=N]: the cost of a context switch through the
 * scheduler, lat_ctx-style, on the one guest CPU.  Prints one line for
 * bench/ to collect:
 *
 *	ctxbench: rounds=N switch_ns=X yield_ns=Y
 *
 * switch_ns: two threads hand a token back and forth through a pair of
 * semaphores; each blocks in sema_down until the other's sema_up, so
 * every hand-off is a wakeup, a block and a switch through the
 * scheduler (the path a thread waiting for I/O takes).
 *
 * yield_ns: two threads that are always runnable take turns with
 * thread_yield; a hand-off is a trip through the run queue with no
 * wait queue involved.
 *
 * ctxbench cross=1 [rounds=N] plays the blocking ping-pong between
 * two threads pinned to guest CPUs 0 and 1 (an SMP guest): each hand-off
 * wakes a thread on the other CPU (a reschedule IPI when it idles there),
 * which is what bench/'s switch_cross_cpu row measures:
 *
 *	ctxbench: rounds=N warm=W cross_ns=X
 *
 * One round is two hand-offs (there and back); each hand-off counts as
 * one switch, as lmbench's lat_ctx and bench/switch/ctxlinux count them.
 * A warm-up of rounds / 10 comes first so the stacks, thread structures
 * and FPU areas are in the caches before the clock starts.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kspawn.h"

struct ctx {
	unsigned long warm, total;	/* total = warm + measured rounds */
	unsigned long token;		/* hand-offs so far */
	unsigned long bad;		/* hand-offs seen out of turn */
	struct semaphore sem[2];	/* sem[i]: side i may go */
	volatile int turn;		/* yield variant: who may go */
	struct thread *side[2];
	uint64_t t0, t1;		/* measured span */
	uint64_t sw0, sw1;		/* both sides' switch counts then */
};

static uint64_t switches_of(struct ctx *c)
{
	struct thread_info a, b;

	thread_get_info(c->side[0], &a);
	thread_get_info(c->side[1], &b);
	return a.switches + b.switches;
}

/*
 * The clock starts and stops on side 0 at the same point of its loop,
 * so the measured span holds exactly 2 * rounds hand-offs.
 */
static void mark(struct ctx *c, unsigned long i)
{
	if (i == c->warm) {
		c->sw0 = switches_of(c);
		c->t0 = time_ns();
	} else if (i == c->total) {
		c->t1 = time_ns();
		c->sw1 = switches_of(c);
	}
}

/* ---- blocking ping-pong ------------------------------------------------- */

static int sema_side0(void *arg)
{
	struct ctx *c = arg;
	unsigned long i;

	for (i = 0; i < c->total; i++) {
		mark(c, i);
		if (c->token != 2 * i)
			c->bad++;
		c->token++;
		sema_up(&c->sem[1]);
		sema_down(&c->sem[0]);
	}
	mark(c, i);
	return 0;
}

static int sema_side1(void *arg)
{
	struct ctx *c = arg;

	for (unsigned long i = 0; i < c->total; i++) {
		sema_down(&c->sem[1]);
		if (c->token != 2 * i + 1)
			c->bad++;
		c->token++;
		sema_up(&c->sem[0]);
	}
	return 0;
}

/* ---- yield ping-pong ---------------------------------------------------- */

/*
 * Each side waits for its turn by yielding, so both stay runnable.  When
 * the timer preempts a side that has just passed the turn, the other
 * side gets the CPU a little early; the hand-off count is unchanged.
 */
static void yield_side(struct ctx *c, int me, unsigned long i)
{
	while (c->turn != me)
		thread_yield();
	if (c->token != 2 * i + (unsigned long)me)
		c->bad++;
	c->token++;
	c->turn = !me;
}

static int yield_side0(void *arg)
{
	struct ctx *c = arg;
	unsigned long i;

	for (i = 0; i < c->total; i++) {
		mark(c, i);
		yield_side(c, 0, i);
	}
	/* Wait for side 1's last hand-off, as the semaphore variant does. */
	while (c->turn != 0)
		thread_yield();
	mark(c, i);
	return 0;
}

static int yield_side1(void *arg)
{
	struct ctx *c = arg;

	for (unsigned long i = 0; i < c->total; i++)
		yield_side(c, 1, i);
	return 0;
}

/* ---- driver ------------------------------------------------------------- */

/*
 * Run one variant; returns nanoseconds per switch times 10 (one decimal),
 * or 0 after printing why it failed.
 */
static uint64_t run(const char *what, thread_fn f0, thread_fn f1,
		    unsigned long rounds, int cross)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct thread_attr attr = { .prio = THREAD_PRIO_HIGH };
	struct thread_attr attr0 = attr;
	struct thread *self = thread_self();
	int prio = thread_priority(self), s0, s1;
	uint64_t ns, switches, handoffs = 2 * (uint64_t)rounds, ret = 0;

	if (!c) {
		kprintf("ctxbench: out of memory\n");
		return 0;
	}
	c->warm = rounds / 10 ? rounds / 10 : 1;
	c->total = c->warm + rounds;
	sema_init(&c->sem[0], 0);
	sema_init(&c->sem[1], 0);
	/*
	 * The sides run at one priority, above anything else that might be
	 * runnable, so only they take turns.  This thread stays above them
	 * until both exist: a side that ran at once would find the other
	 * missing (and a yielding side 1 alone would spin for ever).
	 */
	if (cross) {
		attr0.cpus = 1u << 0;
		attr.cpus = 1u << 1;
	}
	thread_set_priority(self, THREAD_PRIO_HIGH + 1);
	c->side[1] = thread_create("ctx-1", f1, c, &attr);
	c->side[0] = c->side[1] ? thread_create("ctx-0", f0, c, &attr0) : NULL;
	if (!c->side[0]) {
		kprintf("ctxbench: cannot create threads\n");
		exit(1);
	}
	s0 = thread_join(c->side[0]);
	s1 = thread_join(c->side[1]);
	thread_set_priority(self, prio);
	ns = c->t1 - c->t0;
	switches = c->sw1 - c->sw0;
	if (s0 || s1 || c->bad || c->token != 2 * c->total) {
		kprintf("ctxbench: %s: token %lu, want %lu, %lu out of turn\n",
			what, c->token, 2 * c->total, c->bad);
	} else if (switches < (cross ? handoffs / 2 : handoffs)) {
		/*
		 * A hand-off that did not switch threads measured nothing.
		 * Across CPUs a side may find its turn back before it slept
		 * (then it does not switch); most hand-offs must still block.
		 */
		kprintf("ctxbench: %s: %llu switches for %llu hand-offs\n",
			what, (unsigned long long)switches,
			(unsigned long long)handoffs);
	} else {
		ret = (ns * 10 + handoffs / 2) / handoffs;
		if (!ret)
			ret = 1;	/* below 0.1 ns: still a result */
	}
	free(c);
	return ret;
}

static int ctxbench_main(int argc, char **argv)
{
	long rounds = atol(app_opt(argc, argv, "rounds", "150000"));
	int cross = atoi(app_opt(argc, argv, "cross", "0")) == 1;
	uint64_t sw, yl;

	if (rounds < 1) {
		kprintf("ctxbench: bad arguments\n");
		return 2;
	}
	if (cross) {
		if (sched_ncpus() < 2) {
			kprintf("ctxbench: cross=1 needs 2 guest CPUs\n");
			return 2;
		}
		sw = run("cross", sema_side0, sema_side1,
			 (unsigned long)rounds, 1);
		if (!sw)
			return 1;
		kprintf("ctxbench: rounds=%ld warm=%ld cross_ns=%llu.%llu\n",
			rounds, rounds / 10 ? rounds / 10 : 1,
			(unsigned long long)(sw / 10),
			(unsigned long long)(sw % 10));
		return 0;
	}
	sw = run("switch", sema_side0, sema_side1, (unsigned long)rounds, 0);
	yl = run("yield", yield_side0, yield_side1, (unsigned long)rounds, 0);
	if (!sw || !yl)
		return 1;
	kprintf("ctxbench: rounds=%ld warm=%ld switch_ns=%llu.%llu yield_ns=%llu.%llu\n",
		rounds, rounds / 10 ? rounds / 10 : 1,
		(unsigned long long)(sw / 10),
		(unsigned long long)(sw % 10), (unsigned long long)(yl / 10),
		(unsigned long long)(yl % 10));
	return 0;
}
APP(ctxbench, ctxbench_main, "context switch cost: blocking and yield ping-pong [rounds=N] [cross=1]");
