/*
 * ringbench: kspawn's virtqueue (guest/lib/virtq*.c driving, host/backend
 * serving) between two threads pinned to two cores, against the physical
 * limit (a cache-line ping-pong between the same cores) and DPDK's
 * rte_ring single-producer/single-consumer, carrying the same payloads.
 *
 *   ringbench latency  split|packed|pingpong|rte_ring PAYLOAD
 *   ringbench throughput split|packed|rte_ring PAYLOAD BATCH
 *   ringbench sidebyside PAYLOAD BATCH
 *   ringbench costs PAYLOAD BATCH
 *
 * latency and throughput print one number: one-way latency in ns (half a
 * round trip), or throughput in million messages per second; then
 * "warmup N rounds" (or msgs), what went first, untimed.  sidebyside
 * measures all of them in one run, in turns of a few hundred microseconds
 * (the order rotating each turn), and prints "metric value unit" lines:
 * each system's median, and the median over turns of the ratios taken
 * within a turn (round trip / ping-pong, throughput / rte_ring).
 * costs runs one thread only, on CPU 0, and prints each system's
 * instruction cost per message in TSC cycles, phase by phase (the driver's
 * copy-in and add, the device's take-copy-give-back, the driver's get),
 * the median over batches: all in cache, no other core, so a loaded
 * machine barely moves it.  It says where the cycles of a layout go
 * that the two-thread runs can only show as a ratio.
 *
 * The virtqueues run with VIRTIO_F_IN_ORDER negotiated unless
 * RINGBENCH_IN_ORDER=0 is in the environment; RINGBENCH_PHASES=1 adds
 * to sidebyside each side's cycles per message, phase by phase.
 *
 * Fair to every system: the same two CPUs (each thread checks it runs
 * where it was pinned), the same payload copied in by the sender from a
 * message of its own and copied out by the receiver, the same buffers (a
 * system's k-th message, round trip or batch, in buffer k mod QSIZE), a
 * warm-up that is not timed, and the same statistic.  The machine is shared: a spinning
 * thread whose peer was preempted measures the scheduler, not the ring.
 * So the timed part is cut in CHUNKS chunks and the median chunk is the
 * result: a preemption spoils the one chunk it falls in.  On a virtual
 * machine the two vCPUs also move between nearer and farther host cores
 * (here a ping-pong is either ~60 or ~260 ns one way, for seconds at a
 * time): sidebyside's turns make every ratio from measurements taken
 * within a millisecond of each other.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include <rte_ring.h>

#include "bench/lib/hostbench.h"
#include "bench/ring/phases.h"
#include "host/backend/vq.h"
#include "lib/virtq.h"

#define REGION (4u << 20)
#define BASE 0x10000000ULL
#define QSIZE 256
#define BUFS (2u << 20)			/* where the payload buffers start */
/*
 * Payload buffers BUF_STRIDE apart: 2 KiB and one line, so that buffer
 * k's first line falls in L1 set 33k mod 64 and a batch's payloads spread
 * over every set.  2 KiB apart they all fell in two of the 64 sets (8
 * ways each), which every batch's copies then thrashed, evicting whatever
 * else lived there (the split ring's index lines did, before virtq.c
 * coloured them).  The same pool for every system.
 */
#define BUF_STRIDE (2048 + 64)
static long ROUNDS_LAT = 200000;	/* RINGBENCH_SCALE divides these */
static long MSGS_TPUT = 2000000;
static long TURNS = 400;
#define CHUNKS 1000			/* timed chunks; the median counts */
#define WARMUP_DIV 10			/* untimed warm-up: a tenth more */

/* What the peer thread serves; the driver thread switches it. */
enum { PINGPONG, RTE_RING, SPLIT, PACKED, NSYS };
_Static_assert(NSYS <= PHASES_SYS, "phases.h counts every system");
static const char *const sys_name[NSYS] = {
	"pingpong", "rte_ring", "split", "packed"
};

static uint8_t *region;
static struct kb_region kr;
/*
 * Each side's own state on lines of its own: the cookies once shared a
 * line with mode, which the peer reads at every poll, so each lap the
 * driver's store to the first cookies took that line from the peer.
 */
static _Alignas(64) struct kb_vq dvq[2];	/* device side: split, packed */
static _Alignas(64) struct virtq vq[2];		/* driver side */
static _Alignas(64) void *cookies[2][QSIZE];
static int payload, batch;
static _Alignas(64) atomic_int mode;	/* driver: which system now */
static atomic_int ack;			/* peer: the mode it serves */
static atomic_int go, done;
static _Alignas(64) uint8_t sink[2048];	/* where receivers copy payloads */
static _Alignas(64) uint8_t msg[2048];	/* what senders copy in */
/*
 * Messages each system has sent and had back.  A system's k-th message
 * goes in buffer k mod QSIZE, round trips and batches alike: a fixed pool,
 * the same for every system, whichever ran the turn before.
 */
