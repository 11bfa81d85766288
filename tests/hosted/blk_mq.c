/*
 * Hosted: VIRTIO_BLK_F_MQ.  The blk backend over an asynchronous store
 * that completes in random order (as blk_async.c), driven through the
 * guest's virtqueue driver (guest/lib/virtio.c).
 *
 *   mq-parallel-{split,packed}: MQ negotiated, num_queues in the config;
 *     NQ driver threads, each on its own queue and its own part of the
 *     disk, random reads and writes against a model; requests of several
 *     queues at the store at once, each completion on its own queue and
 *     its own interrupt vector.
 *   mq-off: a driver without MQ gets queue 0 only: a request on queue 1
 *     is never served, queue 0 works as before.
 *   no-starvation: queue 0 kept full (256 requests, more than the store
 *     takes at once); one request on queue 1 completes within a bounded
 *     number of queue 0's completions.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "PROGRAM: N failed" last.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"

#define REGION_BYTES (16u << 20)
#define REGION_BASE 0x40000000ULL
#define REQS_OFF (4u << 20)
#define BUFS_OFF (5u << 20)
#define DISK_BYTES (4u << 20)
#define NQ 4			/* driver threads, one queue each */
#define QSIZE 128
#define QD 16			/* per thread */
#define MAX_IO 8192
#define VECTOR0 40		/* queue q interrupts with VECTOR0 + q */
#define F(bit) (1ULL << (bit))

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_blk blk;
static atomic_int stop;
static uint8_t disk[DISK_BYTES];	/* the store's */
static uint8_t model[DISK_BYTES];	/* what the drivers expect */
static atomic_long irqs[256];
static int failed;

/* The store: submitted requests wait here for the completer. */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kb_blk_req *pending[KB_BLK_INFLIGHT];
static int npending, max_queues_at_store;

static int store_submit(void *store, struct kb_blk_req *rq)
{
	uint32_t seen = 0;
	int n = 0;

	(void)store;
	pthread_mutex_lock(&store_lock);
	pending[npending++] = rq;
	for (int i = 0; i < npending; i++)
		seen |= 1U << pending[i]->q;
	n = __builtin_popcount(seen);
	if (n > max_queues_at_store)
		max_queues_at_store = n;
	pthread_mutex_unlock(&store_lock);
	return 0;
}

static int store_flush(void *store)
{
	(void)store;
	return 0;
}

static int store_discard(void *store, uint64_t off, uint64_t len, int zero)
{
	(void)store;
	(void)zero;
	memset(disk + off, 0, len);
	return 0;
}

static const struct kb_store_ops async_ops = {
	.flush = store_flush,
	.discard = store_discard,
	.submit = store_submit,
	.volatile_cache = 1,
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Complete a random pending request (its data moved now); 0 if none. */
static int complete_one(uint64_t *seed)
{
	struct kb_blk_req *rq = NULL;
	uint64_t off;

	pthread_mutex_lock(&store_lock);
	if (npending) {
		int i = xorshift(seed) % npending;

		rq = pending[i];
		pending[i] = pending[--npending];
	}
	pthread_mutex_unlock(&store_lock);
	if (!rq)
		return 0;
	off = rq->off;
	for (uint32_t s = 0; s < rq->nseg; s++) {
		if (rq->write)
			memcpy(disk + off, rq->seg[s].p, rq->seg[s].len);
		else
			memcpy(rq->seg[s].p, disk + off, rq->seg[s].len);
		off += rq->seg[s].len;
	}
	kb_blk_complete(rq, 0);
	return 1;
}

static void *completer(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)arg;
	while (!atomic_load(&stop))
		if (!complete_one(&seed))
			usleep(10);
	return NULL;
}

static void *device_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		kb_device_poll(&blk.dev, 64);
	return NULL;
}

static void notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	irqs[vector & 255]++;
}

static const struct kb_device_ops ops = { .notify = notify };

struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	uint8_t *buf;
	uint32_t len;
	unsigned int q;
	int busy;
};

static struct virtio_dev vd;
static struct req *reqs;		/* NQ * QD, then spares, in the region */
static pthread_t dev_thr, comp_thr;

