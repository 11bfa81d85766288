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

/* Nearest rank: the smallest value with at least pct% of them <= it. */
double hb_pct_us(const uint64_t *sorted_ns, long n, int pct)
{
	long rank = (n * pct + 99) / 100;

	if (n <= 0)
		return 0;
	if (rank < 1)
		rank = 1;
	return sorted_ns[rank - 1] / 1000.0;
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
