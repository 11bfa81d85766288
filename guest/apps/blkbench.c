/*
 * blkbench [rw=read|write|mixed] [reads=PCT] [pattern=rand|seq] [qd=N]
 *	    [bs=BYTES] [ops=N] [idle_ms=N] [threads=N] [mq=off]
 *
 * I/O of bs bytes (512 B to 128 KiB, whole blocks of the device's: 4 KiB
 * on a 4 KiB-sector disk) at multiples of bs over the disk with qd
 * (1 to 128) requests in flight; prints IOPS and the p50/p99 latency of
 * single requests, one line, for bench/ to collect.  rw=mixed reads
 * reads=PCT percent of the requests (default 50) and writes the rest;
 * pattern=seq walks the disk in order (each thread its own part of it)
 * instead of picking blocks at random.  ops / 10 requests go first as a
 * warm-up (warm= on that line): the clock starts when the last of them
 * completes, and their latencies are not kept.  idle_ms=N (with qd=1)
 * sleeps N ms before each request: the latency of the first request after
 * an idle spell, when the host's device thread has gone to sleep.
 *
 * threads=N runs N submitters, thread i pinned to guest CPU i (mod the
 * CPUs there are), each with qd in flight and ops requests: with
 * VIRTIO_BLK_F_MQ each CPU submits on a queue of its own, and the line
 * says how many queues carried requests (queues_used=).  mq=off asks the
 * device for one queue only.  Each request's end is stamped by its
 * completion callback, so its latency is right whatever order the
 * requests complete in.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"
#include "lib/percentile.h"

#define MAX_QD 128
#define MAX_BS (128 * 1024)
#define MAX_THREADS 16
/*
 * A page, as an application doing direct I/O aligns its buffers: a host
 * block device then takes the guest's pages into its bios as they are,
 * where a buffer off the device's logical block is copied each way.
 */
#define BUF_ALIGN 4096

struct op {
	struct vblk_req req;
	uint64_t start;
	volatile uint64_t end;		/* stamped by the completion */
	void *buf;
	int busy;
};

struct bench {
	int mode, reads, seq, qd, idle;
	uint32_t bs;
	long ops, warm;
	uint64_t blocks;
};

enum { RD, WR, MIXED };

struct runner {
	const struct bench *b;
	unsigned int index;
	struct thread *t;
	uint64_t *lat, t0, t1;
	uint32_t queues;		/* bit q: requests went on queue q */
	const char *err;
	struct op o[MAX_QD];
};

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void stamp(struct vblk_req *r)
{
	((struct op *)r->ctx)->end = time_ns();
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One submitter: qd in flight, warm + ops requests. */
static int run(void *arg)
{
	struct runner *rn = arg;
	const struct bench *b = rn->b;
	uint64_t x = 88172645463325252ULL + rn->index * 0x9e3779b97f4a7c15ULL;
	/* pattern=seq: thread i walks its own stretch of the disk */
	uint64_t next = b->blocks * rn->index / MAX_THREADS;
	long issued = 0, done = 0;

	for (int i = 0; done < b->warm + b->ops; i = (i + 1) % b->qd) {
		struct op *p = &rn->o[i];
		int write;

		if (p->busy) {
			if (vblk_wait(&p->req)) {
				rn->err = "I/O error";
				return 1;
			}
			rn->queues |= 1U << (p->req.queue & 31);
			if (done >= b->warm)
				rn->lat[done - b->warm] = p->end - p->start;
			if (++done == b->warm)
				rn->t0 = time_ns();
			p->busy = 0;
		}
		if (issued >= b->warm + b->ops)
			continue;
		xorshift(&x);
		write = b->mode == WR ||
			(b->mode == MIXED && (int)((x >> 33) % 100) >= b->reads);
		if (b->idle)
			thread_sleep_ms((uint64_t)b->idle);
		p->start = time_ns();
		if (vblk_submit_cb(&p->req, write ? VIRTIO_BLK_T_OUT :
						    VIRTIO_BLK_T_IN,
				   (b->seq ? next++ % b->blocks :
					     x % b->blocks) *
				   (b->bs / VBLK_SECTOR),
				   p->buf, b->bs, stamp, p)) {
			rn->err = "submit failed";
			return 1;
		}
		p->busy = 1;
		issued++;
	}
	rn->t1 = time_ns();
	return 0;
}

static int parse(struct bench *b, int argc, char **argv)
{
	const char *rw = app_opt(argc, argv, "rw", "read");
	const char *pat = app_opt(argc, argv, "pattern", "rand");

	b->mode = !strcmp(rw, "write") ? WR : !strcmp(rw, "mixed") ? MIXED :
		  !strcmp(rw, "read") ? RD : -1;
	b->reads = atoi(app_opt(argc, argv, "reads", "50"));
	b->seq = !strcmp(pat, "seq");
	b->qd = atoi(app_opt(argc, argv, "qd", "1"));
	b->bs = (uint32_t)atoi(app_opt(argc, argv, "bs", "4096"));
	b->ops = atol(app_opt(argc, argv, "ops", "20000"));
	b->idle = atoi(app_opt(argc, argv, "idle_ms", "0"));
	return b->mode < 0 || (!b->seq && strcmp(pat, "rand")) ||
	       b->reads < 0 || b->reads > 100 || b->qd < 1 ||
	       b->qd > MAX_QD || !b->bs || b->bs > MAX_BS ||
	       b->bs % VBLK_SECTOR || b->ops < 1 || b->idle < 0 ||
	       (b->idle && b->qd != 1);
}

static const char *const mode_name[] = { "read", "write", "mixed" };

static int blkbench_main(int argc, char **argv)
{
	static struct runner rn[MAX_THREADS];
	struct bench b;
	int nthr = atoi(app_opt(argc, argv, "threads", "1"));
	int mq = strcmp(app_opt(argc, argv, "mq", "on"), "off");
	uint64_t *lat, t0 = ~0ULL, t1 = 0, total, p50, p99;
	uint32_t queues = 0;
	int used = 0;

	if (parse(&b, argc, argv) || nthr < 1 || nthr > MAX_THREADS) {
		kprintf("blkbench: bad arguments\n");
		return 2;
	}
	if (mq ? vblk_init() : vblk_init_queues(1)) {
		kprintf("blkbench: no block device\n");
		return 1;
	}
	if (b.bs % vblk_block_size()) {
		kprintf("blkbench: bs=%u is not whole %u-byte blocks of the device's\n",
			b.bs, vblk_block_size());
		return 2;
	}
	b.blocks = vblk_sectors() * VBLK_SECTOR / b.bs;
	b.warm = b.ops / 10 ? b.ops / 10 : 1;
	total = (uint64_t)b.ops * nthr;
	lat = malloc(sizeof(*lat) * total);
	if (!lat || !b.blocks) {
		kprintf("blkbench: out of memory or disk too small\n");
		return 1;
	}
	for (int t = 0; t < nthr; t++) {
		rn[t].b = &b;
		rn[t].index = t;
		rn[t].lat = lat + (uint64_t)b.ops * t;
		for (int i = 0; i < b.qd; i++)
			if (!(rn[t].o[i].buf = memalign(BUF_ALIGN, b.bs))) {
				kprintf("blkbench: out of memory\n");
				return 1;
			}
	}
	if (nthr == 1) {
		run(&rn[0]);
	} else {
		for (int t = 0; t < nthr; t++) {
			struct thread_attr a = {
				.cpus = 1U << (t % sched_ncpus()) };

			rn[t].t = thread_create("blkbench", run, &rn[t], &a);
			if (!rn[t].t) {
				kprintf("blkbench: cannot start thread %d\n", t);
				return 1;
			}
		}
		for (int t = 0; t < nthr; t++)
			thread_join(rn[t].t);
	}
	for (int t = 0; t < nthr; t++) {
		if (rn[t].err)
			return kprintf("blkbench: %s\n", rn[t].err), 1;
		t0 = rn[t].t0 < t0 ? rn[t].t0 : t0;
		t1 = rn[t].t1 > t1 ? rn[t].t1 : t1;
		queues |= rn[t].queues;
	}
	for (; queues; queues &= queues - 1)
		used++;
	qsort(lat, total, sizeof(*lat), cmp);
	p50 = lat[percentile_index((long)total, 50)];
	p99 = lat[percentile_index((long)total, 99)];
	/* Tenths of a microsecond: a fast path's latency is a few us. */
	kprintf("blkbench: rw=%s qd=%d bs=%u ops=%ld warm=%ld iops=%llu p50_us=%llu.%llu p99_us=%llu.%llu pattern=%s threads=%d queues=%u queues_used=%d%s\n",
		mode_name[b.mode], b.qd, b.bs, b.ops, b.warm,
		(unsigned long long)(total * 1000000000ULL / (t1 - t0)),
		(unsigned long long)(p50 / 1000),
		(unsigned long long)(p50 / 100 % 10),
		(unsigned long long)(p99 / 1000),
		(unsigned long long)(p99 / 100 % 10),
		b.seq ? "seq" : "rand", nthr, vblk_queues(),
		used,
		b.idle ? " (each after an idle spell)" : "");
	return 0;
}
APP(blkbench, blkbench_main, "block I/O benchmark [rw=read|write|mixed] [reads=PCT] [pattern=rand|seq] [qd=1..128] [bs=BYTES] [ops=N] [idle_ms=N] [threads=N] [mq=off]");