/*
 * Up with these features and queues 0..nq-1 of these sizes; the device
 * and the store on threads of their own if threads.
 */
static const char *start(uint64_t wanted, unsigned int nq,
			 const uint16_t *sizes, int threads)
{
	atomic_store(&stop, 0);
	memset(&slot, 0, sizeof(slot));
	memset(region, 0, REQS_OFF);	/* the rings, from 1 MiB */
	for (unsigned int i = 0; i < 256; i++)
		irqs[i] = 0;
	max_queues_at_store = 0;
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &async_ops, NULL,
		    DISK_BYTES, "mq");
	memset(&vd, 0, sizeof(vd));
	vh_region(region, REGION_BASE, REGION_BYTES, 1u << 20);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&blk.dev);
	if (virtio_start(&vd, wanted))
		return "handshake failed";
	for (unsigned int q = 0; q < nq; q++) {
		if (virtio_queue(&vd, q, sizes[q], NULL))
			return "queue setup failed";
		slot.queues[q].vector = VECTOR0 + q;
	}
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 1);
	vh_poll(NULL);
	if (!blk.dev.live)
		return "device did not go live";
	if (threads) {
		pthread_create(&dev_thr, NULL, device_thread, NULL);
		pthread_create(&comp_thr, NULL, completer, NULL);
	}
	return NULL;
}

static void finish_run(int threads)
{
	atomic_store(&stop, 1);
	if (threads) {
		pthread_join(dev_thr, NULL);
		pthread_join(comp_thr, NULL);
	}
	npending = 0;
}

static int add(struct virtq *q, struct req *r)
{
	struct virtq_buf out[2] = { { &r->hdr, 16 }, { r->buf, r->len } };
	struct virtq_buf in[2] = { { r->buf, r->len }, { &r->status, 1 } };

	r->status = 0xff;
	if (r->hdr.type == VIRTIO_BLK_T_OUT)
		return virtq_add(q, out, 2, &in[1], 1, r);
	return virtq_add(q, out, 1, in, 2, r);
}

static void verdict(const char *name, const char *why)
{
	if (why) {
		printf("FAIL %s: %s\n", name, why);
		failed++;
	} else {
		printf("ok %s\n", name);
	}
}

/* Wait (bounded) for cond; 0 if it never came. */
#define WAIT_FOR(cond) ({ int _k = 0, _ok; \
	while (!(_ok = !!(cond)) && _k++ < 200000) \
		usleep(50); \
	_ok; })

struct worker {
	unsigned int q;
	long n;
	const char *why;
	pthread_t thr;
};

/* Queue w->q's part of the disk: a slice of its own. */
#define SLICE (DISK_BYTES / NQ)

static int overlaps(struct req *rs, uint64_t off, uint32_t len)
{
	for (int i = 0; i < QD; i++)
		if (rs[i].busy && off < rs[i].hdr.sector * 512 + rs[i].len &&
		    rs[i].hdr.sector * 512 < off + len)
			return 1;
	return 0;
}

static void prepare(struct worker *w, struct req *rs, struct req *r,
		    uint64_t *seed)
{
	uint32_t nsec;
	uint64_t off;

	do {
		nsec = 1 + xorshift(seed) % (MAX_IO / 512);
		off = w->q * (uint64_t)SLICE +
		      xorshift(seed) % (SLICE / 512 - nsec) * 512;
	} while (overlaps(rs, off, nsec * 512));
	r->hdr.type = xorshift(seed) & 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	r->hdr.sector = off / 512;
	r->len = nsec * 512;
	r->q = w->q;
	r->busy = 1;
	if (r->hdr.type == VIRTIO_BLK_T_OUT) {
		for (uint32_t i = 0; i < r->len; i += 8)
			*(uint64_t *)(r->buf + i) = xorshift(seed);
		memcpy(model + off, r->buf, r->len);
	}
}

