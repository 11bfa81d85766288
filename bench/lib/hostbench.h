/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the hosted benchmarks (bench/blk, bench/net) share: KEY=VALUE
 * arguments, BENCH_SMALL, pinning and the second thread, the clock,
 * percentiles and the output contract of bench/run.sh: stdout holds only
 * "METRIC VALUE UNIT" lines, the primary metric first; everything else
 * goes to stderr.  Also the net benchmarks' command line, counting and
 * summary, the same for nethosted and udplo.  bench/lib/hostregion.h has
 * what only the two over kspawn's backends share.
 *
 * Every benchmark warms up before it measures: it does hb_warm(n) units
 * of its work first, through the same path, unmeasured (first touches of
 * memory, caches, branch predictors and the other side's wake-up are not
 * what is being compared), and says so on stdout: "warmup N UNIT".
 */
#ifndef BENCH_HOSTBENCH_H
#define BENCH_HOSTBENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/*
 * Check that every argument from argv[first] on is KEY=VALUE with a KEY
 * named in keys (NULL-terminated); exits 2 with usage otherwise.
 */
void hb_check_args(int argc, char **argv, int first, const char *const *keys,
		   const char *usage);

/* The value of KEY=... in argv[first..], or def. */
const char *hb_opt(int argc, char **argv, int first, const char *key,
		   const char *def);

/* A whole decimal number in [min, max] for key, or exit 2. */
long hb_num(const char *key, const char *s, long min, long max);

/* n, or n / 50 (but at least min(n, 100)) when BENCH_SMALL is set. */
long hb_scale(long n);

/* The warm-up before n measured units of work: n / 10, at least 1. */
static inline long hb_warm(long n)
{
	return n / 10 > 0 ? n / 10 : 1;
}

/* Pin the calling thread to one CPU; exits if refused (see hostbench.c). */
void hb_pin(int cpu);

/*
 * The other side of a benchmark (a device, an echo server): a thread on
 * CPU 1 while the caller stays on CPU 0.
 */
struct hb_peer {
	pthread_t thread;
	void *(*fn)(void *arg);
	void *arg;
	atomic_int running;
};

/*
 * Pin the caller to CPU 0 and run fn(arg) on CPU 1; returns once it runs
 * there, so that the clock starts with both sides polling.  Exits 1 (as
 * prog) if the thread cannot be started.
 */
void hb_peer_start(struct hb_peer *p, const char *prog,
		   void *(*fn)(void *arg), void *arg);

static inline void hb_peer_join(struct hb_peer *p)
{
	pthread_join(p->thread, NULL);
}

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t hb_now_ns(void);

/* Sort n latencies in place; hb_pct_us() then reads percentiles (us). */
void hb_sort(uint64_t *ns, long n);
double hb_pct_us(const uint64_t *sorted_ns, long n, int pct);

/* One "METRIC VALUE UNIT" line on stdout. */
void hb_metric(const char *name, double value, int decimals,
	       const char *unit);

/* A value of the environment variable as a count, 0 if unset. */
long hb_env_num(const char *name);

/*
 * The net benchmarks' payloads: a sequence number, then bytes made from
 * it, so that a reply shows which request it answers and whether it came
 * back whole.  size >= 8.
 */
void hb_payload_make(uint8_t *p, uint64_t seq, long size);
int hb_payload_ok(const uint8_t *p, long size);
uint64_t hb_payload_seq(const uint8_t *p);

/*
 * A stream of numbered messages that must come back in order: sent and
 * next (the number due back).  A gap before a message is a loss; one not
 * awaited any more (late, a duplicate, a damaged number) is damage.
 */
struct hb_stream {
	long sent, next, lost, damaged;
};

/* Message seq is back, whole or not; 1 if it was awaited and whole. */
int hb_stream_back(struct hb_stream *s, uint64_t seq, int whole);

/* Nothing came back for too long: what is in flight is lost. */
void hb_stream_give_up(struct hb_stream *s);

/*
 * What the net benchmarks (nethosted and its peer udplo) take, so that the
 * harness can give both one argument list:
 *
 *   NAME rtt|pps [size=64] [window=32] [count=N] [CHOICE=A|B]
 *
 * CHOICE is each one's own switch (A the default); ignored is a key it
 * takes but does not use (NULL: none).
 */
struct hb_net_cmd {
	const char *name, *usage;
	const char *choice, *words[2];
	const char *ignored;
	long max_size, max_window;
	long rtt_count, pps_count;	/* the default counts */
	const char *things;		/* what is counted, for the summary */
};

/*
 * One run of a net benchmark, counted alike on both.  count messages go
 * out and come back; the first warm of them are the warm-up: the clock
 * starts (t0) once they are back, and their round trips are not kept.
 */
struct hb_net {
	const struct hb_net_cmd *cmd;
	int rtt_mode;
	int alt;			/* CHOICE is B */
	long size, window, count, warm;
	long corrupt_at, lose_at;	/* BENCH_CORRUPT, BENCH_LOSE; 0: none */
	struct hb_stream st;
	uint64_t sent_at;		/* rtt mode: of the one in flight */
	uint64_t *rtt;			/* rtt mode: ns, per message back */
	long nrtt;
	uint64_t t0, t1;
	long next0;			/* st.next when the clock started */
};

/*
 * The run the command line asks for; exits 2 on a bad argument (with
 * usage), 1 if there is no room for the round trips.
 */
void hb_net_init(struct hb_net *n, const struct hb_net_cmd *cmd, int argc,
		 char **argv);

/*
 * Message seq is back, whole or not; its round trip kept in rtt mode
 * unless it is one of the warm-up's.
 */
static inline void hb_net_back(struct hb_net *n, uint64_t seq, int whole,
			       uint64_t now)
{
	if (hb_stream_back(&n->st, seq, whole) && n->rtt_mode &&
	    seq >= (uint64_t)n->warm)
		n->rtt[n->nrtt++] = now - n->sent_at;
}

/* After each receive that took something: the clock starts after warm. */
static inline void hb_net_warmed(struct hb_net *n)
{
	if (!n->t0 && n->st.next >= n->warm) {
		n->t0 = hb_now_ns();
		n->next0 = n->st.next;
	}
}

/*
 * The summary on stderr, then the metrics unless anything was lost or
 * damaged or failed is set: then none at all, and 1 for the exit status.
 */
int hb_net_report(struct hb_net *n, int failed);

void hb_net_free(struct hb_net *n);

/*
 * Waiting on a peer that polls or echoes: hb_idle() on each empty poll
 * says 1 once nothing has come for limit_ns; hb_busy() on progress.  The
 * clock is read on every 1024th empty poll only: reading it on each would
 * slow the round trips being measured.
 */
struct hb_wait {
	uint64_t since;
	unsigned int spins;
};

int hb_idle(struct hb_wait *w, uint64_t limit_ns);

static inline void hb_busy(struct hb_wait *w)
{
	w->since = 0;
}

/* xorshift64: cheap, and the same sequence on every run. */
static inline uint64_t hb_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif
