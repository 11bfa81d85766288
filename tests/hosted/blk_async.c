/*
 * Hosted: the blk backend over an asynchronous store, as kspawn.ko's
 * O_DIRECT file is.  The guest's virtqueue driver (guest/lib/virtio.c) on
 * one thread, the device on another, and a third completing the store's
 * requests in random order (hard-irq completions in the module).
 *
 *   out-of-order-{split,packed}: N random reads and writes, never two
 *     overlapping ones in flight (the driver's rule), checked against a
 *     model; completions must come out of order and many in flight.
 *   flush-order: writes held in the store, then a FLUSH: the flush reaches
 *     the store and the driver only after every write before it completed.
 *   flush-feature: FLUSH and CONFIG_WCE are offered over a volatile cache
 *     only (not RAM), the config saying write-back.
 *   write-through-wce, write-through-noflush: with the config's wce set to
 *     0 by the driver, or FLUSH not taken, each write completes only after
 *     a store flush that followed its store write; write-back-wce: with
 *     wce left at 1, no flush the driver did not ask for.
 *   range-async: a DISCARD and a WRITE_ZEROES go to the store's
 *     submit_range and the device thread does not wait for them: held at
 *     the store, a read after them completes; a FLUSH after them waits
 *     for them; released, they complete OK and their ranges read zeroes.
 *   range-write-through: with wce 0, a WRITE_ZEROES completes only after
 *     a store flush that followed it, as a write does; a DISCARD of no
 *     sectors completes OK without reaching the store.
 *   range-unsupported, range-unsupported-sync: a range the store refuses
 *     with -EOPNOTSUPP (the offload gone since the device was offered), at
 *     submit or at its completion, or done at once by a store without
 *     submit_range, is UNSUPP to the driver, a request the device does
 *     not do; any other error is IOERR.  A DISCARD with the UNMAP
 *     flag (write-zeroes' only) is UNSUPP too.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "PROGRAM: N failed" last.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"

#define REGION_BYTES (8u << 20)
#define REGION_BASE 0x40000000ULL
#define DISK_BYTES (1u << 20)
#define QSIZE 128
#define QD 32
#define MAX_IO 8192

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_blk blk;
static atomic_int stop;
static uint8_t disk[DISK_BYTES];	/* the store's */
static uint8_t model[DISK_BYTES];	/* what the driver expects */
static int failed;

/* The asynchronous store: submitted requests wait here for the completer. */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kb_blk_req *pending[KB_BLK_INFLIGHT];
static int npending;
static atomic_int hold;			/* the completer waits */
static atomic_int flushes, writes_pending_at_flush;
static atomic_int stored_writes, flushed_writes;	/* write-through */
static uint64_t drop_features;		/* the driver refuses these */
static atomic_int range_refused;	/* submit_range fails with this */
static atomic_int range_failed;		/* a range completes with this */

static int store_submit(void *store, struct kb_blk_req *rq)
{
	(void)store;
	if (rq->range && atomic_load(&range_refused))
		return atomic_load(&range_refused);
	pthread_mutex_lock(&store_lock);
	pending[npending++] = rq;
	pthread_mutex_unlock(&store_lock);
	return 0;
}

static int npending_now(void)
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

static const struct kb_store_ops async_ops = {
	.flush = store_flush,
	.discard = store_discard,
	.submit = store_submit,
	.submit_range = store_submit,
	.volatile_cache = 1,
};

/* The same with ranges done in the device thread (store_file.c's). */
static const struct kb_store_ops sync_range_ops = {
	.flush = store_flush,
	.discard = store_discard,
	.submit = store_submit,
	.volatile_cache = 1,
};
static const struct kb_store_ops *store_ops = &async_ops;

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

static const struct kb_device_ops ops = { .notify = notify };

struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	uint8_t *buf;
	uint32_t len;
	long seq;			/* order of submission */
	int busy;
};

static struct virtio_dev vd;

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

static int add(struct virtq *q, struct req *r)
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
static void prepare(struct req *reqs, struct req *r, long seq)
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

static void verdict(const char *name, const char *why)
{
	if (why) {
		printf("FAIL %s: %s\n", name, why);
		failed++;
	} else {
		printf("ok %s\n", name);
	}
}

static struct req *reqs;
static pthread_t dev_thr, comp_thr;

static void start(int packed)
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

static void finish_run(void)
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
	verdict(name, why);
}

/* Wait (bounded) for cond; 0 if it never came. */
#define WAIT_FOR(cond) ({ int _k = 0, _ok; \
	while (!(_ok = !!(cond)) && _k++ < 200000) \
		usleep(50); \
	_ok; })

