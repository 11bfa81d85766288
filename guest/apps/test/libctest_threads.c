/*
 * libctest's groups on newlib's state per thread: errno, stdio and the
 * reentrancy structure behind them (libc/reent.c) each a thread's own,
 * with two threads taking turns on one CPU and with threads on every CPU
 * at once.  The app and its other groups are in libctest.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"
#include "apps/test/libctest.h"
#include "apps/test/selftest.h"

/*
 * Two threads take turns (through semaphores, so each sets errno while the
 * other has set its own and is waiting) and each must see only its own.
 */
struct errno_job {
	struct semaphore turn[2];
	int seen[2];
	int printed;
};

struct errno_arg {
	struct errno_job *job;
	int me;
};

static int errno_thread(void *arg)
{
	struct errno_job *j = ((struct errno_arg *)arg)->job;
	int me = ((struct errno_arg *)arg)->me;

	sema_down(&j->turn[me]);
	if (me == 0)
		strtol("99999999999999999999999", NULL, 10);	/* ERANGE */
	else
		fopen("/no/such/file", "r");			/* ENOENT */
	sema_up(&j->turn[!me]);
	if (me == 0)
		sema_down(&j->turn[0]);	/* until 1 has set its own */
	j->seen[me] = errno;
	j->printed += printf("  errno thread %d sees %d\n", me, errno) > 0;
	return 0;
}

void libctest_test_errno(void)
{
	struct errno_job j = { .seen = { -1, -1 } };
	struct errno_arg arg[2] = { { &j, 0 }, { &j, 1 } };
	struct thread *t[2];

	sema_init(&j.turn[0], 1);
	sema_init(&j.turn[1], 0);
	errno = EDOM;
	t[0] = thread_create("errno0", errno_thread, &arg[0], NULL);
	t[1] = thread_create("errno1", errno_thread, &arg[1], NULL);
	if (!t[0] || !t[1]) {
		report("errno", 0, "cannot create threads");
		return;
	}
	thread_join(t[0]);
	thread_join(t[1]);
	report("errno", j.seen[0] == ERANGE && j.seen[1] == ENOENT &&
		     errno == EDOM && j.printed == 2,
	       "thread 0 sees %d (want ERANGE %d), thread 1 sees %d (want "
	       "ENOENT %d), main still %d (want EDOM %d)", j.seen[0], ERANGE,
	       j.seen[1], ENOENT, errno, EDOM);
}

/*
 * The same on every CPU at once: two threads per guest CPU, pinned, each
 * setting errno, formatting, allocating and yielding (so that every CPU
 * keeps switching) and checking after each step that errno, its stdout
 * and its reentrancy structure are still its own and its output intact.
 * One CPU passes either way; on several, a newlib state shared by the
 * CPUs fails it at once.
 */
#define HAMMER_ROUNDS 3000
#define HAMMER_MAX 32

static int hammer_thread(void *arg)
{
	int me = (int)(uintptr_t)arg, bad = 0;
	struct _reent *mine = _REENT;
	FILE *out = stdout;
	char buf[48], want[48];

	snprintf(want, sizeof(want), "thread %d round", me);
	for (int i = 0; i < HAMMER_ROUNDS && bad < 10; i++) {
		char *p = malloc(16 + (size_t)(i % 64) * 8);

		errno = 1000 + me;
		snprintf(buf, sizeof(buf), "thread %d round", me);
		thread_yield();
		if (errno != 1000 + me || !p || strcmp(buf, want))
			bad++;
		strtol("99999999999999999999999", NULL, 10);
		if (errno != ERANGE || _REENT != mine || stdout != out)
			bad++;
		free(p);
	}
	bad += printf("  hammer thread %d on CPU %u: %d bad\n", me,
		      sched_cpu(), bad) <= 0;
	fflush(stdout);
	return bad;
}

void libctest_test_errno_smp(void)
{
	struct thread *t[HAMMER_MAX];
	unsigned int ncpus = sched_ncpus(), n = 2 * ncpus;
	int bad = 0;

	if (n > HAMMER_MAX)
		n = HAMMER_MAX;
	for (unsigned int i = 0; i < n; i++) {
		struct thread_attr a = { .cpus = 1u << (i % ncpus) };

		t[i] = thread_create("hammer", hammer_thread,
				     (void *)(uintptr_t)i, &a);
	}
	for (unsigned int i = 0; i < n; i++)
		bad += t[i] ? thread_join(t[i]) : 1;
	report("errno-smp", !bad, "%u threads on %u CPUs x %d rounds: %d bad",
	       n, ncpus, HAMMER_ROUNDS, bad);
}
