// SPDX-License-Identifier: GPL-2.0 OR MIT
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/lib/hostbench.h"
#include "guest/lib/percentile.h"

static int key_is(const char *arg, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(arg, key, n) && arg[n] == '=';
}

void hb_check_args(int argc, char **argv, int first, const char *const *keys,
		   const char *usage)
{
	for (int i = first; i < argc; i++) {
		const char *const *k = keys;

		while (*k && !key_is(argv[i], *k))
			k++;
		if (!*k) {
			fprintf(stderr, "unknown argument '%s'\nusage: %s\n",
				argv[i], usage);
			exit(2);
		}
	}
}

const char *hb_opt(int argc, char **argv, int first, const char *key,
		   const char *def)
{
	const char *v = def;

	/* The last one wins, as with most command lines. */
	for (int i = first; i < argc; i++)
		if (key_is(argv[i], key))
			v = argv[i] + strlen(key) + 1;
	return v;
}

long hb_num(const char *key, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s=%s: want a number from %ld to %ld\n",
			key, s, min, max);
		exit(2);
	}
	return v;
}

long hb_env_num(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? hb_num(name, s, 0, 1L << 40) : 0;
}

long hb_scale(long n)
{
	const char *s = getenv("BENCH_SMALL");
	long floor = n < 100 ? n : 100;

	if (!s || !*s || !strcmp(s, "0"))
		return n;
	return n / 50 > floor ? n / 50 : floor;
}

void hb_pin(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (!err && sched_getcpu() != cpu)
		err = EINVAL;	/* the call said yes, the scheduler no */
	/*
	 * Both sides poll: sharing one CPU they would take turns by the
	 * scheduler's tick and measure that, not the path.  No number
	 * beats a wrong one.
	 */
	if (err) {
		fprintf(stderr, "cannot pin to CPU %d (%s): these benchmarks need two CPUs\n",
			cpu, strerror(err));
		exit(1);
	}
}

/* The peer's thread: on its CPU before it says it runs. */
static void *peer_main(void *arg)
{
	struct hb_peer *p = arg;

	hb_pin(1);
	atomic_store(&p->running, 1);
	return p->fn(p->arg);
}

void hb_peer_start(struct hb_peer *p, const char *prog,
		   void *(*fn)(void *arg), void *arg)
{
	p->fn = fn;
	p->arg = arg;
	atomic_store(&p->running, 0);
	hb_pin(0);
	if (pthread_create(&p->thread, NULL, peer_main, p)) {
		fprintf(stderr, "%s: cannot start the second thread\n", prog);
		exit(1);
	}
	while (!atomic_load(&p->running))
		;
}

uint64_t hb_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void hb_sort(uint64_t *ns, long n)
{
	qsort(ns, (size_t)n, sizeof(*ns), cmp_u64);
}

/* The nearest rank, as every benchmark takes it (guest/lib/percentile.h). */
double hb_pct_us(const uint64_t *sorted_ns, long n, int pct)
{
	if (n <= 0)
		return 0;
	return sorted_ns[percentile_index(n, pct)] / 1000.0;
}

void hb_metric(const char *name, double value, int decimals,
	       const char *unit)
{
	printf("%s %.*f %s\n", name, decimals, value, unit);
}

int hb_idle(struct hb_wait *w, uint64_t limit_ns)
{
	uint64_t now;

	if (++w->spins % 1024)
		return 0;
	now = hb_now_ns();
	if (!w->since)
		w->since = now;
	if (now - w->since <= limit_ns)
		return 0;
	w->since = 0;
	return 1;
}

static uint8_t pattern(uint64_t seq, long k)
{
	return (uint8_t)(seq * 131 + (uint64_t)k);
}

void hb_payload_make(uint8_t *p, uint64_t seq, long size)
{
	memcpy(p, &seq, 8);
	for (long k = 8; k < size; k++)
		p[k] = pattern(seq, k);
}

uint64_t hb_payload_seq(const uint8_t *p)
{
	uint64_t seq;

	memcpy(&seq, p, 8);
	return seq;
}

int hb_payload_ok(const uint8_t *p, long size)
{
	uint64_t seq = hb_payload_seq(p);

	for (long k = 8; k < size; k++)
		if (p[k] != pattern(seq, k))
			return 0;
	return 1;
}

