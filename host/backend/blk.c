// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * virtio-blk, the device: the life of a request once blk_req.c has read
 * its chain and started it.  The request slots and the count in flight,
 * completion from any context (kb_blk_complete()), written-through writes
 * and the one flush that publishes them, a parked FLUSH let go once the
 * writes before it drained, requests the store had no memory for started
 * again later, the thread's work over the queues in turn,
 * reset and drain, kick control; and the class and config that the core
 * (device.c) serves.  What a chain asks for is blk_req.c's: this file
 * decides when and in what order the answers are published.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "blk.h"

/*
 * Publish a finished request (under the lock): status, used entry, and
 * unless the thread is in blk_work (it publishes at its end, one batch,
 * and before it waits for a store flush), the used index and the
 * interrupt the driver asked for.
 */
static void finish_locked(struct kb_blk *b, struct kb_blk_req *rq,
			  uint8_t status)
{
	struct kb_device *d = &b->dev;

	if (status != VIRTIO_BLK_S_OK)
		b->errors++;
	if (d->live && !d->broken) {
		if (rq->status)
			KB_WRITE(*rq->status, status);
		b->done.head = rq->head;
		b->done.ndesc = rq->ndesc;
		kb_device_push(d, rq->q, &b->done,
			       rq->status ? rq->written + 1 : 0);
		if (!b->in_work)
			kb_device_kick(d, rq->q);
	}
	rq->next = b->free;
	b->free = rq;
	if (b->starved && b->wake) {
		b->starved = 0;
		b->wake(b->wake_ctx, 1);
	}
}

/*
 * A store's error as the driver's status.  A range (DISCARD, WRITE_ZEROES)
 * the store no longer takes, its write-zeroes offload gone since the
 * device was offered or a file system without holes, is UNSUPP: the
 * status of a request the device does not do (Linux's driver makes it
 * BLK_STS_NOTSUPP, -EOPNOTSUPP), where IOERR says the disk failed.  A read
 * or write is either done or failed: IOERR (-ENOMEM and -EAGAIN too, once
 * out of retries: held_for_retry()).
 */
uint8_t kb_blk_status(const struct kb_blk_req *rq, int err)
{
	if (!err)
		return VIRTIO_BLK_S_OK;
	return rq->range && err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP :
						 VIRTIO_BLK_S_IOERR;
}

/*
 * Under the lock, from any context: a store short of memory, or of
 * something it will have again (-EAGAIN), failed rq; a real disk's queue
 * would requeue it.  It stays in flight (a FLUSH after it still waits
 * for it) and the thread starts it again once its delay passed, other
 * requests going on meanwhile; after KB_BLK_RETRIES, IOERR.  1 if held.
 */
static int held_for_retry(struct kb_blk *b, struct kb_blk_req *rq, int err)
{
	unsigned int shift = rq->tries < KB_BLK_RETRY_SHIFT_MAX ?
			     rq->tries : KB_BLK_RETRY_SHIFT_MAX;

	if ((err != -ENOMEM && err != -EAGAIN) || rq->tries >= KB_BLK_RETRIES)
		return 0;
	rq->tries++;
	rq->retry_at = kb_now_ns() + (KB_BLK_RETRY_NS << shift);
	rq->next = b->retry;
	KB_WRITE(b->retry, rq);
	b->retries++;
	/* The thread may sleep for the doorbell: it must see the list. */
	if (b->wake)
		b->wake(b->wake_ctx, 0);
	kb_wake_all(&b->drained);
	return 1;
}

void kb_blk_complete(struct kb_blk_req *rq, int err)
{
	struct kb_blk *b = rq->b;
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	if (!err && !rq->write)
		rq->written = rq->len;
	if (!err && rq->through) {
		/* Still in flight: the thread flushes, then publishes it. */
		rq->next = b->through;
		KB_WRITE(b->through, rq);
		if (b->wake)
			b->wake(b->wake_ctx, 1);
		kb_wake_all(&b->drained);
		kb_unlock(&b->lock, flags);
		return;
	}
	if (held_for_retry(b, rq, err)) {
		kb_unlock(&b->lock, flags);
		return;
	}
	KB_WRITE(b->inflight, b->inflight - 1);
	if (!b->inflight)
		kb_wake_all(&b->drained);
	finish_locked(b, rq, kb_blk_status(rq, err));
	/*
	 * The last one out: a parked flush can go, and a driver waiting on
	 * it (QD1) is about to post its next request, which a thread
	 * awake and polling takes without a doorbell or a wake-up.
	 */
	if (!b->inflight && b->wake)
		b->wake(b->wake_ctx, 1);
	kb_unlock(&b->lock, flags);
}

