// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "blk.h"

#define HDR_BYTES ((uint32_t)sizeof(struct virtio_blk_outhdr))
#define RANGE_BYTES ((uint32_t)sizeof(struct virtio_blk_discard_write_zeroes))
#define MAX_RANGE_SECTORS (1U << 21)	/* 1 GiB per discard range */
#define STARTED 0xff			/* not a status: at the store */

/* [sector, +bytes) inside the disk? */
static int in_disk(const struct kb_blk *b, uint64_t sector, uint64_t bytes)
{
	return sector <= b->bytes / KB_BLK_SECTOR &&
	       bytes <= b->bytes - sector * KB_BLK_SECTOR;
}

/*
 * The data segments of an IN (writable ones before the status byte) or an
 * OUT (readable ones after the header) into rq; the status byte found.
 * IOERR if the request is not whole sectors inside the disk.
 */
static uint8_t build_rw(struct kb_blk *b, const struct kb_chain *c,
			struct kb_blk_req *rq, int write, uint64_t sector)
{
	uint32_t skip = write ? HDR_BYTES : 0;
	uint32_t left = write ? c->out_len - HDR_BYTES : c->in_len - 1;

	rq->write = write;
	rq->off = sector * KB_BLK_SECTOR;
	rq->len = left;
	rq->nseg = 0;
	if (left % KB_BLK_SECTOR || !in_disk(b, sector, left))
		return VIRTIO_BLK_S_IOERR;
	for (uint32_t i = 0; i < c->nseg && left; i++) {
		const struct kb_seg *s = &c->seg[i];
		uint32_t n;

		if (!s->write != !!write)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = s->len - skip < left ? s->len - skip : left;
		/* within_limits() bounds the data segments by seg_max */
		if (rq->nseg == KB_BLK_SEG_MAX)
			return VIRTIO_BLK_S_IOERR;
		rq->seg[rq->nseg++] = (struct kb_seg){ s->p + skip, n, !write };
		left -= n;
		skip = 0;
	}
	return VIRTIO_BLK_S_OK;
}

static void submit(struct kb_blk *b, struct kb_blk_req *rq,
		   int (*fn)(void *store, struct kb_blk_req *rq));
static int write_through(const struct kb_blk *b);

/*
 * The one range of a DISCARD or WRITE_ZEROES: started at the store
 * (STARTED) if it takes ranges asynchronously, else done here.
 */
static uint8_t do_ranges(struct kb_blk *b, const struct kb_chain *c,
			 struct kb_blk_req *rq, int zero)
{
	uint32_t n = (c->out_len - HDR_BYTES) / RANGE_BYTES;
	struct virtio_blk_discard_write_zeroes rg;

