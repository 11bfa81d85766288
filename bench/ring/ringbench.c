/*
 * ringbench: kspawn's virtqueue (guest/lib/virtq*.c driving, host/backend
 * serving) between two threads pinned to two cores, against the physical
 * limit (a cache-line ping-pong between the same cores) and DPDK's
 * rte_ring single-producer/single-consumer, carrying the same payloads.
 *
 *   ringbench latency  split|packed|pingpong|rte_ring PAYLOAD
 *   ringbench throughput split|packed|rte_ring PAYLOAD BATCH
 *
 * Prints one number: one-way latency in ns (half a round trip), or
 * throughput in million messages per second.
 *
 * Fair to every system: the same two CPUs (each thread checks it runs
 * where it was pinned), the same payload copied in by the sender from a
 * message of its own and copied out by the receiver, a warm-up that is
 * not timed, and the same statistic.  The machine is shared: a spinning
 * thread whose peer was preempted measures the scheduler, not the ring.
 * So the timed part is cut in CHUNKS chunks and the median chunk is the
 * result: a preemption spoils the one chunk it falls in, so most chunks
 * are clean while the two threads share the machine at all.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include "host/backend/vq.h"
#include "lib/virtq.h"

#define REGION (4u << 20)
#define BASE 0x10000000ULL
#define QSIZE 256
static long ROUNDS_LAT = 200000;	/* RINGBENCH_SCALE divides these */
static long MSGS_TPUT = 2000000;
#define CHUNKS 1000			/* timed chunks; the median counts */
#define WARMUP_DIV 10			/* untimed warm-up: a tenth more */

static uint8_t *region;
static struct kb_region kr;
static struct kb_vq dvq;		/* device side */
static struct virtq q;			/* driver side */
static void *cookies[QSIZE];
static atomic_int go, done;
static int payload, batch, packed;
static uint8_t sink[2048];		/* where receivers copy payloads */
static uint8_t msg[2048];		/* what senders copy in */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (pthread_setaffinity_np(pthread_self(), sizeof(s), &s) ||
	    sched_getcpu() != cpu) {
		fprintf(stderr, "ringbench: cannot pin a thread to CPU %d\n",
			cpu);
		exit(1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Run step(i) for i in [0, total + total / WARMUP_DIV): the first tenth
 * untimed, the rest in CHUNKS timed chunks.  Returns the median chunk's
 * seconds per step.  step returns how many units it completed (a batch
 * can complete several, or none); chunks end on unit counts.
 */
static double timed(long total, long (*step)(long done))
{
	long warm = total / WARMUP_DIV, done = 0;
	long per = total / CHUNKS > 0 ? total / CHUNKS : 1;
	double t[CHUNKS];

	while (done < warm)
		done += step(done);
	for (int c = 0; c < CHUNKS; c++) {
		long start = done, end = warm + (c + 1) * per;
		double t0 = now();

		while (done < end)
			done += step(done);
		t[c] = (now() - t0) / (double)(done - start);
	}
	qsort(t, CHUNKS, sizeof(t[0]), cmp_double);
	return (t[CHUNKS / 2 - 1] + t[CHUNKS / 2]) / 2;
}

static uint64_t gpa(const void *va)
{
	return BASE + (uint64_t)((const uint8_t *)va - region);
}

/* ---- the virtqueue: driver on CPU 0, device on CPU 1 ---- */

static void vq_setup(void)
{
	void *mem = region;

	if (packed) {
		virtq_init_packed(&q, QSIZE, mem, cookies, gpa);
		kb_vq_setup_packed(&dvq, &kr, QSIZE, gpa(q.ring),
				   gpa(q.driver_event), gpa(q.device_event));
	} else {
		virtq_init(&q, QSIZE, mem, cookies, gpa, 1);
		kb_vq_setup(&dvq, &kr, QSIZE, gpa(q.desc), gpa(q.avail),
			    gpa(q.used), 1);
	}
}

static void *vq_device(void *arg)
{
	static struct kb_chain c;

	(void)arg;
	pin(1);
	atomic_store(&go, 1);
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		int n = 0;

		/* As the backends do: a batch, then one publish. */
		while (n < 64 && kb_vq_pop(&dvq, &c) > 0) {
			kb_chain_read(&c, 0, sink, c.out_len);	/* consume it */
			kb_vq_push_quiet(&dvq, &c, 0);
			n++;
		}
		if (n)
			kb_vq_publish(&dvq);
	}
	return NULL;
}

/* One round trip: copy the message in, add, publish, wait for it. */
static long vq_round(long i)
{
	uint8_t *buf = region + (2u << 20);
	struct virtq_buf b = { buf, (uint32_t)payload };

	msg[0] = (uint8_t)i;
	memcpy(buf, msg, payload);
	virtq_add(&q, &b, 1, NULL, 0, buf);
	virtq_publish(&q);
	while (!virtq_get(&q, NULL))
		;
	return 1;
}

static long tput_sent;

/* Up to a batch in, one publish, then whatever came back. */
static long vq_step(long got)
{
	uint8_t *bufs = region + (2u << 20);
	long n = 0, back = 0;

	(void)got;
	while (n < batch) {
		uint8_t *p = bufs + (tput_sent % QSIZE) * 2048;
		struct virtq_buf b = { p, (uint32_t)payload };

		msg[0] = (uint8_t)tput_sent;
		memcpy(p, msg, payload);
		if (virtq_add(&q, &b, 1, NULL, 0, p))
			break;
		tput_sent++;
		n++;
	}
	if (n)
		virtq_publish(&q);
	while (virtq_get(&q, NULL))
		back++;
	return back;
}

/* ---- the cache-line ping-pong: the latency floor ---- */

static _Alignas(64) atomic_long ping;
static _Alignas(64) atomic_long pong;

static void *pp_peer(void *arg)
{
	long seen = 0, v;

	(void)arg;
	pin(1);
	atomic_store(&go, 1);
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		v = atomic_load_explicit(&ping, memory_order_acquire);
		if (v != seen) {
			seen = v;
			atomic_store_explicit(&pong, v, memory_order_release);
		}
	}
	return NULL;
}