void kb_blk_finish(struct kb_blk *b, struct kb_blk_req *rq, uint8_t status)
{
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	finish_locked(b, rq, status);
	kb_unlock(&b->lock, flags);
}

/*
 * The synchronous way through submit: each data segment by the store's
 * read or write, completed before returning (RAM, and any store without a
 * submit of its own).
 */
int kb_blk_sync_submit(void *store, struct kb_blk_req *rq)
{
	const struct kb_store_ops *ops = rq->b->ops;
	uint64_t off = rq->off;
	int err = 0;

	for (uint32_t i = 0; i < rq->nseg && !err; i++) {
		const struct kb_seg *s = &rq->seg[i];

		err = rq->write ? ops->write(store, off, s->p, s->len) :
				  ops->read(store, off, s->p, s->len);
		off += s->len;
	}
	kb_blk_complete(rq, err);
	return 0;
}

/* Start rq at the store, the first time or again (nothing held). */
static void start(struct kb_blk *b, struct kb_blk_req *rq)
{
	int err = rq->start(b->store, rq);

	if (err)
		kb_blk_complete(rq, err);
}

/* A read, write or range to the store (fn); it completes now or later. */
void kb_blk_submit(struct kb_blk *b, struct kb_blk_req *rq,
		   int (*fn)(void *store, struct kb_blk_req *rq))
{
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	KB_WRITE(b->inflight, b->inflight + 1);
	if (b->inflight > b->max_inflight)
		b->max_inflight = b->inflight;
	kb_unlock(&b->lock, flags);
	rq->start = fn;
	start(b, rq);
}

/*
 * A held request whose delay has passed, unlinked; or NULL.  The list
 * holds request slots only, KB_BLK_INFLIGHT at most.
 */
static struct kb_blk_req *due_retry(struct kb_blk *b)
{
	struct kb_blk_req **p, *rq = NULL;
	unsigned long flags = 0;
	uint64_t now = kb_now_ns();

	kb_lock(&b->lock, flags);
	for (p = &b->retry; *p; p = &(*p)->next) {
		if ((int64_t)(now - (*p)->retry_at) >= 0) {
			rq = *p;
			KB_WRITE(*p, rq->next);
			break;
		}
	}
	kb_unlock(&b->lock, flags);
	return rq;
}

/*
 * A drain's: the thread no longer starts anything (a reset, a stop), so
 * the requests waiting for a retry get IOERR now, as if out of tries.
 */
static void fail_retries(struct kb_blk *b)
{
	struct kb_blk_req *list, *rq;
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	list = b->retry;
	KB_WRITE(b->retry, NULL);
	while ((rq = list)) {
		list = rq->next;
		KB_WRITE(b->inflight, b->inflight - 1);
		finish_locked(b, rq, VIRTIO_BLK_S_IOERR);
	}
	kb_unlock(&b->lock, flags);
}

/*
 * The written-through writes the store completed so far: one flush makes
 * them durable, then they are published (IOERR if it failed).  The
 * thread's (or a drain's, once the thread no longer submits).
 */
static int flush_through(struct kb_blk *b)
{
	struct kb_blk_req *list, *rq;
	unsigned long flags = 0;
	uint8_t status;
	int n = 0;

	kb_lock(&b->lock, flags);
	list = b->through;
	KB_WRITE(b->through, NULL);
	kb_unlock(&b->lock, flags);
	if (!list)
		return 0;
	status = b->ops->flush(b->store) ? VIRTIO_BLK_S_IOERR :
					   VIRTIO_BLK_S_OK;
	kb_lock(&b->lock, flags);
	while ((rq = list)) {
		list = rq->next;
		KB_WRITE(b->inflight, b->inflight - 1);
		finish_locked(b, rq, status);
		n++;
	}
	kb_unlock(&b->lock, flags);
	return n;
}

