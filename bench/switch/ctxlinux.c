/*
 * ctxlinux [rounds=N] [cpu=N] [cpu2=N]: the Linux peer of the guest's ctxbench,
 * lat_ctx-style.  Two threads pinned to one CPU hand a token back and
 * forth, each blocking until the other wakes it, so every hand-off is a
 * context switch through the Linux scheduler:
 *
 *	pipe:  write one byte into the other's pipe, read one from ours
 *	futex: flip a shared word, FUTEX_WAKE, FUTEX_WAIT until it flips back
 *
 * One round is two hand-offs; each hand-off counts as one switch, as in
 * the guest.  The syscalls' own cost is part of the figure (nothing is
 * subtracted): that is what a thread waiting for a pipe or a lock pays.
 *
 * stdout holds only the results, for bench/ to parse:
 *
 *	pipe_ns X ns
 *	futex_ns X ns
 *	warmup N rounds		(each first plays rounds / 10, unmeasured)
 *
 * cpu2=N pins the second thread to CPU N instead (the peer of ctxbench
 * cross=1, bench/'s switch_cross_cpu): every hand-off then wakes a thread
 * on the other CPU.  A side may find its turn back before it slept, so
 * only half the hand-offs must switch there.
 *
 * Diagnostics go to stderr; any failure exits non-zero.  BENCH_SMALL=1
 * makes the default run short.  cpu defaults to 0 (the first CPU this
 * process may use, if 0 is not one of them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench/lib/hostbench.h"

#define ROUNDS_DEFAULT 100000L	/* 2000 with BENCH_SMALL (hb_scale) */
#define USAGE "ctxlinux [rounds=N] [cpu=N] [cpu2=N]"

enum kind { PIPE, FUTEX };

struct game {
	enum kind kind;
	int cpu, cpu2;			/* main's CPU, the child's */
	long warm, total;		/* total = warm + measured rounds */
	int to_child[2], to_main[2];	/* pipes: [0] read end, [1] write */
	int turn;			/* futex word: 0 main's, 1 child's */
	unsigned long token;		/* hand-offs so far */
	unsigned long bad;		/* hand-offs seen out of turn */
	long child_switches;
};