static const char *check(struct worker *w, struct req *rs, struct req *r,
			 uint32_t written)
{
	if (r < rs || r >= rs + QD || r->q != w->q || !r->busy)
		return "a completion that is not this queue's request";
	if (r->status != VIRTIO_BLK_S_OK)
		return "status not OK";
	if (r->hdr.type == VIRTIO_BLK_T_IN &&
	    (written != r->len + 1 ||
	     memcmp(r->buf, model + r->hdr.sector * 512, r->len)))
		return "a read returned the wrong data";
	return NULL;
}

/* One driver thread: QD in flight on its queue, n requests. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct virtq *q = &vd.vq[w->q];
	struct req *rs = reqs + w->q * QD;
	uint64_t seed = 88172645463325252ULL + w->q;
	long issued = 0, done = 0;

	for (int i = 0; i < QD; i++, issued++) {
		rs[i].busy = 0;
		prepare(w, rs, &rs[i], &seed);
		add(q, &rs[i]);
	}
	virtq_publish(q);
	while (done < issued && !w->why) {
		uint32_t written;
		struct req *r;

		if (!WAIT_FOR((r = virtq_get(q, &written)) != NULL)) {
			w->why = "lost completion";
			break;
		}
		w->why = check(w, rs, r, written);
		r->busy = 0;
		done++;
		if (issued < w->n && !w->why) {
			prepare(w, rs, r, &seed);
			add(q, r);
			virtq_publish(q);
			issued++;
		}
	}
	return NULL;
}

static void mq_parallel(const char *name, int packed, long n)
{
	uint64_t wanted = ~F(VIRTIO_RING_F_EVENT_IDX) &
			  (packed ? ~0ULL : ~F(VIRTIO_F_RING_PACKED));
	uint16_t sizes[NQ], nq_cfg = 0;
	struct worker w[NQ];
	const char *why;
	char msg[160];

	for (int q = 0; q < NQ; q++)
		sizes[q] = QSIZE;
	why = start(wanted, NQ, sizes, 1);
	if (!why && !virtio_has(&vd, VIRTIO_BLK_F_MQ))
		why = "VIRTIO_BLK_F_MQ not negotiated";
	virtio_config(&vd, offsetof(struct virtio_blk_config, num_queues),
		      &nq_cfg, sizeof(nq_cfg));
	if (!why && (nq_cfg < NQ || nq_cfg > KSPAWN_MAX_QUEUES ||
		     slot.num_queues < nq_cfg))
		why = "num_queues in the config too small or not the slot's";
	if (why) {
		verdict(name, why);
		return;
	}
	for (int q = 0; q < NQ; q++) {
		w[q] = (struct worker){ .q = q, .n = n };
		pthread_create(&w[q].thr, NULL, work, &w[q]);
	}
	for (int q = 0; q < NQ; q++) {
		pthread_join(w[q].thr, NULL);
		why = why ?: w[q].why;
	}
	finish_run(1);
	if (!why && max_queues_at_store < 2)
		why = "never two queues' requests at the store at once";
	for (int q = 0; q < NQ && !why; q++) {
		if (!irqs[VECTOR0 + q]) {
			snprintf(msg, sizeof(msg),
				 "no interrupt on queue %d's vector", q);
			why = msg;
		}
	}
	if (!why && (irqs[VECTOR0 + NQ] || irqs[0]))
		why = "an interrupt on a vector no queue has";
	if (!why)
		printf("# %s: %d queues x %ld requests, up to %d queues at the store at once\n",
		       name, NQ, n, max_queues_at_store);
	verdict(name, why);
}

static void mq_off(void)
{
	uint16_t sizes[2] = { QSIZE, QSIZE };
	struct req *r0 = &reqs[QD], *r1 = &reqs[QD + 1];
	struct worker w = { .q = 0, .n = 2000 };
	const char *why = start(~F(VIRTIO_BLK_F_MQ), 2, sizes, 1);
	uint32_t written;

	if (!why && (vd.features & F(VIRTIO_BLK_F_MQ)))
		why = "MQ negotiated though the driver did not ask";
	if (why) {
		verdict("mq-off", why);
		return;
	}
	/* A queue the driver has no right to: the device leaves it alone. */
	*r1 = (struct req){ .hdr = { .type = VIRTIO_BLK_T_IN },
			    .buf = r1->buf, .len = 512 };
	add(&vd.vq[1], r1);
	virtq_publish(&vd.vq[1]);
	*r0 = (struct req){ .hdr = { .type = VIRTIO_BLK_T_IN },
			    .buf = r0->buf, .len = 512 };
	add(&vd.vq[0], r0);
	virtq_publish(&vd.vq[0]);
	if (!WAIT_FOR(virtq_get(&vd.vq[0], &written) == r0))
		why = "queue 0 not served";
	usleep(20000);
	if (!why && virtq_get(&vd.vq[1], &written))
		why = "queue 1 served without MQ";
	if (!why) {
		work(&w);	/* and queue 0 as before */
		why = w.why;
	}
	finish_run(1);
	if (!why && irqs[VECTOR0 + 1])
		why = "an interrupt on queue 1's vector";
	verdict("mq-off", why);
}