/* A free request, or NULL with KB_BLK_INFLIGHT of them in flight. */
static struct kb_blk_req *get_req(struct kb_blk *b)
{
	struct kb_blk_req *rq;
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	rq = b->free;
	if (rq)
		b->free = rq->next;
	kb_unlock(&b->lock, flags);
	return rq;
}

/* The parked flush, if the writes before it have drained; or NULL. */
static struct kb_blk_req *ready_flush(struct kb_blk *b, int *parked)
{
	struct kb_blk_req *rq = NULL;
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	*parked = !!b->flush;
	if (b->flush && !b->inflight) {
		rq = b->flush;
		b->flush = NULL;
	}
	kb_unlock(&b->lock, flags);
	return rq;
}

/* The queues the driver may use: queue 0 only without MQ. */
static unsigned int nqueues(const struct kb_device *d)
{
	return d->features & (1ULL << VIRTIO_BLK_F_MQ) ? KB_BLK_QUEUES : 1;
}

/* Publish every queue's batch, one interrupt each at most. */
static void publish_all(struct kb_blk *b)
{
	for (unsigned int q = 0; q < nqueues(&b->dev); q++)
		if (b->dev.vq[q].size)
			kb_device_kick(&b->dev, q);
}

static void work_end(struct kb_blk *b)
{
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	b->in_work = 0;
	publish_all(b);
	kb_unlock(&b->lock, flags);
}

/*
 * The thread is about to wait for the store's flush (a disk's, tens of
 * ms): what completed in this pass goes to the driver first, not after
 * it.  Nothing new is nothing sent (kb_device_kick()).
 */
void kb_blk_publish_now(struct kb_blk *b)
{
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	publish_all(b);
	kb_unlock(&b->lock, flags);
}

/*
 * Queue q's next chain into rq and start it: what it costs of the poll's
 * budget, or 0 if q had none.  A request may move 64 MiB, a range 1 GiB
 * (a RAM disk zeroes it here): the budget counts one a request and one
 * a MiB, so that one poll cannot keep the thread from its other device
 * or from a stop for seconds.
 */
static int take(struct kb_blk *b, unsigned int q, struct kb_blk_req *rq)
{
	struct kb_device *d = &b->dev;

	if (!d->vq[q].size || kb_device_pop(d, q, &d->chain) <= 0)
		return 0;
	kb_blk_request(b, q, &d->chain, rq);
	kb_resched();
	/* rq is this thread's until its next get_req(), done or not. */
	return 1 + (int)(rq->len >> 20);
}

/*
 * Start up to budget requests, one from each queue in turn (from where
 * the last call stopped), so that a queue kept full cannot starve the
 * others of the budget or of the requests in flight.  Nothing is taken
 * from any queue while a FLUSH is parked: it waits for every write
 * before it, and the requests after it see it done.
 */
static int blk_work(struct kb_device *d, int budget)
{
	struct kb_blk *b = d->priv;
	struct kb_blk_req *rq = NULL, *fl;
	unsigned int nq = nqueues(d), idle = 0;
	unsigned long flags = 0;
	int done = 0, parked, cost;

	kb_lock(&b->lock, flags);
	b->in_work = 1;
	kb_unlock(&b->lock, flags);
	while (done < budget && idle < nq && !d->broken) {
		if (KB_READ(b->through)) {
			kb_blk_publish_now(b);
			done += flush_through(b);
			continue;
		}
		/* before a parked flush's break: the flush waits for it */
		fl = KB_READ(b->retry) ? due_retry(b) : NULL;
		if (fl) {
			cost = 1 + (int)(fl->len >> 20);	/* as take()'s */
			start(b, fl);
			done += cost;
			continue;
		}
		fl = ready_flush(b, &parked);
		if (fl) {
			kb_blk_do_flush(b, fl);
			done++;
			continue;
		}
		if (parked)
			break;
		if (!rq)
			rq = get_req(b);
		if (!rq)
			break;
		cost = take(b, b->next_q++ % nq, rq);
		if (cost) {
			rq = NULL;
			done += cost;
			idle = 0;
		} else {
			idle++;
		}
	}
	if (rq) {
		kb_lock(&b->lock, flags);
		rq->next = b->free;
		b->free = rq;
		kb_unlock(&b->lock, flags);
	}
	work_end(b);
	return done;
}

