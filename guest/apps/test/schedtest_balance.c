/*
 * schedtest's balancing groups: a thread ready on one CPU, which another
 * CPU could run, is not left waiting there for ever.
 *
 *   strand  a thread queued behind a higher priority spinner moves to a
 *           CPU where it gets its turn, though that CPU has work queued
 *
 * Needs two CPUs; on one it passes with nothing to check.
 */
#include <stdint.h>

#include "apps/test/schedtest.h"

#define STRAND_TICKS 200

struct strand_spinner {
	volatile int *stop;
	volatile uint64_t count;
};

static int strand_spin(void *arg)
{
	struct strand_spinner *s = arg;

	while (!*s->stop)
		s->count++;
	return 0;
}

static struct thread *strand_spawn(const char *name,
				   struct strand_spinner *s, int prio,
				   uint32_t cpus)
{
	struct thread_attr attr = { .prio = prio, .cpus = cpus };

	return thread_create(name, strand_spin, s, &attr);
}

/*
 * CPU 0 runs a HIGH spinner; CPU 1 a NORMAL one, with a LOW one queued
 * behind it.  A NORMAL thread that may use either is placed on CPU 0
 * (the lighter, by count of threads), where it cannot run while the HIGH
 * one spins.  CPU 1 could share its NORMAL time with it, but only
 * looked for work to take with its queue empty, and its queue always
 * holds the LOW thread: the NORMAL one starved.
 */
void schedtest_test_strand(void)
{
	volatile int stop = 0;
	struct strand_spinner h = { .stop = &stop }, a = { .stop = &stop },
			      d = { .stop = &stop }, b = { .stop = &stop };
	struct thread *th, *ta, *td, *tb;
	struct thread *self = thread_self();
	int prio = thread_priority(self);
	uint64_t t0;

	if (sched_ncpus() < 2 || (sched_cpus_mask() & 3) != 3) {
		report("strand", 1, "one CPU: no other CPU to move to");
		return;
	}
	/* Above the spinners, to start them, watch, and stop them. */
	thread_set_priority(self, THREAD_PRIO_HIGH + 2);
	th = strand_spawn("strand-high", &h, THREAD_PRIO_HIGH, 1u << 0);
	ta = strand_spawn("strand-norm", &a, THREAD_PRIO_NORMAL, 1u << 1);
	td = strand_spawn("strand-low", &d, THREAD_PRIO_LOW, 1u << 1);
	thread_sleep_ms(10);
	tb = strand_spawn("strand-any", &b, THREAD_PRIO_NORMAL, 3);
	t0 = ticks();
	for (int i = 0; i < 100 && ticks() - t0 < STRAND_TICKS; i++)
		thread_sleep_ms(STRAND_TICKS * 1000 / HZ);
	stop = 1;
	if (th)
		thread_join(th);
	if (ta)
		thread_join(ta);
	if (td)
		thread_join(td);
	if (tb)
		thread_join(tb);
	thread_set_priority(self, prio);
	report("strand", th && ta && td && tb && b.count && a.count,
	       "over %llu ticks: NORMAL thread on CPUs 0-1 %llu loops, "
	       "NORMAL on CPU 1 %llu, HIGH on CPU 0 %llu, LOW on CPU 1 %llu",
	       (unsigned long long)(ticks() - t0),
	       (unsigned long long)b.count, (unsigned long long)a.count,
	       (unsigned long long)h.count, (unsigned long long)d.count);
}