static void no_starvation(void)
{
	uint16_t sizes[2] = { 256, QSIZE };
	struct req *big = reqs, *one = reqs + 256;
	const char *why = start(~F(VIRTIO_RING_F_EVENT_IDX) &
				~F(VIRTIO_F_RING_PACKED), 2, sizes, 0);
	uint64_t seed = 1;
	long others = 0, limit = 40L * KB_BLK_INFLIGHT, before = -1;
	uint32_t written;
	struct req *r;

	if (why) {
		verdict("no-starvation", why);
		return;
	}
	/*
	 * Queue 0 full, always: more than the store takes at once
	 * (KB_BLK_INFLIGHT), refilled before each poll of the device.  One
	 * thread turns the device, the store and the driver in lockstep,
	 * so that nothing but the device's choice decides.
	 */
	for (int i = 0; i < 256; i++) {
		big[i] = (struct req){ .hdr = { .type = VIRTIO_BLK_T_IN,
						.sector = i },
				       .buf = big[i].buf, .len = 512 };
		if (add(&vd.vq[0], &big[i]))
			why = "queue 0 holds fewer than 256 requests";
	}
	virtq_publish(&vd.vq[0]);
	*one = (struct req){ .hdr = { .type = VIRTIO_BLK_T_IN },
			     .buf = one->buf, .len = 512 };
	while (!why) {
		complete_one(&seed);
		kb_device_poll(&blk.dev, 64);
		if (before < 0 && others == KB_BLK_INFLIGHT) {
			/* queue 0 in a steady state: now queue 1 */
			add(&vd.vq[1], one);
			virtq_publish(&vd.vq[1]);
			before = others;
		}
		if (before >= 0 && virtq_get(&vd.vq[1], &written) == one)
			break;
		r = virtq_get(&vd.vq[0], &written);
		if (!r) {
			if (!npending)
				why = "nothing at the store and nothing done";
			continue;
		}
		if (r < big || r >= big + 256 || r->status)
			why = "a bad completion on queue 0";
		else if (++others > limit)
			why = "queue 1 starved while queue 0 was kept full";
		if (add(&vd.vq[0], r))
			why = "no room on queue 0";
		virtq_publish(&vd.vq[0]);
	}
	finish_run(0);
	if (!why)
		printf("# no-starvation: queue 1 done after %ld of queue 0's completions\n",
		       others - before);
	verdict("no-starvation", why);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;

	region = aligned_alloc(4096, REGION_BYTES);
	memset(region, 0, REGION_BYTES);
	kr = (struct kb_region){ region, REGION_BASE, REGION_BYTES };
	/* Requests and buffers in the region, as a guest's are. */
	reqs = (struct req *)(region + REQS_OFF);
	for (int i = 0; i < 512; i++)
		reqs[i].buf = region + BUFS_OFF + (size_t)i * MAX_IO;
	mq_parallel("mq-parallel-split", 0, n);
	mq_parallel("mq-parallel-packed", 1, n);
	mq_off();
	no_starvation();
	/* The runner looks for "PROGRAM: 0 failed" (blk_mq, blk_mq_tsan). */
	printf("%s: %d failed\n", strrchr(argv[0], '/') ?
	       strrchr(argv[0], '/') + 1 : argv[0], failed);
	free(region);
	return !!failed;
}
