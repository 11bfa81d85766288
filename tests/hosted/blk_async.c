/*
 * Hosted: the blk backend over an asynchronous store, as kspawn.ko's
 * O_DIRECT file is.  The guest's virtqueue driver (guest/lib/virtio.c) on
 * one thread, the device on another, and a third completing the store's
 * requests in random order (hard-irq completions in the module).
 *
 *   out-of-order-{split,packed}: N random reads and writes, never two
 *     overlapping ones in flight (the driver's rule), checked against a
 *     model; completions must come out of order and many in flight.
 *
 * The other cases, by what they are about: FLUSH and the write cache in
 * blk_async_flush.c, DISCARD and WRITE_ZEROES in blk_async_range.c, a
 * store out of memory for a while in blk_async_retry.c; what they share
 * with this file is blk_async.h.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "PROGRAM: N failed" last.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hosted/blk_async.h"

uint8_t *region;
struct kb_region kr;
struct kspawn_device slot;
struct kb_blk blk;
static atomic_int stop;
uint8_t disk[DISK_BYTES];		/* the store's */
uint8_t model[DISK_BYTES];		/* what the driver expects */
int failures;				/* verdict.h's, for every file */

/* The asynchronous store: submitted requests wait here for the completer. */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kb_blk_req *pending[KB_BLK_INFLIGHT];
static int npending;
atomic_int hold;			/* the completer waits */
atomic_int flushes, writes_pending_at_flush;
atomic_int stored_writes, flushed_writes; /* write-through */
uint64_t drop_features;			/* the driver refuses these */
atomic_int range_refused;		/* submit_range fails with this */
atomic_int range_failed;		/* a range completes with this */
atomic_int fail_err, fail_at_completion, fail_times, fail_attempts;
_Atomic uint64_t fail_off;
static atomic_int failing[KB_BLK_INFLIGHT];	/* to complete with fail_err */

/* Does this start of a request at fail_off fail (blk_async_retry.c)? */
static int fails_now(const struct kb_blk_req *rq)
{
	int times = atomic_load(&fail_times);

	if (!atomic_load(&fail_err) || rq->off != atomic_load(&fail_off))
		return 0;
	return atomic_fetch_add(&fail_attempts, 1) < times || times < 0;
}

static int store_submit(void *store, struct kb_blk_req *rq)
{
	(void)store;
	if (rq->range && atomic_load(&range_refused))
		return atomic_load(&range_refused);
	if (fails_now(rq)) {
		if (!atomic_load(&fail_at_completion))
			return atomic_load(&fail_err);
		atomic_store(&failing[rq->id], 1);
	}
	pthread_mutex_lock(&store_lock);
	pending[npending++] = rq;
	pthread_mutex_unlock(&store_lock);
	return 0;
}

int npending_now(void)
{
	int n;

	pthread_mutex_lock(&store_lock);
	n = npending;
	pthread_mutex_unlock(&store_lock);
	return n;
}

static int store_flush(void *store)
{
	(void)store;
	pthread_mutex_lock(&store_lock);
	for (int i = 0; i < npending; i++)
		writes_pending_at_flush += pending[i]->write;
	pthread_mutex_unlock(&store_lock);
	flushes++;
	/* Every write stored before the flush began is durable now. */
	atomic_store(&flushed_writes, atomic_load(&stored_writes));
	return 0;
}

/* Ranges done at once (sync_range_ops), failing as the knobs say. */
static int store_discard(void *store, uint64_t off, uint64_t len, int zero)
{
	int err = atomic_load(&range_refused) ?: atomic_load(&range_failed);

	(void)store;
	(void)zero;
	if (!err)
		memset(disk + off, 0, len);
	return err;
}

const struct kb_store_ops async_ops = {
	.flush = store_flush,
	.discard = store_discard,
	.submit = store_submit,
	.submit_range = store_submit,
	.volatile_cache = 1,
};