	if (!n || (c->out_len - HDR_BYTES) % RANGE_BYTES || n > 1 ||
	    (b->dev.withheld & (1ULL << (zero ? VIRTIO_BLK_F_WRITE_ZEROES :
					    VIRTIO_BLK_F_DISCARD))))
		return VIRTIO_BLK_S_UNSUPP;
	kb_chain_read(c, HDR_BYTES, &rg, sizeof(rg));
	if (rg.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP || rg.num_sectors > MAX_RANGE_SECTORS)
		return VIRTIO_BLK_S_UNSUPP;
	if (!in_disk(b, rg.sector, (uint64_t)rg.num_sectors * KB_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	/* Nothing to do (and no bio a block device would take for it). */
	if (!rg.num_sectors)
		return VIRTIO_BLK_S_OK;
	if (b->ops->submit_range) {
		/* 1 GiB at most: fits len; no data, written stays 0 */
		rq->write = 1;
		rq->range = 1;
		rq->zero = zero;
		rq->off = rg.sector * KB_BLK_SECTOR;
		rq->len = rg.num_sectors * KB_BLK_SECTOR;
		rq->nseg = 0;
		/* durable before it completes, as a write (write_through()) */
		rq->through = write_through(b);
		submit(b, rq, b->ops->submit_range);
		return STARTED;
	}
	if (b->ops->discard(b->store, rg.sector * KB_BLK_SECTOR,
			    (uint64_t)rg.num_sectors * KB_BLK_SECTOR, zero) ||
	    (write_through(b) && b->ops->flush(b->store)))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct kb_blk *b, const struct kb_chain *c,
			 uint32_t *written)
{
	uint32_t n = c->in_len - 1 < sizeof(b->serial) ?
		     c->in_len - 1 : sizeof(b->serial);

	*written = kb_chain_write(c, 0, b->serial, n);
	return VIRTIO_BLK_S_OK;
}

/*
 * Within the seg_max and size_max we advertise?  Counted over the data,
 * as the driver counts them: a segment is a data segment if it carries
 * readable bytes after the header or writable bytes before the status
 * byte, and only those bytes count towards size_max (ANY_LAYOUT lets the
 * header or the status share a segment with data).
 */
static int within_limits(const struct kb_chain *c)
{
	uint32_t header = HDR_BYTES, data_in = c->in_len - 1, nseg = 0;

	for (uint32_t i = 0; i < c->nseg; i++) {
		const struct kb_seg *s = &c->seg[i];
		uint32_t data;

		if (s->write) {
			data = s->len < data_in ? s->len : data_in;
			data_in -= data;
		} else {
			uint32_t h = s->len < header ? s->len : header;

			data = s->len - h;
			header -= h;
		}
		if (data && (data > KB_BLK_SIZE_MAX || ++nseg > KB_BLK_SEG_MAX))
			return 0;
	}
	return 1;
}

/* The byte after the writable data: where the status goes. */
static uint8_t *status_byte(const struct kb_chain *c)
{
	uint32_t off = c->in_len - 1;

	for (uint32_t i = 0; i < c->nseg; i++) {
		const struct kb_seg *s = &c->seg[i];

		if (!s->write)
			continue;
		if (off < s->len)
			return s->p + off;
		off -= s->len;
	}
	return NULL;
}

/*
 * Publish a finished request (under the lock): status, used entry, and
 * unless the thread is in blk_work (it publishes once at its end, one
 * batch), the used index and the interrupt the driver asked for.
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
		b->wake(b->wake_ctx);
	}
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
		b->through = rq;
		if (b->wake)
			b->wake(b->wake_ctx);
		kb_wake_all(&b->drained);
		kb_unlock(&b->lock, flags);
		return;
	}
	b->inflight--;
	if (!b->inflight)
		kb_wake_all(&b->drained);
	finish_locked(b, rq, err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
	/*
	 * The last one out: a parked flush can go, and a driver waiting on
	 * it (QD1) is about to post its next request, which a thread
	 * awake and polling takes without a doorbell or a wake-up.
	 */
	if (!b->inflight && b->wake)
		b->wake(b->wake_ctx);
	kb_unlock(&b->lock, flags);
}

static void finish(struct kb_blk *b, struct kb_blk_req *rq, uint8_t status)
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

/* A read, write or range to the store (fn); it completes now or later. */
static void submit(struct kb_blk *b, struct kb_blk_req *rq,
		   int (*fn)(void *store, struct kb_blk_req *rq))
{
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	if (++b->inflight > b->max_inflight)
		b->max_inflight = b->inflight;
	kb_unlock(&b->lock, flags);
	if (fn(b->store, rq))
		kb_blk_complete(rq, -1);
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
	b->through = NULL;
	kb_unlock(&b->lock, flags);
	if (!list)
		return 0;
	status = b->ops->flush(b->store) ? VIRTIO_BLK_S_IOERR :
					   VIRTIO_BLK_S_OK;
	kb_lock(&b->lock, flags);
	while ((rq = list)) {
		list = rq->next;
		b->inflight--;
		finish_locked(b, rq, status);
		n++;
	}
	kb_unlock(&b->lock, flags);
	return n;
}

/*
 * Must this write be durable before it completes?  Only over a volatile
 * cache: when the driver set the config's writeback byte to 0
 * (CONFIG_WCE; the guest's byte, read once), or did not take FLUSH at
 * all, for then it can never ask for durability and takes the device
 * for write-through (Linux's virtio_blk does).
 */
static int write_through(const struct kb_blk *b)
{
	uint64_t f = b->dev.features;

	if (!b->ops->volatile_cache)
		return 0;
	if (!(f & (1ULL << VIRTIO_BLK_F_FLUSH)))
		return 1;
	if (!(f & (1ULL << VIRTIO_BLK_F_CONFIG_WCE)))
		return 0;
	return !KB_READ(b->dev.slot->config[offsetof(struct virtio_blk_config,
						     wce)]);
}

/* FLUSH, once every write started before it completed. */
static void do_flush(struct kb_blk *b, struct kb_blk_req *rq)
{
	finish(b, rq, b->ops->flush(b->store) ? VIRTIO_BLK_S_IOERR :
						VIRTIO_BLK_S_OK);
}

/* One request from the chain: started, parked (a flush) or finished. */
static void request(struct kb_blk *b, unsigned int q,
		    const struct kb_chain *c, struct kb_blk_req *rq)
{
	struct virtio_blk_outhdr hdr;
	uint8_t status = VIRTIO_BLK_S_UNSUPP;
	unsigned long flags = 0;
	uint32_t type;
	uint64_t sector;

	b->requests++;
	rq->q = q;
	rq->through = 0;
	rq->range = 0;
	rq->head = c->head;
	rq->ndesc = c->ndesc;
	rq->written = 0;
	rq->status = c->in_len >= 1 ? status_byte(c) : NULL;
	if (c->out_len < HDR_BYTES || !rq->status) {
		/* nowhere to put a status: return it with nothing written */
		rq->status = NULL;
		finish(b, rq, VIRTIO_BLK_S_IOERR);
		return;
	}
	kb_chain_read(c, 0, &hdr, sizeof(hdr));
	type = hdr.type;
	sector = hdr.sector;
	if (!within_limits(c)) {
		status = VIRTIO_BLK_S_IOERR;
	} else if ((type == VIRTIO_BLK_T_IN && c->out_len == HDR_BYTES) ||
		   (type == VIRTIO_BLK_T_OUT && c->in_len == 1)) {
		status = build_rw(b, c, rq, type == VIRTIO_BLK_T_OUT, sector);
		rq->through = rq->write && write_through(b);
		/*
		 * No data: nothing to do, and to a block device it would be
		 * a bio without pages, a malformed command.
		 */
		if (status == VIRTIO_BLK_S_OK && rq->len) {
			submit(b, rq, b->ops->submit ?: kb_blk_sync_submit);
			return;
		}
	} else if (type == VIRTIO_BLK_T_FLUSH) {
		kb_lock(&b->lock, flags);
		if (b->inflight) {
			b->flush = rq;
			rq = NULL;
		}
		kb_unlock(&b->lock, flags);
		if (rq)
			do_flush(b, rq);
		return;
	} else if (type == VIRTIO_BLK_T_GET_ID) {
		status = do_get_id(b, c, &rq->written);
	} else if (type == VIRTIO_BLK_T_DISCARD ||
		   type == VIRTIO_BLK_T_WRITE_ZEROES) {
		status = do_ranges(b, c, rq, type == VIRTIO_BLK_T_WRITE_ZEROES);
		if (status == STARTED)
			return;
	}
	finish(b, rq, status);
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
static void work_end(struct kb_blk *b)
{
	unsigned long flags = 0;

	kb_lock(&b->lock, flags);
	b->in_work = 0;
	for (unsigned int q = 0; q < nqueues(&b->dev); q++)
		if (b->dev.vq[q].size)
			kb_device_kick(&b->dev, q);
	kb_unlock(&b->lock, flags);
}

/* Queue q's next chain into rq and start it; 0 if q had none. */
static int take(struct kb_blk *b, unsigned int q, struct kb_blk_req *rq)
{
	struct kb_device *d = &b->dev;

	if (!d->vq[q].size || kb_device_pop(d, q, &d->chain) <= 0)
		return 0;
	request(b, q, &d->chain, rq);
	/* A request may move ~128 MiB; the budget counts requests. */
	kb_resched();
	return 1;
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
	int done = 0, parked;

	kb_lock(&b->lock, flags);
	b->in_work = 1;
	kb_unlock(&b->lock, flags);
	while (done < budget && idle < nq && !d->broken) {
		if (KB_READ(b->through)) {
			done += flush_through(b);
			continue;
		}
		fl = ready_flush(b, &parked);
		if (fl) {
			do_flush(b, fl);
			done++;
			continue;
		}
		if (parked)
			break;
		if (!rq)
			rq = get_req(b);
		if (!rq)
			break;
		if (take(b, b->next_q++ % nq, rq)) {
			rq = NULL;
			done++;
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
 * request is out, or when a written-through write waits for its flush:
 * the thread's work, but the thread is either the one draining (a reset)
 * or stopped.
 */
void kb_blk_drain(struct kb_blk *b)
{
	unsigned long flags = 0;
	uint32_t n;

	for (;;) {
		flush_through(b);
		kb_lock(&b->lock, flags);
		n = b->inflight;
		kb_unlock(&b->lock, flags);
		if (!n)
			return;
		kb_wait_until(&b->drained,
			      !KB_READ(b->inflight) || KB_READ(b->through));
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
		.max_discard_sectors = MAX_RANGE_SECTORS,
		.max_discard_seg = 1,
		.discard_sector_alignment = 1,
		.max_write_zeroes_sectors = MAX_RANGE_SECTORS,
		.max_write_zeroes_seg = 1,
		.wce = !!store_ops->volatile_cache,	/* write-back */
	};

	_Static_assert(sizeof(cfg) <= KSPAWN_CONFIG_SIZE, "blk config");
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