static void flush_order(void)
{
	struct virtq *q = &vd.vq[0];
	struct req *fl = &reqs[8];	/* in the region */
	const char *why = NULL;
	int seen = 0, flush_pos = -1;

	start(0);
	atomic_store(&hold, 1);
	for (int i = 0; i < 8; i++) {
		reqs[i].busy = 0;
		prepare(reqs, &reqs[i], i);
		reqs[i].hdr.type = VIRTIO_BLK_T_OUT;
		add(q, &reqs[i]);
	}
	fl->hdr.type = VIRTIO_BLK_T_FLUSH;
	add(q, fl);
	virtq_publish(q);
	if (!WAIT_FOR(atomic_load(&flushes) || npending_now() == 8))
		why = "the writes never reached the store";
	usleep(20000);		/* time for a wrong device to flush early */
	if (!why && atomic_load(&flushes))
		why = "FLUSH ran while the writes before it were in flight";
	if (!why && virtq_get(q, &(uint32_t){ 0 }))
		why = "a request completed while the store held them all";
	atomic_store(&hold, 0);
	while (!why && seen < 9) {
		uint32_t written;
		struct req *r;

		if (!WAIT_FOR((r = virtq_get(q, &written)) != NULL)) {
			fprintf(stderr, "seen %d pending %d inflight %u parked %p flushes %d used %u\n", seen, npending_now(), blk.inflight, (void *)blk.flush, atomic_load(&flushes), blk.dev.vq[0].used_idx);
			why = "lost completion";
			break;
		}
		if (r == fl)
			flush_pos = seen;
		if (r->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		seen++;
	}
	finish_run();
	if (!why && flush_pos != 8)
		why = "the FLUSH completed before a write issued before it";
	if (!why && atomic_load(&writes_pending_at_flush))
		why = "the store flushed with writes pending";
	if (!why && atomic_load(&flushes) != 1)
		why = "the store saw no flush";
	verdict("flush-order", why);
}

static void flush_feature(void)
{
	struct kspawn_device s;
	void *ram = kb_ram_new(4096);
	struct kb_blk *b = malloc(sizeof(*b));
	const uint64_t f = 1ULL << VIRTIO_BLK_F_FLUSH |
			   1ULL << VIRTIO_BLK_F_CONFIG_WCE;
	const size_t wce = offsetof(struct virtio_blk_config, wce);
	const char *why = NULL;

	memset(&s, 0, sizeof(s));
	kb_blk_init(b, &s, &kr, &ops, NULL, &kb_ram_ops, ram, 4096, "ram");
	if (s.device_features & f)
		why = "RAM (no volatile cache) offers FLUSH or CONFIG_WCE";
	if (!why && s.config[wce])
		why = "RAM's config says write-back";
	kb_blk_init(b, &s, &kr, &ops, NULL, &async_ops, NULL, 4096, "file");
	if (!why && (s.device_features & f) != f)
		why = "a volatile cache without FLUSH and CONFIG_WCE";
	if (!why && s.config[wce] != 1)
		why = "a volatile cache whose config does not say write-back";
	verdict("flush-feature", why);
	kb_ram_free(ram);
	free(b);
}

/*
 * 50 writes one at a time; wce >= 0 is what the driver writes to the
 * config's wce byte once the device is live.
 */
static void write_through(const char *name, uint64_t drop, int wce,
			  int want_through)
{
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	int n;

	drop_features = drop;
	start(0);
	drop_features = 0;
	if (wce >= 0)
		slot.config[offsetof(struct virtio_blk_config, wce)] = (uint8_t)wce;
	atomic_store(&flushes, 0);
	atomic_store(&stored_writes, 0);
	atomic_store(&flushed_writes, 0);
	for (n = 0; n < 50 && !why; n++) {
		struct req *r = &reqs[0], *got = NULL;
		uint32_t written;

		r->busy = 0;
		prepare(reqs, r, n);
		r->hdr.type = VIRTIO_BLK_T_OUT;
		add(q, r);
		virtq_publish(q);
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL))
			why = "lost completion";
		else if (got->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		else if (want_through && atomic_load(&flushed_writes) != n + 1)
			why = "a write completed before a flush after it";
	}
	finish_run();
	if (!why && !want_through && atomic_load(&flushes))
		why = "a write-back device flushed with no FLUSH asked";
	if (!why)
		printf("# %s: %d writes, %d store flushes\n", name, n,
		       atomic_load(&flushes));
	verdict(name, why);
}

/*
 * Request i as a DISCARD or WRITE_ZEROES of one range, which is readable
 * data after the header, as an OUT's.
 */
static struct virtio_blk_discard_write_zeroes *
add_range(int i, uint32_t type, uint64_t sector, uint32_t nsec)
{
	struct virtio_blk_discard_write_zeroes *rg =
		(void *)(region + (2u << 20) + 64 * sizeof(struct req));

	reqs[i].hdr = (struct virtio_blk_outhdr){ .type = type };
	rg[i] = (struct virtio_blk_discard_write_zeroes){
		.sector = sector, .num_sectors = nsec };
	reqs[i].status = 0xff;
	virtq_add(&vd.vq[0], (struct virtq_buf[]){ { &reqs[i].hdr, 16 },
					  { &rg[i], sizeof(rg[i]) } }, 2,
		  (struct virtq_buf[]){ { &reqs[i].status, 1 } }, 1, &reqs[i]);
	return &rg[i];
}

