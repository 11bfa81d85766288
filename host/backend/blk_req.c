// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * virtio-blk, one request: the chain the thread popped, read once and
 * checked (header, status byte, seg_max and size_max, sectors inside the
 * disk), then done by its type: a read or write cut to its data segments
 * and submitted to the store, the one range of a DISCARD or WRITE_ZEROES,
 * GET_ID, FLUSH (parked while writes are in flight).  Everything the
 * guest's chain says is read here; what happens to the request once it is
 * at the store (completion, flush ordering, the thread's loop over the
 * queues) is blk.c's.  Apart so that the parsing of untrusted chains reads
 * as one piece, and blk.c as the request's life.
 */
#include <linux/virtio_blk.h>

#include "blk.h"

#define HDR_BYTES ((uint32_t)sizeof(struct virtio_blk_outhdr))
#define RANGE_BYTES ((uint32_t)sizeof(struct virtio_blk_discard_write_zeroes))
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

/*
 * A range done at once by the store's discard, for a store without
 * submit_range: completed as an asynchronous one is (a write-through
 * flush, a retry).
 */
static int sync_range(void *store, struct kb_blk_req *rq)
{
	kb_blk_complete(rq, rq->b->ops->discard(store, rq->off, rq->len,
						rq->zero));
	return 0;
}

/*
 * The one range of a DISCARD or WRITE_ZEROES: started at the store
 * (STARTED), which takes it asynchronously or does it at once.
 *
 * The statuses are virtio 1.2's (5.2.6): UNSUPP for what the device does
 * not do (the type withheld, a flag it does not know, UNMAP on a
 * discard: the spec's two MUSTs), IOERR for a driver's error, as for a
 * read or write: data not one range (max_*_seg is 1), a range over
 * max_*_sectors or past the disk.  (QEMU and vdpa_sim_blk also give
 * IOERR over max_*_sectors.)
 */
static uint8_t do_ranges(struct kb_blk *b, const struct kb_chain *c,
			 struct kb_blk_req *rq, int zero)
{
	uint32_t n = (c->out_len - HDR_BYTES) / RANGE_BYTES;
	struct virtio_blk_discard_write_zeroes rg;

	if (b->dev.withheld & (1ULL << (zero ? VIRTIO_BLK_F_WRITE_ZEROES :
					   VIRTIO_BLK_F_DISCARD)))
		return VIRTIO_BLK_S_UNSUPP;
	if (n != 1 || (c->out_len - HDR_BYTES) % RANGE_BYTES)
		return VIRTIO_BLK_S_IOERR;
	kb_chain_read(c, HDR_BYTES, &rg, sizeof(rg));
	if (rg.flags & ~(zero ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0))
		return VIRTIO_BLK_S_UNSUPP;
	if (rg.num_sectors > KB_BLK_RANGE_MAX ||
	    !in_disk(b, rg.sector, (uint64_t)rg.num_sectors * KB_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	/* Nothing to do (and no bio a block device would take for it). */
	if (!rg.num_sectors)
		return VIRTIO_BLK_S_OK;
	rq->range = 1;
	rq->zero = zero;
	/* 1 GiB at most: fits len; no data, written stays 0 */
	rq->write = 1;
	rq->off = rg.sector * KB_BLK_SECTOR;
	rq->len = rg.num_sectors * KB_BLK_SECTOR;
	rq->nseg = 0;
	/* durable before it completes, as a write (write_through()) */
	rq->through = write_through(b);
	kb_blk_submit(b, rq, b->ops->submit_range ?: sync_range);
	return STARTED;
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

/* FLUSH, once every write started before it completed. */
void kb_blk_do_flush(struct kb_blk *b, struct kb_blk_req *rq)
{
	kb_blk_publish_now(b);	/* what completed is not held behind it */
	kb_blk_finish(b, rq, b->ops->flush(b->store) ? VIRTIO_BLK_S_IOERR :
						       VIRTIO_BLK_S_OK);
}

/* One request from the chain: started, parked (a flush) or finished. */
void kb_blk_request(struct kb_blk *b, unsigned int q,
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
	rq->len = 0;		/* no data yet: blk.c's take() counts it */
	rq->head = c->head;
	rq->ndesc = c->ndesc;
	rq->written = 0;
	rq->tries = 0;
	rq->status = c->in_len >= 1 ? status_byte(c) : NULL;
	/*
	 * No header, or nowhere to put a status: IOERR where there is one
	 * (a driver reading the byte must not find a stale OK), else the
	 * chain back with nothing written.
	 */
	if (c->out_len < HDR_BYTES || !rq->status) {
		kb_blk_finish(b, rq, VIRTIO_BLK_S_IOERR);
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
			kb_blk_submit(b, rq, b->ops->submit ?: kb_blk_sync_submit);
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
			kb_blk_do_flush(b, rq);
		return;
	} else if (type == VIRTIO_BLK_T_GET_ID) {
		status = do_get_id(b, c, &rq->written);
	} else if (type == VIRTIO_BLK_T_DISCARD ||
		   type == VIRTIO_BLK_T_WRITE_ZEROES) {
		status = do_ranges(b, c, rq, type == VIRTIO_BLK_T_WRITE_ZEROES);
		if (status == STARTED)
			return;
	}
	kb_blk_finish(b, rq, status);
}