static _Alignas(64) long sent[NSYS], got[NSYS];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *t, long n)
{
	qsort(t, n, sizeof(t[0]), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static uint64_t gpa(const void *va)
{
	return BASE + (uint64_t)((const uint8_t *)va - region);
}

static uint8_t *buf_at(long i)
{
	return region + BUFS + (i % QSIZE) * BUF_STRIDE;
}

/*
 * The pool as every sender names it: buffer k at [k] and again at
 * [k + QSIZE], so a batch starting anywhere is one run of entries.  Built
 * once, as a driver with a fixed pool keeps its buffers' descriptions:
 * the senders' copy loops store nothing but payloads.  (Filling a b[] and
 * a cookie array per message in that loop, where rte_ring's side filled
 * one pointer, queued two stores more per message behind the payload
 * stores, each waiting for a line the receiver last read.)
 */
static struct virtq_buf pool_buf[2 * QSIZE];
static void *pool_ptr[2 * QSIZE];

/*
 * The sender's copy: the message, then its number in the first byte.
 * (Numbering msg itself first would make the copy's load wait for that
 * store behind every store still queued: a stall no real sender has.)
 */
static void copy_in(uint8_t *p, long i)
{
	memcpy(p, msg, payload);
	p[0] = (uint8_t)i;
}

/*
 * RINGBENCH_PHASES=1: each side's phases counted (phases.h) in the
 * throughput turns, the ones the peer is told of by COUNTED in the mode.
 */
static int phases;
#define COUNTED 0x100

/* ---- the peer's half of each system, one poll at a time ---- */

static _Alignas(64) atomic_long ping;
static _Alignas(64) atomic_long pong;
static struct rte_ring *req, *rep;

static void pp_serve(void)
{
	static long seen;
	long v = atomic_load_explicit(&ping, memory_order_acquire);

	if (v != seen) {
		seen = v;
		atomic_store_explicit(&pong, v, memory_order_release);
	}
}

static int rr_serve(void)
{
	void *objs[64];
	unsigned int n = rte_ring_sc_dequeue_burst(req, objs, 64, NULL);

	for (unsigned int i = 0; i < n; i++)
		memcpy(sink, objs[i], payload);
	while (n && !rte_ring_sp_enqueue_burst(rep, objs, n, NULL))
		;
	return (int)n;
}

/*
 * As rte_ring's side: a batch taken in one call, each payload copied out,
 * the batch given back in one call, then one publish.
 */
static int vq_serve(struct kb_vq *d)
{
	struct kb_buf b[64];
	int n = kb_vq_pop_bufs(d, b, 64);

	if (n <= 0)
		return 0;
	for (int k = 0; k < n; k++)
		memcpy(sink, b[k].p, b[k].len);	/* consume it */
	kb_vq_push_bufs(d, b, NULL, n);
	kb_vq_publish(d);
	return n;
}

static void *peer(void *arg)
{
	(void)arg;
	hb_pin(1);
	atomic_store(&go, 1);
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		int m = atomic_load_explicit(&mode, memory_order_acquire), sys;

		if (m != atomic_load_explicit(&ack, memory_order_relaxed))
			atomic_store_explicit(&ack, m, memory_order_release);
		if (m < 0)
			continue;
		sys = m & ~COUNTED;
		if (sys == PINGPONG) {
			pp_serve();
		} else {
			uint64_t t0 = m & COUNTED ? __rdtsc() : 0;
			int n = sys == RTE_RING ? rr_serve() :
					vq_serve(&dvq[sys - SPLIT]);

			if (m & COUNTED)
				phases_peer(sys, n, t0);
		}
	}
	return NULL;
}

/* The peer serves m from now on (all of the last system's work is done). */
static void switch_to(int m)
{
	atomic_store_explicit(&mode, m, memory_order_release);
	while (atomic_load_explicit(&ack, memory_order_acquire) != m)
		;
}

/* ---- the driver's half: one round trip, or one batch ---- */

static long round_trip(int s)
{
	uint8_t *buf = buf_at(sent[s]);
	void *obj = buf;

	if (s == PINGPONG) {
		/* Nothing copied: the physical limit of one line each way. */
		long v = atomic_load_explicit(&ping, memory_order_relaxed) + 1;

		atomic_store_explicit(&ping, v, memory_order_release);
		while (atomic_load_explicit(&pong, memory_order_acquire) != v)
			;
		return 1;
	}
	copy_in(buf, sent[s]);
	if (s == RTE_RING) {
		while (rte_ring_sp_enqueue(req, obj))
			;
		while (rte_ring_sc_dequeue(rep, &obj))
			;
	} else {
		struct virtq *q = &vq[s - SPLIT];
		struct virtq_buf b = { buf, (uint32_t)payload };

		virtq_add(q, &b, 1, NULL, 0, buf);
		virtq_publish(q);
		while (!virtq_get(q, NULL))
			;
	}
	sent[s]++;
	got[s]++;
	return 1;
}

/* Up to a batch in, one publish, then whatever came back. */
static long batch_step(int s)
{
	long n = 0, back = 0, first = sent[s] % QSIZE;
	uint64_t t[4] = { phases ? __rdtsc() : 0 };
	void *c[64];

	if (s == RTE_RING) {
		while (n < batch && sent[s] + n - got[s] < QSIZE - 1) {
			copy_in(buf_at(sent[s] + n), sent[s] + n);
			n++;
		}
		t[1] = phases ? __rdtsc() : 0;
		if (n)
			n = rte_ring_sp_enqueue_burst(req, &pool_ptr[first], n,
						      NULL);
		sent[s] += n;
		t[2] = phases ? __rdtsc() : 0;
		back = rte_ring_sc_dequeue_burst(rep, c, 64, NULL);
		t[3] = phases ? __rdtsc() : 0;	/* no kick to decide */
	} else {
		struct virtq *q = &vq[s - SPLIT];

		/* As rte_ring's: copy a batch in, then add it in one call. */
		while (n < batch && n < q->num_free) {
			copy_in(buf_at(sent[s] + n), sent[s] + n);
			n++;
		}
		t[1] = phases ? __rdtsc() : 0;
		n = virtq_add_bufs(q, &pool_buf[first], (unsigned int)n, 0,
				   &pool_ptr[first]);
		sent[s] += n;
		t[2] = phases ? __rdtsc() : 0;
		/*
		 * Exposed, then taken back, then the kick decision: the get's
		 * wait for the device's line overlaps the decision's fence,
		 * which waits for the payload stores.  (The peer never asks
		 * for kicks: the decision is always no.)  One get, as
		 * rte_ring's one dequeue: calling again until none came looked
		 * at used->idx once more per step, a line the device keeps
		 * writing, which rte_ring's side never did.
		 */
		if (n)
			virtq_expose(q);
		back = virtq_get_bufs(q, c, NULL, 64);
		t[3] = phases ? __rdtsc() : 0;
		if (n)
			virtq_kick_needed(q);
	}
	got[s] += back;
	if (phases)
		phases_driver(s, n, t);
	return back;
}

/*
 * Seconds per unit of at least n units of s: round trips, or messages
 * back.  A round trip at a time does n exactly; a batch step takes back
 * whatever came, so the throughput loop ends past n, by up to what was in
 * flight: the time is divided by what came back (divided by n, every
 * system's time per message came out 1-1.5% high, its rate as low).
 */
static double run(int s, int tput, long n)
{
	long start = got[s];
	double t0 = now();

	if (!tput) {
		for (long i = 0; i < n; i++)
			round_trip(s);
		return (now() - t0) / n;
	}
	while (got[s] < start + n)
		batch_step(s);
	return (now() - t0) / (got[s] - start);
}

/*
 * Until everything sent came back: a turn leaves no work to the next.
 * Only taking back: a batch step would send more with every call, and
 * end only when the peer happened to catch up (under load, after tens
 * of millions of messages).
 */
static void drain(int s)
{
	void *c[64];

	while (got[s] < sent[s])
		got[s] += s == RTE_RING ?
			rte_ring_sc_dequeue_burst(rep, c, 64, NULL) :
			virtq_get_bufs(&vq[s - SPLIT], c, NULL, 64);
}

/* One system alone: warm-up, CHUNKS chunks, the median chunk. */
static double alone(int s, int tput)
{
	long total = tput ? MSGS_TPUT : ROUNDS_LAT;
	long per = total / CHUNKS > 0 ? total / CHUNKS : 1;
	double t[CHUNKS];

	switch_to(s);
	run(s, tput, total / WARMUP_DIV);
	for (int c = 0; c < CHUNKS; c++)
		t[c] = run(s, tput, per);
	return median(t, CHUNKS);
}

/*
 * Every system in turns: the round trips of the four, the throughput of
 * the three that carry messages.  Ratios are taken within each turn.
 */
enum { L_PP, L_RR, L_SPLIT, L_PACKED, T_RR, T_SPLIT, T_PACKED, NMEAS };
static const int meas_sys[NMEAS] = {
	PINGPONG, RTE_RING, SPLIT, PACKED, RTE_RING, SPLIT, PACKED
};

static void sidebyside(void)
{
	long lat_n = 200, tput_n = 100L * batch;
	double *t[NMEAS], *r[4];
	static const char *const rname[4] = {
		"split_rtt_vs_pingpong", "packed_rtt_vs_pingpong",
		"split_tput_vs_rte_ring", "packed_tput_vs_rte_ring"
	};

	for (int k = 0; k < NMEAS; k++)
		t[k] = calloc(TURNS, sizeof(double));
	for (int k = 0; k < 4; k++)
		r[k] = calloc(TURNS, sizeof(double));
	for (long turn = -TURNS / WARMUP_DIV; turn < TURNS; turn++) {
		for (int j = 0; j < NMEAS; j++) {
			int k = (int)((j + (turn < 0 ? 0 : turn)) % NMEAS);
			int s = meas_sys[k], tput = k >= T_RR;
			double v;

			switch_to(s | (tput && phases ? COUNTED : 0));
			v = run(s, tput, tput ? tput_n : lat_n);
			if (tput)
				drain(s);
			if (turn >= 0)
				t[k][turn] = v;
		}
		if (turn < 0)
			continue;
		r[0][turn] = t[L_SPLIT][turn] / t[L_PP][turn];
		r[1][turn] = t[L_PACKED][turn] / t[L_PP][turn];
		r[2][turn] = t[T_RR][turn] / t[T_SPLIT][turn];
		r[3][turn] = t[T_RR][turn] / t[T_PACKED][turn];
	}
	for (int k = 0; k < NMEAS; k++) {
		double m = median(t[k], TURNS);

		if (k < T_RR)
			printf("%s_rtt_ns %.1f ns\n", sys_name[meas_sys[k]],
			       m * 1e9);
		else
			printf("%s_tput %.2f Mmsg/s\n", sys_name[meas_sys[k]],
			       1e-6 / m);
	}
	for (int k = 0; k < 4; k++)
		printf("%s %.3f x\n", rname[k], median(r[k], TURNS));
	if (phases) {
		switch_to(-1);		/* the peer counts no more */
		phases_print(sys_name, RTE_RING, PACKED);
	}
}

/*
 * One thread does both halves, a batch at a time: CPU cycles (TSC) per
 * message of each phase, the median over COST_BATCHES batches.
 */
#define COST_BATCHES 20000
static void costs(void)
{
	static double t[3][COST_BATCHES];
	static const char *const phase[3] = { "add", "device", "get" };

	for (int s = RTE_RING; s <= PACKED; s++) {
		for (long it = -COST_BATCHES / WARMUP_DIV; it < COST_BATCHES;
		     it++) {
			uint64_t t0 = __rdtsc(), t1, t2;
			long n, first = sent[s] % QSIZE;
			void *c[64];

			for (n = 0; n < batch; n++)
				copy_in(buf_at(sent[s] + n), sent[s] + n);
			if (s == RTE_RING) {
				sent[s] += rte_ring_sp_enqueue_burst(req,
						&pool_ptr[first], n, NULL);
				t1 = __rdtsc();
				rr_serve();
				t2 = __rdtsc();
				got[s] += rte_ring_sc_dequeue_burst(rep, c, 64,
								    NULL);
			} else {
				struct virtq *q = &vq[s - SPLIT];

				sent[s] += virtq_add_bufs(q, &pool_buf[first],
							  (unsigned int)n, 0,
							  &pool_ptr[first]);
				virtq_publish(q);
				t1 = __rdtsc();
				vq_serve(&dvq[s - SPLIT]);
				t2 = __rdtsc();
				got[s] += virtq_get_bufs(q, c, NULL, 64);
			}
			if (it < 0)
				continue;
			t[0][it] = (double)(t1 - t0) / batch;
			t[1][it] = (double)(t2 - t1) / batch;
			t[2][it] = (double)(__rdtsc() - t2) / batch;
		}
		if (got[s] != sent[s]) {
			fprintf(stderr, "ringbench: %s lost messages\n",
				sys_name[s]);
			exit(1);
		}
		for (int k = 0; k < 3; k++)
			printf("%s_%s_cycles %.1f cycles/msg\n", sys_name[s],
			       phase[k], median(t[k], COST_BATCHES));
	}
}

static void setup(void)
{
	uint8_t *packed_mem = region + (1u << 20);

	virtq_init(&vq[0], QSIZE, region, cookies[0], gpa, 1);
	kb_vq_setup(&dvq[0], &kr, QSIZE, gpa(vq[0].desc), gpa(vq[0].avail),
		    gpa(vq[0].used), 1);
	virtq_init_packed(&vq[1], QSIZE, packed_mem, cookies[1], gpa, 1);
	kb_vq_setup_packed(&dvq[1], &kr, QSIZE, gpa(vq[1].ring),
			   gpa(vq[1].driver_event), gpa(vq[1].device_event), 1);
	/* VIRTIO_F_IN_ORDER, as negotiated; RINGBENCH_IN_ORDER=0: without. */
	if (!getenv("RINGBENCH_IN_ORDER") || atoi(getenv("RINGBENCH_IN_ORDER")))
		for (int k = 0; k < 2; k++) {
			virtq_set_in_order(&vq[k]);
			kb_vq_set_in_order(&dvq[k]);
		}
	req = aligned_alloc(64, (rte_ring_get_memsize(QSIZE) + 63) & ~63);
	rep = aligned_alloc(64, (rte_ring_get_memsize(QSIZE) + 63) & ~63);
	rte_ring_init(req, "req", QSIZE, RING_F_SP_ENQ | RING_F_SC_DEQ);
	rte_ring_init(rep, "rep", QSIZE, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	int tput = !strcmp(how, "throughput"), cost = !strcmp(how, "costs");
	int side = !strcmp(how, "sidebyside") || cost;	/* same arguments */
	int s = -1;
	pthread_t t;
	double v = 0;

	for (int k = 0; k < NSYS && argc > 2; k++)
		if (!strcmp(argv[2], sys_name[k]))
			s = k;
	if (side ? argc < 4 :
	    (argc < 4 || (tput && argc < 5) || s < 0 ||
	     (tput && s == PINGPONG) || (!tput && strcmp(how, "latency")))) {
		fprintf(stderr, "usage: ringbench latency split|packed|pingpong|rte_ring PAYLOAD\n"
			"       ringbench throughput split|packed|rte_ring PAYLOAD BATCH\n"
			"       ringbench sidebyside PAYLOAD BATCH\n"
			"       ringbench costs PAYLOAD BATCH\n");
		return 2;
	}
	if (getenv("RINGBENCH_SCALE") && atol(getenv("RINGBENCH_SCALE")) > 0) {
		ROUNDS_LAT /= atol(getenv("RINGBENCH_SCALE"));
		MSGS_TPUT /= atol(getenv("RINGBENCH_SCALE"));
		TURNS = TURNS / atol(getenv("RINGBENCH_SCALE")) + 10;
	}
	payload = atoi(argv[side ? 2 : 3]);
	batch = side ? atoi(argv[3]) : tput ? atoi(argv[4]) : 1;
	if (payload < 1 || payload > 2048 || batch < 1 || batch > 64) {
		fprintf(stderr, "ringbench: payload 1..2048, batch 1..64\n");
		return 2;
	}
	region = aligned_alloc(4096, REGION);
	memset(region, 0, REGION);
	for (int k = 0; k < 2 * QSIZE; k++) {
		pool_buf[k] = (struct virtq_buf){ buf_at(k), (uint32_t)payload };
		pool_ptr[k] = pool_buf[k].p;
	}
	phases = getenv("RINGBENCH_PHASES") && atoi(getenv("RINGBENCH_PHASES"));
	kr = (struct kb_region){ region, BASE, REGION };
	setup();
	if (cost) {
		hb_pin(0);
		costs();
		return 0;
	}
	atomic_store(&mode, -1);
	atomic_store(&ack, -1);
	hb_pin(0);
	pthread_create(&t, NULL, peer, NULL);
	while (!atomic_load(&go))
		;
	if (side)
		sidebyside();
	else if (tput)
		v = 1e-6 / alone(s, 1);
	else
		v = alone(s, 0) / 2 * 1e9;
	atomic_store(&done, 1);
	pthread_join(t, NULL);
	if (!side) {
		printf("%.2f\n", v);
		printf("warmup %ld %s\n",
		       (tput ? MSGS_TPUT : ROUNDS_LAT) / WARMUP_DIV,
		       tput ? "msgs" : "rounds");
	}
	return 0;
}