static void die(const char *what)
{
	fprintf(stderr, "ctxlinux: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's context switches, voluntary or not, so far. */
static long switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		die("getrusage");
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static void check_cpu(int want, const char *who)
{
	int cpu = sched_getcpu();

	if (cpu != want) {
		fprintf(stderr, "ctxlinux: %s runs on CPU %d, not %d\n", who,
			cpu, want);
		exit(1);
	}
}

/* ---- the two transports ------------------------------------------------- */

static void send_byte(int fd, unsigned char b)
{
	ssize_t n;

	while ((n = write(fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		die("pipe write");
}

static unsigned char recv_byte(int fd)
{
	unsigned char b;
	ssize_t n;

	while ((n = read(fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		if (!n)
			errno = EPIPE;
		die("pipe read");
	}
	return b;
}

static void futex_wake(int *word)
{
	if (syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		die("FUTEX_WAKE");
}

/* Sleep while *word == val; EAGAIN means it already changed. */
static void futex_wait(int *word, int val)
{
	if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0) &&
	    errno != EAGAIN && errno != EINTR)
		die("FUTEX_WAIT");
}

/*
 * Turns: 0 is main's, 1 the child's.  The word is written before the
 * wake, so a side that has not gone to sleep yet sees it and does not.
 */
static void futex_give(struct game *g, int to)
{
	__atomic_store_n(&g->turn, to, __ATOMIC_RELEASE);
	futex_wake(&g->turn);
}

static void futex_await(struct game *g, int me)
{
	while (__atomic_load_n(&g->turn, __ATOMIC_ACQUIRE) != me)
		futex_wait(&g->turn, !me);
}

/* ---- the two sides ------------------------------------------------------ */

static void *child(void *arg)
{
	struct game *g = arg;
	long sw = switches();

	hb_pin(g->cpu2);
	sched_yield();
	check_cpu(g->cpu2, "child thread");
	for (long i = 0; i < g->total; i++) {
		unsigned char b = (unsigned char)i;

		if (g->kind == PIPE)
			b = recv_byte(g->to_child[0]);
		else
			futex_await(g, 1);
		if (g->token != 2 * (unsigned long)i + 1 ||
		    b != (unsigned char)i)
			g->bad++;
		g->token++;
		if (g->kind == PIPE)
			send_byte(g->to_main[1], b);
		else
			futex_give(g, 0);
	}
	check_cpu(g->cpu2, "child thread");
	g->child_switches = switches() - sw;
	return NULL;
}

/* Returns nanoseconds per switch. */
static double play(enum kind kind, long rounds, int cpu, int cpu2)
{
	struct game g = { .kind = kind, .cpu = cpu, .cpu2 = cpu2 };
	uint64_t t0 = 0, t1;
	long sw, hand_offs;
	pthread_t th;
	int err;

	g.warm = hb_warm(rounds);
	g.total = g.warm + rounds;
	if (kind == PIPE && (pipe(g.to_child) || pipe(g.to_main)))
		die("pipe");
	/* The child pins itself to cpu2 (the same CPU but with cpu2=). */
	err = pthread_create(&th, NULL, child, &g);
	if (err) {
		errno = err;
		die("pthread_create");
	}
	sw = switches();
	for (long i = 0; i < g.total; i++) {
		if (i == g.warm)
			t0 = now_ns();
		if (g.token != 2 * (unsigned long)i)
			g.bad++;
		g.token++;
		if (kind == PIPE) {
			send_byte(g.to_child[1], (unsigned char)i);
			if (recv_byte(g.to_main[0]) != (unsigned char)i)
				g.bad++;
		} else {
			futex_give(&g, 1);
			futex_await(&g, 0);
		}
	}
	t1 = now_ns();
	sw = switches() - sw;
	err = pthread_join(th, NULL);
	if (err) {
		errno = err;
		die("pthread_join");
	}
	check_cpu(g.cpu, "main thread");
	if (kind == PIPE) {
		close(g.to_child[0]);
		close(g.to_child[1]);
		close(g.to_main[0]);
		close(g.to_main[1]);
	}
	if (g.bad || g.token != 2 * (unsigned long)g.total) {
		fprintf(stderr, "ctxlinux: %s: token %lu, want %lu, %lu out of turn\n",
			kind == PIPE ? "pipe" : "futex", g.token,
			2 * (unsigned long)g.total, g.bad);
		exit(1);
	}
	/*
	 * Every hand-off must switch the giving side out (on one CPU the
	 * other cannot run until it is); fewer switches than hand-offs
	 * would mean the sides never blocked and this measured no switch.
	 */
	hand_offs = 2 * g.total;
	if (cpu2 != cpu)
		hand_offs /= 2;
	if (sw + g.child_switches < hand_offs - 2) {
		fprintf(stderr, "ctxlinux: %s: %ld switches for %ld hand-offs\n",
			kind == PIPE ? "pipe" : "futex",
			sw + g.child_switches, hand_offs);
		exit(1);
	}
	return (double)(t1 - t0) / (2.0 * (double)rounds);
}

/* CPU 0 if this process may run there, else the first CPU it may. */
static int default_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const keys[] = { "rounds", "cpu", "cpu2", NULL };
	const char *rounds_s = hb_opt(argc, argv, 1, "rounds", NULL);
	const char *cpu_s = hb_opt(argc, argv, 1, "cpu", NULL);
	const char *cpu2_s = hb_opt(argc, argv, 1, "cpu2", NULL);
	long rounds = hb_scale(ROUNDS_DEFAULT);
	int cpu = default_cpu(), cpu2;
	double pipe_ns, futex_ns;

	hb_check_args(argc, argv, 1, keys, USAGE);
	if (rounds_s)
		rounds = hb_num("rounds", rounds_s, 1, 1L << 40);
	if (cpu_s)
		cpu = (int)hb_num("cpu", cpu_s, 0, CPU_SETSIZE - 1);
	cpu2 = cpu2_s ? (int)hb_num("cpu2", cpu2_s, 0, CPU_SETSIZE - 1) : cpu;
	hb_pin(cpu);
	/* The first switch away lands us there; make sure it did. */
	sched_yield();
	check_cpu(cpu, "main thread");

	pipe_ns = play(PIPE, rounds, cpu, cpu2);
	futex_ns = play(FUTEX, rounds, cpu, cpu2);
	fprintf(stderr, "ctxlinux: cpu %d and %d, %ld rounds (%ld hand-offs) each\n",
		cpu, cpu2, rounds, 2 * rounds);
	printf("pipe_ns %.1f ns\n", pipe_ns);
	printf("futex_ns %.1f ns\n", futex_ns);
	printf("warmup %ld rounds\n", hb_warm(rounds));
	return fflush(stdout) ? 1 : 0;
}