/* A reset waits for the store: nothing may write the old buffers later. */
static void blk_reset(struct kb_device *d)
{
	struct kb_blk *b = d->priv;
	struct kb_blk_req *rq;
	unsigned long flags = 0;

	kb_blk_drain(b);
	kb_lock(&b->lock, flags);
	rq = b->flush;
	b->flush = NULL;
	if (rq) {
		rq->next = b->free;
		b->free = rq;
	}
	kb_unlock(&b->lock, flags);
}

/*
 * Asleep while the store works: kb_blk_complete() wakes us when the last
 * request is out, or when a written-through write waits for its flush or
 * a request for a retry: the thread's work, but the thread is either the
 * one draining (a reset) or stopped.
 */
void kb_blk_drain(struct kb_blk *b)
{
	unsigned long flags = 0;
	uint32_t n;

	for (;;) {
		flush_through(b);
		fail_retries(b);
		kb_lock(&b->lock, flags);
		n = b->inflight;
		kb_unlock(&b->lock, flags);
		if (!n)
			return;
		kb_wait_until(&b->drained,
			      !KB_READ(b->inflight) || KB_READ(b->through) ||
			      KB_READ(b->retry));
	}
}

/*
 * Before the thread sleeps: requests waiting in a queue are work only
 * if a slot is free to take them and no FLUSH is parked; otherwise the
 * thread would never sleep while the store is busy.  It is starved then,
 * and the completion that frees a slot (or lets the flush go) wakes it.
 */
static int blk_kicks_on(struct kb_device *d)
{
	struct kb_blk *b = d->priv;
	unsigned long flags = 0;
	int pending = 0;

	for (unsigned int q = 0; q < nqueues(d); q++)
		pending |= kb_vq_kicks_on(&d->vq[q]);
	kb_lock(&b->lock, flags);
	if (pending && (!b->free || b->flush)) {
		b->starved = 1;
		pending = KB_READ(b->through) != NULL;
	}
	/*
	 * A request to start again is work that no doorbell announces: the
	 * thread polls on, backing off (io.c) until its time comes.
	 */
	pending |= KB_READ(b->retry) != NULL;
	kb_unlock(&b->lock, flags);
	return pending;
}

static void blk_kicks_off(struct kb_device *d)
{
	for (unsigned int q = 0; q < nqueues(d); q++)
		kb_vq_kicks_off(&d->vq[q]);
}

#define BLK_FEATURES ((1ULL << VIRTIO_BLK_F_SIZE_MAX) | \
		      (1ULL << VIRTIO_BLK_F_SEG_MAX) | \
		      (1ULL << VIRTIO_BLK_F_BLK_SIZE) | \
		      (1ULL << VIRTIO_BLK_F_DISCARD) | \
		      (1ULL << VIRTIO_BLK_F_WRITE_ZEROES) | \
		      (1ULL << VIRTIO_BLK_F_MQ))

/* Requests complete out of order: never in-order (not even by mistake). */
_Static_assert(!((BLK_FEATURES | KB_F_TRANSPORT) & (1ULL << VIRTIO_F_IN_ORDER)),
	       "blk completes out of order: it cannot offer VIRTIO_F_IN_ORDER");

/* A store without a volatile write cache (RAM) offers no FLUSH. */
static const struct kb_device_class blk_class = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = KB_BLK_QUEUES,
	.queue_size_max = 256,
	.features = BLK_FEATURES,
	.kicks_on = blk_kicks_on,
	.kicks_off = blk_kicks_off,
	.work = blk_work,
	.reset = blk_reset,
};

/*
 * One with a cache (a file, a disk) offers it, and FLUSH is honest; the
 * driver may turn it to write-through (CONFIG_WCE).
 */