/* The same with ranges done in the device thread (store_file.c's). */
const struct kb_store_ops sync_range_ops = {
	.flush = store_flush,
	.discard = store_discard,
	.submit = store_submit,
	.volatile_cache = 1,
};
const struct kb_store_ops *store_ops = &async_ops;

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Complete a random pending request (its data moved now). */
static void *completer(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct kb_blk_req *rq = NULL;
		uint64_t off;

		pthread_mutex_lock(&store_lock);
		if (npending && !atomic_load(&hold)) {
			int i;

			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			i = seed % npending;
			rq = pending[i];
			pending[i] = pending[--npending];
		}
		pthread_mutex_unlock(&store_lock);
		if (!rq) {
			usleep(10);
			continue;
		}
		if (atomic_exchange(&failing[rq->id], 0)) {
			kb_blk_complete(rq, atomic_load(&fail_err));
			continue;
		}
		off = rq->off;
		if (rq->range)
			memset(disk + off, 0, rq->len);
		for (uint32_t s = 0; s < rq->nseg; s++) {
			if (rq->write)
				memcpy(disk + off, rq->seg[s].p, rq->seg[s].len);
			else
				memcpy(rq->seg[s].p, disk + off, rq->seg[s].len);
			off += rq->seg[s].len;
		}
		if (rq->write)
			atomic_fetch_add(&stored_writes, 1);
		kb_blk_complete(rq, rq->range ? atomic_load(&range_failed) : 0);
	}
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
	(void)vector;
}

const struct kb_device_ops ops = { .notify = notify };

struct virtio_dev vd;

static void bring_up(int packed)
{
	uint64_t no_packed = 1ULL << VIRTIO_F_RING_PACKED;

	memset(&vd, 0, sizeof(vd));
	vh_region(region, REGION_BASE, REGION_BYTES, 1u << 20);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&blk.dev);
	if (virtio_start(&vd, (packed ? ~0ULL : ~no_packed) & ~drop_features) ||
	    virtio_queue(&vd, 0, QSIZE, NULL)) {
		fprintf(stderr, "handshake failed (status %#x)\n", slot.status);
		exit(1);
	}
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 1);
	vh_poll(NULL);
	if (!blk.dev.live) {
		fprintf(stderr, "device did not go live\n");
		exit(1);
	}
}

int add(struct virtq *q, struct req *r)
{
	struct virtq_buf out[2] = { { &r->hdr, 16 }, { r->buf, r->len } };
	struct virtq_buf in[2] = { { r->buf, r->len }, { &r->status, 1 } };

	r->status = 0xff;
	if (r->hdr.type == VIRTIO_BLK_T_OUT)
		return virtq_add(q, out, 2, &in[1], 1, r);
	if (r->hdr.type == VIRTIO_BLK_T_IN)
		return virtq_add(q, out, 1, in, 2, r);
	return virtq_add(q, out, 1, &in[1], 1, r);
}

static int overlaps(struct req *reqs, uint64_t sector, uint32_t len)
{
	for (int i = 0; i < QD; i++) {
		struct req *o = &reqs[i];

		if (o->busy && sector * 512 < o->hdr.sector * 512 + o->len &&
		    o->hdr.sector * 512 < sector * 512 + len)
			return 1;
	}
	return 0;
}

/* A random read or write that overlaps nothing in flight. */
void prepare(struct req *reqs, struct req *r, long seq)
{
	uint32_t nsec;
	uint64_t sector;

	do {
		nsec = 1 + rnd() % (MAX_IO / 512);
		sector = rnd() % (DISK_BYTES / 512 - nsec);
	} while (overlaps(reqs, sector, nsec * 512));
	r->hdr.type = rnd() & 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	r->hdr.sector = sector;
	r->len = nsec * 512;
	r->seq = seq;
	r->busy = 1;
	if (r->hdr.type == VIRTIO_BLK_T_OUT) {
		for (uint32_t i = 0; i < r->len; i += 8)
			*(uint64_t *)(r->buf + i) = rnd();
		memcpy(model + sector * 512, r->buf, r->len);
	}
}