static long pp_round(long i)
{
	atomic_store_explicit(&ping, i + 1, memory_order_release);
	while (atomic_load_explicit(&pong, memory_order_acquire) != i + 1)
		;
	return 1;
}

/* ---- DPDK rte_ring SP/SC, a request ring and a reply ring ---- */

static struct rte_ring *req, *rep;

static struct rte_ring *ring_new(void)
{
	ssize_t sz = rte_ring_get_memsize(QSIZE);
	struct rte_ring *r = aligned_alloc(64, (size_t)((sz + 63) & ~63));

	rte_ring_init(r, "kspawn", QSIZE, RING_F_SP_ENQ | RING_F_SC_DEQ);
	return r;
}

static void *rr_peer(void *arg)
{
	void *objs[64];

	(void)arg;
	pin(1);
	atomic_store(&go, 1);
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		unsigned int n = rte_ring_sc_dequeue_burst(req, objs, 64, NULL);

		for (unsigned int i = 0; i < n; i++)
			memcpy(sink, objs[i], payload);
		while (n && !rte_ring_sp_enqueue_burst(rep, objs, n, NULL))
			;
	}
	return NULL;
}

static long rr_round(long i)
{
	uint8_t *buf = region + (2u << 20);
	void *obj = buf;

	msg[0] = (uint8_t)i;
	memcpy(buf, msg, payload);
	while (rte_ring_sp_enqueue(req, obj))
		;
	while (rte_ring_sc_dequeue(rep, &obj))
		;
	return 1;
}

static long rr_step(long got)
{
	uint8_t *bufs = region + (2u << 20);
	void *objs[64];
	long n = 0;

	while (n < batch && tput_sent + n - got < QSIZE - 1) {
		objs[n] = bufs + ((tput_sent + n) % QSIZE) * 2048;
		msg[0] = (uint8_t)(tput_sent + n);
		memcpy(objs[n], msg, payload);
		n++;
	}
	if (n)
		tput_sent += rte_ring_sp_enqueue_burst(req, objs, n, NULL);
	return rte_ring_sc_dequeue_burst(rep, objs, 64, NULL);
}

int main(int argc, char **argv)
{
	int tput = argc > 1 && !strcmp(argv[1], "throughput");
	const char *who = argc > 2 ? argv[2] : "";
	void *(*peer)(void *) = vq_device;
	pthread_t t;
	double v;

	if (argc < 4 || (tput && argc < 5) ||
	    (tput && !strcmp(who, "pingpong"))) {
		fprintf(stderr, "usage: ringbench latency|throughput split|packed|pingpong|rte_ring PAYLOAD [BATCH]\n");
		return 2;
	}
	if (getenv("RINGBENCH_SCALE") && atol(getenv("RINGBENCH_SCALE")) > 0) {
		ROUNDS_LAT /= atol(getenv("RINGBENCH_SCALE"));
		MSGS_TPUT /= atol(getenv("RINGBENCH_SCALE"));
	}
	payload = atoi(argv[3]);
	batch = tput ? atoi(argv[4]) : 1;
	region = aligned_alloc(4096, REGION);
	memset(region, 0, REGION);
	kr = (struct kb_region){ region, BASE, REGION };
	packed = !strcmp(who, "packed");
	if (!strcmp(who, "pingpong")) {
		peer = pp_peer;
	} else if (!strcmp(who, "rte_ring")) {
		req = ring_new();
		rep = ring_new();
		peer = rr_peer;
	} else {
		vq_setup();
	}
	pin(0);
	pthread_create(&t, NULL, peer, NULL);
	while (!atomic_load(&go))
		;
	if (tput)
		v = 1e-6 / timed(MSGS_TPUT, peer == rr_peer ? rr_step : vq_step);
	else
		v = timed(ROUNDS_LAT, peer == pp_peer ? pp_round :
			  peer == rr_peer ? rr_round : vq_round) / 2 * 1e9;
	atomic_store(&done, 1);
	pthread_join(t, NULL);
	printf("%.2f\n", v);
	return 0;
}