static const struct kb_device_class blk_class_wc = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = KB_BLK_QUEUES,
	.queue_size_max = 256,
	.features = BLK_FEATURES | (1ULL << VIRTIO_BLK_F_FLUSH) |
		    (1ULL << VIRTIO_BLK_F_CONFIG_WCE),
	.kicks_on = blk_kicks_on,
	.kicks_off = blk_kicks_off,
	.work = blk_work,
	.reset = blk_reset,
};

void kb_blk_init(struct kb_blk *b, struct kspawn_device *slot,
		 const struct kb_region *r, const struct kb_device_ops *ops,
		 void *ctx, const struct kb_store_ops *store_ops, void *store,
		 uint64_t bytes, const char *serial)
{
	struct virtio_blk_config cfg = {
		.capacity = bytes / KB_BLK_SECTOR,
		.size_max = KB_BLK_SIZE_MAX,
		.seg_max = KB_BLK_SEG_MAX,
		.blk_size = KB_BLK_SECTOR,
		.num_queues = KB_BLK_QUEUES,
		.max_discard_sectors = KB_BLK_RANGE_MAX,
		.max_discard_seg = 1,
		.discard_sector_alignment = 1,
		.max_write_zeroes_sectors = KB_BLK_RANGE_MAX,
		.max_write_zeroes_seg = 1,
		.wce = !!store_ops->volatile_cache,	/* write-back */
	};

	_Static_assert(sizeof(cfg) <= KSPAWN_CONFIG_SIZE, "blk config");
	_Static_assert((uint64_t)KB_BLK_SIZE_MAX * KB_BLK_SEG_MAX +
		       sizeof(struct virtio_blk_outhdr) + 1 <= KB_MAX_CHAIN_BYTES,
		       "a request within seg_max and size_max fits a chain");
	memset(b, 0, sizeof(*b));
	b->ops = store_ops;
	b->store = store;
	b->bytes = bytes - bytes % KB_BLK_SECTOR;
	memcpy(b->serial, serial, strlen(serial) < sizeof(b->serial) ?
	       strlen(serial) : sizeof(b->serial));
	kb_lock_init(&b->lock);
	kb_waitq_init(&b->drained);
	for (unsigned int i = 0; i < KB_BLK_INFLIGHT; i++) {
		b->req[i].b = b;
		b->req[i].id = i;
		b->req[i].next = b->free;
		b->free = &b->req[i];
	}
	memcpy(slot->config, &cfg, sizeof(cfg));
	kb_device_init(&b->dev, slot, r, store_ops->volatile_cache ?
		       &blk_class_wc : &blk_class, b, ops, ctx);
}

/*
 * A store whose smallest I/O is bigger than a sector (a 4 KiB-sector disk,
 * O_DIRECT on one) says so in blk_size, which a driver takes as its
 * logical block size; else its sub-block requests would fail there.
 * Discards are aligned alike.  Before the device is live.
 */
void kb_blk_set_block_size(struct kb_blk *b, uint32_t bytes)
{
	uint8_t *cfg = (uint8_t *)b->dev.slot->config;
	uint32_t sectors = bytes / KB_BLK_SECTOR;

	if (bytes < KB_BLK_SECTOR || bytes > KB_BLK_SIZE_MAX ||
	    (bytes & (bytes - 1)))
		return;
	memcpy(cfg + offsetof(struct virtio_blk_config, blk_size), &bytes,
	       sizeof(bytes));
	memcpy(cfg + offsetof(struct virtio_blk_config,
			      discard_sector_alignment),
	       &sectors, sizeof(sectors));
}

/* After kb_blk_set_block_size(), which writes one of these fields. */
void kb_blk_withhold_ranges(struct kb_blk *b)
{
	uint8_t *cfg = (uint8_t *)b->dev.slot->config;
	size_t from = offsetof(struct virtio_blk_config, max_discard_sectors);
	/* up to write_zeroes_may_unmap, the last field of the two */
	size_t to = offsetof(struct virtio_blk_config, unused1);

	kb_device_withhold(&b->dev, (1ULL << VIRTIO_BLK_F_DISCARD) |
			   (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	/* Their limits mean nothing without them: none advertised. */
	memset(cfg + from, 0, to - from);
}