static const char *check(struct req *r, uint32_t written)
{
	if (r->status != VIRTIO_BLK_S_OK)
		return "status not OK";
	if (r->hdr.type == VIRTIO_BLK_T_IN &&
	    (written != r->len + 1 ||
	     memcmp(r->buf, model + r->hdr.sector * 512, r->len)))
		return "a read returned the wrong data";
	return NULL;
}

struct req *reqs;
static pthread_t dev_thr, comp_thr;

void start(int packed)
{
	atomic_store(&stop, 0);
	memset(&slot, 0, sizeof(slot));
	memset(region, 0, 2u << 20);	/* the rings, from 1 MiB */
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, store_ops, NULL,
		    DISK_BYTES, "async");
	bring_up(packed);
	pthread_create(&dev_thr, NULL, device_thread, NULL);
	pthread_create(&comp_thr, NULL, completer, NULL);
}

void finish_run(void)
{
	atomic_store(&stop, 1);
	pthread_join(dev_thr, NULL);
	pthread_join(comp_thr, NULL);
	npending = 0;
}

static void out_of_order(const char *name, int packed, long n)
{
	struct virtq *q = &vd.vq[0];
	long issued = 0, done = 0, last_seq = -1, reordered = 0;
	const char *why = NULL;
	char msg[160];

	start(packed);
	for (int i = 0; i < QD; i++)
		reqs[i].busy = 0;
	for (int i = 0; i < QD; i++, issued++) {
		prepare(reqs, &reqs[i], issued);
		add(q, &reqs[i]);
	}
	virtq_publish(q);
	while (done < n && !why) {
		uint32_t written;
		struct req *r = virtq_get(q, &written);

		if (!r) {
			if (virtio_broken(&vd))
				why = "device needs reset";
			continue;
		}
		why = check(r, written);
		reordered += r->seq < last_seq;
		if (r->seq > last_seq)
			last_seq = r->seq;
		r->busy = 0;
		done++;
		if (issued < n) {
			prepare(reqs, r, issued++);
			add(q, r);
			virtq_publish(q);
		}
	}
	while (done < issued && !why) {	/* drain before stopping */
		uint32_t written;
		struct req *r = virtq_get(q, &written);

		if (r) {
			why = check(r, written);
			done++;
		}
	}
	finish_run();
	if (!why && !reordered)
		why = "every completion came in submission order";
	if (!why && blk.max_inflight < QD / 2) {
		snprintf(msg, sizeof(msg), "at most %u in flight at the store, want >= %d",
			 blk.max_inflight, QD / 2);
		why = msg;
	}
	if (!why)
		printf("# %s: %ld requests, %ld out of order, %u at most in flight\n",
		       name, done, reordered, blk.max_inflight);
	verdict(name, NULL, !why, "%s", why);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;

	region = aligned_alloc(4096, REGION_BYTES);
	memset(region, 0, REGION_BYTES);
	kr = (struct kb_region){ region, REGION_BASE, REGION_BYTES };
	/* Requests and buffers in the region, as a guest's are. */
	reqs = (struct req *)(region + (2u << 20));
	for (int i = 0; i < QD; i++)
		reqs[i].buf = region + (3u << 20) + (size_t)i * MAX_IO;
	out_of_order("out-of-order-split", 0, n);
	out_of_order("out-of-order-packed", 1, n);
	flush_order();
	flush_feature();
	write_through("write-through-wce", 0, 0, 1);
	write_through("write-back-wce", 0, 1, 0);
	write_through("write-through-noflush",
		      1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_CONFIG_WCE,
		      -1, 1);
	range_async();
	range_through();
	range_unsupported("range-unsupported", 0);
	range_unsupported("range-unsupported-sync", 1);
	range_bounds("range-bounds", 0);
	range_bounds("range-bounds-sync", 1);
	retry_ok("retry-submit", 0);
	retry_ok("retry-completion", 1);
	retry_bound();
	retry_drained();
	/* The runner looks for "PROGRAM: 0 failed" (blk_async, blk_async_tsan). */
	printf("%s: %d failed\n", strrchr(argv[0], '/') ?
	       strrchr(argv[0], '/') + 1 : argv[0], failures);
	free(region);
	return !!failures;
}