/* The ranges held at the store, a read after them, a FLUSH after that. */
static void range_async(void)
{
	struct virtq *q = &vd.vq[0];
	struct req *rd = &reqs[2], *fl = &reqs[3], *got;
	const char *why = NULL;
	uint32_t written;
	int seen = 0, flush_seen = 0;

	start(0);
	memset(disk, 0xa5, sizeof(disk));
	memcpy(model, disk, sizeof(model));
	atomic_store(&hold, 1);
	add_range(0, VIRTIO_BLK_T_DISCARD, 64, 32);
	add_range(1, VIRTIO_BLK_T_WRITE_ZEROES, 128, 32);
	virtq_publish(q);
	if (!WAIT_FOR(npending_now() == 2))
		why = "DISCARD and WRITE_ZEROES did not reach the store's submit_range";
	/* The thread is free: a read after them is served while they wait. */
	rd->busy = 0;
	rd->hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN,
					      .sector = 1024 };
	rd->len = 4096;
	fl->hdr.type = VIRTIO_BLK_T_FLUSH;
	add(q, rd);
	add(q, fl);
	virtq_publish(q);
	if (!why && !WAIT_FOR(npending_now() == 3))
		why = "the device thread waited for the ranges";
	atomic_store(&hold, 0);
	while (!why && seen < 4) {
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL)) {
			why = "lost completion";
			break;
		}
		if (got->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		if (got == fl)
			flush_seen = ++seen;
		else
			seen++;
	}
	finish_run();
	memset(model + 64 * 512, 0, 32 * 512);
	memset(model + 128 * 512, 0, 32 * 512);
	if (!why && flush_seen != 4)
		why = "the FLUSH completed before the ranges before it";
	if (!why && memcmp(disk, model, sizeof(disk)))
		why = "the ranges do not read back as zeroes (or more was zeroed)";
	if (!why && memcmp(rd->buf, model + 1024 * 512, 4096))
		why = "the read returned the wrong data";
	verdict("range-async", why);
}

static void range_through(void)
{
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	struct req *got;
	uint32_t written;

	start(0);
	slot.config[offsetof(struct virtio_blk_config, wce)] = 0;
	atomic_store(&flushes, 0);
	atomic_store(&stored_writes, 0);
	atomic_store(&flushed_writes, 0);
	add_range(0, VIRTIO_BLK_T_WRITE_ZEROES, 64, 32);
	add_range(1, VIRTIO_BLK_T_DISCARD, 64, 0);
	virtq_publish(q);
	for (int seen = 0; !why && seen < 2; seen++) {
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL))
			why = "lost completion";
		else if (got->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		else if (got == &reqs[0] && atomic_load(&flushed_writes) < 1)
			why = "the WRITE_ZEROES completed before a flush after it";
	}
	finish_run();
	if (!why && atomic_load(&stored_writes) != 1)
		why = "the empty DISCARD reached the store";
	verdict("range-write-through", why);
}

/*
 * Ranges refused at submit, then failed at completion, by a store that
 * takes them asynchronously (sync 0) or does them at once (sync 1, where
 * both knobs are the discard's return): their statuses.
 */
static void range_unsupported(const char *name, int sync)
{
	static const struct {
		int refused, failed;
		uint32_t flags;
		uint8_t want;
	} c[] = {
		{ -EOPNOTSUPP, 0, 0, VIRTIO_BLK_S_UNSUPP },
		{ 0, -EOPNOTSUPP, 0, VIRTIO_BLK_S_UNSUPP },
		{ -EIO, 0, 0, VIRTIO_BLK_S_IOERR },
		{ 0, -EIO, 0, VIRTIO_BLK_S_IOERR },
		/* UNMAP: write-zeroes' flag (even cases), not a discard's */
		{ 0, 0, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, VIRTIO_BLK_S_OK },
		{ 0, 0, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, VIRTIO_BLK_S_UNSUPP },
	};
	static char why_buf[128];
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	struct req *got;
	uint32_t written;

	store_ops = sync ? &sync_range_ops : &async_ops;
	start(0);
	for (unsigned int i = 0; !why && i < sizeof(c) / sizeof(c[0]); i++) {
		atomic_store(&range_refused, c[i].refused);
		atomic_store(&range_failed, c[i].failed);
		add_range(0, i & 1 ? VIRTIO_BLK_T_DISCARD :
				     VIRTIO_BLK_T_WRITE_ZEROES, 64, 8)->flags =
			c[i].flags;
		virtq_publish(q);
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL)) {
			why = "lost completion";
		} else if (got->status != c[i].want) {
			snprintf(why_buf, sizeof(why_buf),
				 "case %u (submit %d, completion %d): status %u, want %u",
				 i, c[i].refused, c[i].failed, got->status,
				 c[i].want);
			why = why_buf;
		}
	}
	atomic_store(&range_refused, 0);
	atomic_store(&range_failed, 0);
	finish_run();
	store_ops = &async_ops;
	verdict(name, why);
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
	/* The runner looks for "PROGRAM: 0 failed" (blk_async, blk_async_tsan). */
	printf("%s: %d failed\n", strrchr(argv[0], '/') ?
	       strrchr(argv[0], '/') + 1 : argv[0], failed);
	free(region);
	return !!failed;
}