int hb_stream_back(struct hb_stream *s, uint64_t seq, int whole)
{
	long due = s->next;

	if (seq < (uint64_t)s->next || seq >= (uint64_t)s->sent) {
		whole = 0;	/* not awaited: next stays */
	} else {
		s->lost += (long)seq - s->next;
		s->next = (long)seq + 1;
	}
	if (whole)
		return 1;
	if (s->damaged++ < 5)
		fprintf(stderr, "damaged message: number %llu, expected %ld\n",
			(unsigned long long)seq, due);
	return 0;
}

void hb_stream_give_up(struct hb_stream *s)
{
	s->lost += s->sent - s->next;
	s->next = s->sent;
}

void hb_net_init(struct hb_net *n, const struct hb_net_cmd *cmd, int argc,
		 char **argv)
{
	/* A NULL ignored ends the list one early. */
	const char *const keys[] = { "size", "window", "count", cmd->choice,
				     cmd->ignored, NULL };
	const char *choice = hb_opt(argc, argv, 2, cmd->choice, cmd->words[0]);
	const char *count = hb_opt(argc, argv, 2, "count", NULL);

	*n = (struct hb_net){ .cmd = cmd };
	if (argc < 2 || (strcmp(argv[1], "rtt") && strcmp(argv[1], "pps")) ||
	    (strcmp(choice, cmd->words[0]) && strcmp(choice, cmd->words[1]))) {
		fprintf(stderr, "usage: %s\n", cmd->usage);
		exit(2);
	}
	hb_check_args(argc, argv, 2, keys, cmd->usage);
	n->rtt_mode = !strcmp(argv[1], "rtt");
	n->alt = !strcmp(choice, cmd->words[1]);
	n->size = hb_num("size", hb_opt(argc, argv, 2, "size", "64"), 8,
			 cmd->max_size);
	/* rtt keeps one in flight, whatever window says: it is not read. */
	n->window = n->rtt_mode ? 1 :
		    hb_num("window", hb_opt(argc, argv, 2, "window", "32"), 1,
			   cmd->max_window);
	n->count = n->rtt_mode ? cmd->rtt_count : cmd->pps_count;
	if (count)
		n->count = hb_num("count", count, 1, 1L << 28);
	n->count = hb_scale(n->count);
	n->warm = hb_warm(n->count);
	n->count += n->warm;
	n->corrupt_at = hb_env_num("BENCH_CORRUPT");
	n->lose_at = hb_env_num("BENCH_LOSE");
	if (!n->rtt_mode)
		return;
	n->rtt = malloc(sizeof(*n->rtt) * (size_t)n->count);
	if (!n->rtt) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
}

int hb_net_report(struct hb_net *n, int failed)
{
	const struct hb_net_cmd *c = n->cmd;
	long measured = n->count - n->next0;
	double secs = n->t0 ? (n->t1 - n->t0) / 1e9 : 0;

	failed = failed || n->st.lost || n->st.damaged;
	fprintf(stderr, "%s: %s size=%ld window=%ld %s=%s: %ld %s after %ld of warm-up in %.3f s, %ld lost, %ld damaged%s\n",
		c->name, n->rtt_mode ? "rtt" : "pps", n->size, n->window,
		c->choice, c->words[n->alt], measured, c->things, n->warm,
		secs, n->st.lost, n->st.damaged, failed ? ": FAIL" : "");
	if (failed)
		return 1;
	if (measured <= 0 || secs <= 0 || (n->rtt_mode && !n->nrtt)) {
		fprintf(stderr, "%s: nothing measured after the warm-up\n",
			c->name);
		return 1;
	}
	if (!n->rtt_mode) {
		hb_metric("pps", measured / secs, 0, "pkt/s");
	} else {
		hb_sort(n->rtt, n->nrtt);
		hb_metric("rtt_p50_us", hb_pct_us(n->rtt, n->nrtt, 50), 2,
			  "us");
		hb_metric("rtt_p99_us", hb_pct_us(n->rtt, n->nrtt, 99), 2,
			  "us");
	}
	hb_metric("warmup", (double)n->warm, 0, c->things);
	return 0;
}

void hb_net_free(struct hb_net *n)
{
	free(n->rtt);
	n->rtt = NULL;
}
