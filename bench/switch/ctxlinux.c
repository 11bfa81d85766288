/*
 * ctxlinux [rounds=N] [cpu=N]: the Linux peer of the guest's ctxbench,
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

#define ROUNDS_DEFAULT 100000L
#define ROUNDS_SMALL 2000L

enum kind { PIPE, FUTEX };

struct game {
	enum kind kind;
	int cpu;
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

	check_cpu(g->cpu, "child thread");
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
	check_cpu(g->cpu, "child thread");
	g->child_switches = switches() - sw;
	return NULL;
}

/* Returns nanoseconds per switch. */
static double play(enum kind kind, long rounds, int cpu)
{
	struct game g = { .kind = kind, .cpu = cpu };
	uint64_t t0 = 0, t1;
	long sw, hand_offs;
	pthread_t th;
	int err;

	g.warm = rounds / 10 ? rounds / 10 : 1;
	g.total = g.warm + rounds;
	if (kind == PIPE && (pipe(g.to_child) || pipe(g.to_main)))
		die("pipe");
	/* The child inherits this thread's affinity: the one CPU. */
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
	if (sw + g.child_switches < hand_offs - 2) {
		fprintf(stderr, "ctxlinux: %s: %ld switches for %ld hand-offs\n",
			kind == PIPE ? "pipe" : "futex",
			sw + g.child_switches, hand_offs);
		exit(1);
	}
	return (double)(t1 - t0) / (2.0 * (double)rounds);
}

/* The value of a KEY=VALUE argument, or def. */
static const char *opt(int argc, char **argv, const char *key,
		       const char *def)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return def;
}

static long number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "ctxlinux: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
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
	const char *small = getenv("BENCH_SMALL");
	long rounds = small && *small && strcmp(small, "0") ?
		ROUNDS_SMALL : ROUNDS_DEFAULT;
	int cpu = default_cpu(), err;
	double pipe_ns, futex_ns;
	cpu_set_t set;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "rounds=", 7) && strncmp(argv[i], "cpu=", 4)) {
			fprintf(stderr, "usage: ctxlinux [rounds=N] [cpu=N]\n");
			return 2;
		}
	}
	if (opt(argc, argv, "rounds", NULL))
		rounds = number(opt(argc, argv, "rounds", NULL), "rounds");
	if (opt(argc, argv, "cpu", NULL))
		cpu = (int)number(opt(argc, argv, "cpu", NULL), "cpu");
	if (rounds < 1 || cpu >= CPU_SETSIZE) {
		fprintf(stderr, "ctxlinux: rounds must be at least 1, cpu below %d\n",
			CPU_SETSIZE);
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err) {
		errno = err;
		fprintf(stderr, "ctxlinux: cannot run on CPU %d: %s\n", cpu,
			strerror(errno));
		return 1;
	}
	/* The first switch away lands us there; make sure it did. */
	sched_yield();
	check_cpu(cpu, "main thread");

	pipe_ns = play(PIPE, rounds, cpu);
	futex_ns = play(FUTEX, rounds, cpu);
	fprintf(stderr, "ctxlinux: cpu %d, %ld rounds (%ld switches) each\n",
		cpu, rounds, 2 * rounds);
	printf("pipe_ns %.1f ns\n", pipe_ns);
	printf("futex_ns %.1f ns\n", futex_ns);
	return fflush(stdout) ? 1 : 0;
}
