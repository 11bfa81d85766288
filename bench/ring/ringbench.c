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
 * throughput in million messages per second; then "warmup N rounds" (or
 * msgs): a tenth as many go first through the same path, unmeasured.
 * Both threads must be pinned (or it exits 1): two polling threads
 * sharing a CPU would measure the scheduler's time slice.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include "bench/lib/hostbench.h"
#include "host/backend/vq.h"
#include "lib/virtq.h"

#define REGION (4u << 20)
#define BASE 0x10000000ULL
#define QSIZE 256
static long ROUNDS_LAT = 200000;	/* RINGBENCH_SCALE divides these */
static long MSGS_TPUT = 2000000;

static uint8_t *region;
static struct kb_region kr;
static struct kb_vq dvq;		/* device side */
static struct virtq q;			/* driver side */
static void *cookies[QSIZE];
static atomic_int go, done;
static int payload, batch, packed;
static uint8_t sink[2048];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
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
		virtq_init_packed(&q, QSIZE, mem, cookies, gpa, 1);
		kb_vq_setup_packed(&dvq, &kr, QSIZE, gpa(q.ring),
				   gpa(q.driver_event), gpa(q.device_event), 1);
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
	hb_pin(1);
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

static double vq_latency(long rounds)
{
	uint8_t *buf = region + (2u << 20);
	struct virtq_buf b = { buf, (uint32_t)payload };
	double t0;

	t0 = now();
	for (long i = 0; i < rounds; i++) {
		memset(buf, i, payload);
		virtq_add(&q, &b, 1, NULL, 0, buf);
		virtq_publish(&q);
		while (!virtq_get(&q, NULL))
			;
	}
	return (now() - t0) / rounds / 2 * 1e9;
}

static double vq_throughput(long msgs)
{
	uint8_t *bufs = region + (2u << 20);
	long sent = 0, got = 0;
	double t0 = now();

	while (got < msgs) {
		int n = 0;

		while (n < batch && sent < msgs) {
			uint8_t *p = bufs + (sent % QSIZE) * 2048;
			struct virtq_buf b = { p, (uint32_t)payload };

			memset(p, (int)sent, payload);
			if (virtq_add(&q, &b, 1, NULL, 0, p))
				break;
			sent++;
			n++;
		}
		if (n)
			virtq_publish(&q);
		while (virtq_get(&q, NULL))
			got++;
	}
	return msgs / (now() - t0) / 1e6;
}

/* ---- the cache-line ping-pong: the latency floor ---- */

static _Alignas(64) atomic_long ping;
static _Alignas(64) atomic_long pong;
static long pp_rounds;			/* warm-up and measured, for the peer */
static long pp_seq;			/* the last round played */

static void *pp_peer(void *arg)
{
	(void)arg;
	hb_pin(1);
	atomic_store(&go, 1);
	for (long i = 1; i <= pp_rounds; i++) {
		while (atomic_load_explicit(&ping, memory_order_acquire) != i)
			;
		atomic_store_explicit(&pong, i, memory_order_release);
	}
	return NULL;
}

static double pp_latency(long rounds)
{
	double t0 = now();

	for (long k = 0; k < rounds; k++) {
		long i = ++pp_seq;

		atomic_store_explicit(&ping, i, memory_order_release);
		while (atomic_load_explicit(&pong, memory_order_acquire) != i)
			;
	}
	return (now() - t0) / rounds / 2 * 1e9;
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
	hb_pin(1);
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

static double rr_latency(long rounds)
{
	uint8_t *buf = region + (2u << 20);
	void *obj = buf;
	double t0 = now();

	for (long i = 0; i < rounds; i++) {
		memset(buf, i, payload);
		while (rte_ring_sp_enqueue(req, obj))
			;
		while (rte_ring_sc_dequeue(rep, &obj))
			;
	}
	return (now() - t0) / rounds / 2 * 1e9;
}

static double rr_throughput(long msgs)
{
	uint8_t *bufs = region + (2u << 20);
	long sent = 0, got = 0;
	void *objs[64];
	double t0 = now();

	while (got < msgs) {
		int n = 0;

		while (n < batch && sent + n < msgs &&
		       sent + n - got < QSIZE - 1) {
			objs[n] = bufs + ((sent + n) % QSIZE) * 2048;
			memset(objs[n], (int)(sent + n), payload);
			n++;
		}
		if (n)
			sent += rte_ring_sp_enqueue_burst(req, objs, n, NULL);
		got += rte_ring_sc_dequeue_burst(rep, objs, 64, NULL);
	}
	return msgs / (now() - t0) / 1e6;
}

/* One measurement of n messages (or round trips) on the chosen path. */
static double measure(void *(*peer)(void *), int tput, long n)
{
	if (peer == pp_peer)
		return pp_latency(n);
	if (peer == rr_peer)
		return tput ? rr_throughput(n) : rr_latency(n);
	return tput ? vq_throughput(n) : vq_latency(n);
}

int main(int argc, char **argv)
{
	int tput = argc > 1 && !strcmp(argv[1], "throughput");
	const char *who = argc > 2 ? argv[2] : "";
	void *(*peer)(void *) = vq_device;
	pthread_t t;
	long n, warm;
	double v;

	if (argc < 4 || (tput && argc < 5)) {
		fprintf(stderr, "usage: ringbench latency|throughput split|packed|pingpong|rte_ring PAYLOAD [BATCH]\n");
		return 2;
	}
	if (getenv("RINGBENCH_SCALE") && atol(getenv("RINGBENCH_SCALE")) > 0) {
		ROUNDS_LAT /= atol(getenv("RINGBENCH_SCALE"));
		MSGS_TPUT /= atol(getenv("RINGBENCH_SCALE"));
	}
	n = tput ? MSGS_TPUT : ROUNDS_LAT;
	warm = hb_warm(n);
	pp_rounds = warm + n;
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
	hb_pin(0);
	pthread_create(&t, NULL, peer, NULL);
	while (!atomic_load(&go))
		;
	measure(peer, tput, warm);
	v = measure(peer, tput, n);
	atomic_store(&done, 1);
	pthread_join(t, NULL);
	printf("%.2f\n", v);
	printf("warmup %ld %s\n", warm, tput ? "msgs" : "rounds");
	return 0;
}
