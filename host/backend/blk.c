// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "blk.h"

#define HDR_BYTES ((uint32_t)sizeof(struct virtio_blk_outhdr))
#define RANGE_BYTES ((uint32_t)sizeof(struct virtio_blk_discard_write_zeroes))
#define MAX_RANGE_SECTORS (1U << 21)	/* 1 GiB per discard range */

/* [sector, +bytes) inside the disk? */
static int in_disk(const struct kb_blk *b, uint64_t sector, uint64_t bytes)
{
	return sector <= b->bytes / KB_BLK_SECTOR &&
	       bytes <= b->bytes - sector * KB_BLK_SECTOR;
}

/* IN: disk -> the writable buffers, all but the status byte. */
static uint8_t do_in(struct kb_blk *b, const struct kb_chain *c,
		     uint64_t sector, uint32_t *written)
{
	uint32_t len = c->in_len - 1, left = len;
	uint64_t off = sector * KB_BLK_SECTOR;

	if (len % KB_BLK_SECTOR || !in_disk(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (uint32_t i = 0; i < c->nseg && left; i++) {
		const struct kb_seg *s = &c->seg[i];
		uint32_t n = s->len < left ? s->len : left;

		if (!s->write)
			continue;
		if (b->ops->read(b->store, off, s->p, n))
			return VIRTIO_BLK_S_IOERR;
		off += n;
		left -= n;
	}
	*written = len;
	return VIRTIO_BLK_S_OK;
}

/* OUT: the readable buffers after the header -> disk. */
static uint8_t do_out(struct kb_blk *b, const struct kb_chain *c,
		      uint64_t sector)
{
	uint32_t len = c->out_len - HDR_BYTES, skip = HDR_BYTES;
	uint64_t off = sector * KB_BLK_SECTOR;

	if (len % KB_BLK_SECTOR || !in_disk(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (uint32_t i = 0; i < c->nseg; i++) {
		const struct kb_seg *s = &c->seg[i];
		uint32_t n;

		if (s->write)
			break;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = s->len - skip;
		if (b->ops->write(b->store, off, s->p + skip, n))
			return VIRTIO_BLK_S_IOERR;
		off += n;
		skip = 0;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_ranges(struct kb_blk *b, const struct kb_chain *c,
			 int zero)
{
	uint32_t n = (c->out_len - HDR_BYTES) / RANGE_BYTES;
	struct virtio_blk_discard_write_zeroes rg;

	if (!n || (c->out_len - HDR_BYTES) % RANGE_BYTES || n > 1)
		return VIRTIO_BLK_S_UNSUPP;
	kb_chain_read(c, HDR_BYTES, &rg, sizeof(rg));
	if (rg.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP || rg.num_sectors > MAX_RANGE_SECTORS)
		return VIRTIO_BLK_S_UNSUPP;
	if (!in_disk(b, rg.sector, (uint64_t)rg.num_sectors * KB_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (b->ops->discard(b->store, rg.sector * KB_BLK_SECTOR,
			    (uint64_t)rg.num_sectors * KB_BLK_SECTOR, zero))
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

/* One request; returns the bytes written into the chain. */
static uint32_t request(struct kb_blk *b, const struct kb_chain *c)
{
	struct virtio_blk_outhdr hdr;
	uint8_t status = VIRTIO_BLK_S_UNSUPP;
	uint32_t type, written = 0;
	uint64_t sector;

	b->requests++;
	if (c->out_len < HDR_BYTES || c->in_len < 1) {
		b->errors++;
		return 0;	/* nowhere to put a status: drop it */
	}
	kb_chain_read(c, 0, &hdr, sizeof(hdr));
	type = hdr.type;
	sector = hdr.sector;
	if (!within_limits(c))
		status = VIRTIO_BLK_S_IOERR;
	else if (type == VIRTIO_BLK_T_IN && c->out_len == HDR_BYTES)
		status = do_in(b, c, sector, &written);
	else if (type == VIRTIO_BLK_T_OUT && c->in_len == 1)
		status = do_out(b, c, sector);
	else if (type == VIRTIO_BLK_T_FLUSH)
		status = b->ops->flush(b->store) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	else if (type == VIRTIO_BLK_T_GET_ID)
		status = do_get_id(b, c, &written);
	else if (type == VIRTIO_BLK_T_DISCARD ||
		 type == VIRTIO_BLK_T_WRITE_ZEROES)
		status = do_ranges(b, c, type == VIRTIO_BLK_T_WRITE_ZEROES);
	if (status != VIRTIO_BLK_S_OK)
		b->errors++;
	kb_chain_write(c, c->in_len - 1, &status, 1);
	return written + 1;
}

static int blk_work(struct kb_device *d, int budget)
{
	struct kb_blk *b = d->priv;
	int done = 0;

	while (done < budget && kb_device_pop(d, 0, &d->chain) > 0) {
		kb_device_push(d, 0, &d->chain, request(b, &d->chain));
		done++;
	}
	if (done)
		kb_device_kick(d, 0);
	return done;
}

static const struct kb_device_class blk_class = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.kick_queues = 1,
	.queue_size_max = 256,
	.features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) |
		    (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		    (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ULL << VIRTIO_BLK_F_FLUSH) |
		    (1ULL << VIRTIO_BLK_F_DISCARD) |
		    (1ULL << VIRTIO_BLK_F_WRITE_ZEROES),
	.work = blk_work,
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
		.num_queues = 1,
		.max_discard_sectors = MAX_RANGE_SECTORS,
		.max_discard_seg = 1,
		.discard_sector_alignment = 1,
		.max_write_zeroes_sectors = MAX_RANGE_SECTORS,
		.max_write_zeroes_seg = 1,
	};

	_Static_assert(sizeof(cfg) <= KSPAWN_CONFIG_SIZE, "blk config");
	memset(b, 0, sizeof(*b));
	b->ops = store_ops;
	b->store = store;
	b->bytes = bytes - bytes % KB_BLK_SECTOR;
	memcpy(b->serial, serial, strlen(serial) < sizeof(b->serial) ?
	       strlen(serial) : sizeof(b->serial));
	memcpy(slot->config, &cfg, sizeof(cfg));
	kb_device_init(&b->dev, slot, r, &blk_class, b, ops, ctx);
}
