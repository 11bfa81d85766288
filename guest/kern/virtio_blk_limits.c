/*
 * What one virtio-blk request may be: the device's logical block,
 * size_max and seg_max read at init, and the checks a request passes
 * before it is sent (whole blocks, not over the limits).  The driver
 * proper is virtio_blk.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_blk.h>

#include "kern/console.h"
#include "kern/virtio_blk.h"
#include "kern/virtio_blk_state.h"
#include "lib/format.h"

/* The most blk_size we take: a 64 KiB-page machine's block. */
#define BLOCK_MAX (64 * 1024)

/*
 * The device's logical block (VIRTIO_BLK_F_BLK_SIZE): a 4 KiB-sector disk
 * fails anything smaller or off its blocks, so every request is made of
 * whole blocks.  A size we cannot honour (not a power of two, under a
 * sector, huge) refuses the device: guessing would fail its I/O later.
 */
int vblk_read_block_size(void)
{
	uint32_t bytes = VBLK_SECTOR;

	if (virtio_has(&vblk.dev, VIRTIO_BLK_F_BLK_SIZE))
		virtio_config(&vblk.dev,
			      offsetof(struct virtio_blk_config, blk_size),
			      &bytes, sizeof(bytes));
	if (bytes < VBLK_SECTOR || bytes > BLOCK_MAX || (bytes & (bytes - 1))) {
		kprintf("virtio-blk: the device's block size %u is not a power of two from %u to %u bytes: not using it\n",
			bytes, VBLK_SECTOR, BLOCK_MAX);
		return -1;
	}
	vblk.block = bytes;
	return 0;
}

/* What the device's limits allow one request, in whole blocks. */
static uint32_t vblk_device_max(void)
{
	uint64_t most = (uint64_t)vblk.seg_bytes * vblk.max_segs;
	uint32_t cap = UINT32_MAX - UINT32_MAX % vblk.block;

	return most < cap ? (uint32_t)most : cap;
}

/*
 * How big one request's data may be (VIRTIO_BLK_F_SIZE_MAX: bytes in a
 * segment; VIRTIO_BLK_F_SEG_MAX: segments in a request).  A device that
 * offers them fails a request over either, so the driver splits its
 * buffer into segments of at most size_max, in whole blocks, and refuses
 * a request that would need more than seg_max of them.
 */
int vblk_read_request_limits(void)
{
	uint32_t size_max = UINT32_MAX, seg_max = VBLK_MAX_SEGS;

	if (virtio_has(&vblk.dev, VIRTIO_BLK_F_SIZE_MAX))
		virtio_config(&vblk.dev,
			      offsetof(struct virtio_blk_config, size_max),
			      &size_max, sizeof(size_max));
	if (virtio_has(&vblk.dev, VIRTIO_BLK_F_SEG_MAX))
		virtio_config(&vblk.dev,
			      offsetof(struct virtio_blk_config, seg_max),
			      &seg_max, sizeof(seg_max));
	size_max -= size_max % vblk.block;
	if (!size_max) {
		kprintf("virtio-blk: the device's size_max is under one %u-byte block: not using it\n",
			vblk.block);
		return -1;
	}
	vblk.seg_bytes = size_max;
	/* seg_max 0 makes no sense; one segment is what any device takes. */
	vblk.max_segs = seg_max ? seg_max : 1;
	if (vblk.max_segs > VBLK_MAX_SEGS)
		vblk.max_segs = VBLK_MAX_SEGS;
	/*
	 * A chain (the header, the segments, the status byte) goes in one
	 * indirect table if it fits one, else takes that many descriptors
	 * of the ring: one that fits neither would wait for room for ever.
	 */
	for (unsigned int i = 0; i < vblk.nq; i++) {
		struct virtq *vq = vblk.q[i].vq;
		unsigned int fits = vq->size > 2 ? vq->size - 2 : 0;

		if (vq->indirect && fits < VQ_INDIRECT_MAX - 2)
			fits = VQ_INDIRECT_MAX - 2;
		if (vblk.max_segs > fits)
			vblk.max_segs = fits;
	}
	if (!vblk.max_segs) {
		kprintf("virtio-blk: a queue of %u has no room for a request: not using it\n",
			vblk.dev.vq[0].size);
		return -1;
	}
	vblk.cap = vblk_device_max();
	return 0;
}

/*
 * The most sectors one DISCARD or WRITE_ZEROES range may cover: the
 * device's max_discard_sectors or max_write_zeroes_sectors (it fails a
 * longer range), 0 there meaning no limit as Linux's driver reads it,
 * cut to whole blocks (one block at least: a device saying less is
 * given whole blocks all the same).
 */
static uint32_t range_limit(unsigned int bit, size_t field)
{
	uint32_t per = vblk.block / VBLK_SECTOR, most = 0;

	if (virtio_has(&vblk.dev, bit))
		virtio_config(&vblk.dev, field, &most, sizeof(most));
	if (!most)
		most = UINT32_MAX;
	most -= most % per;
	return most ? most : per;
}

/* After vblk_read_block_size(). */
void vblk_read_range_limits(void)
{
	vblk.discard_max =
		range_limit(VIRTIO_BLK_F_DISCARD,
			    offsetof(struct virtio_blk_config,
				     max_discard_sectors));
	vblk.zeroes_max =
		range_limit(VIRTIO_BLK_F_WRITE_ZEROES,
			    offsetof(struct virtio_blk_config,
				     max_write_zeroes_sectors));
}

uint32_t vblk_max_range(uint32_t type)
{
	if (!vblk.up)
		return 0;
	return type == VIRTIO_BLK_T_DISCARD ? vblk.discard_max :
					      vblk.zeroes_max;
}

uint32_t vblk_max_bytes(void)
{
	return vblk.up ? vblk.cap : 0;
}

uint32_t vblk_limit_bytes(uint32_t bytes)
{
	uint32_t most;

	if (!vblk.up)
		return 0;
	most = vblk_device_max();
	bytes -= bytes % vblk.block;
	vblk.cap = bytes && bytes < most ? bytes : most;
	return vblk.cap;
}

/* The init line's mention of a block bigger than a sector. */
const char *vblk_block_words(void)
{
	static char words[32];

	if (vblk.block == VBLK_SECTOR)
		return "";
	ksnprintf(words, sizeof(words), ", %u-byte blocks", vblk.block);
	return words;
}

/* [sector, +sectors) in whole blocks of the device's. */
static int whole_blocks(uint64_t sector, uint64_t sectors)
{
	uint32_t per = vblk.block / VBLK_SECTOR;

	return !(sector % per) && !(sectors % per);
}

/*
 * Whether the device can serve a request: reads and writes, and each
 * range of a discard or write-zeroes, in whole blocks.  One that cannot
 * is refused here, not sent (the device would fail it, or worse, serve
 * a neighbour's bytes); the first refusal says why on the console.
 */
int vblk_aligned(uint32_t type, uint64_t sector, const void *buf,
		 uint32_t len)
{
	const struct virtio_blk_discard_write_zeroes *range = buf;
	int ok = 1;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		ok = !(len % vblk.block) &&
		     whole_blocks(sector, len / VBLK_SECTOR);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		ok = buf && !(len % sizeof(*range));
		for (uint32_t i = 0; ok && i < len / sizeof(*range); i++)
			ok = whole_blocks(range[i].sector,
					  range[i].num_sectors);
		if (ok && len)
			sector = range[0].sector;
		break;
	}
	if (!ok && !vblk.said_refused) {
		vblk.said_refused = 1;
		kprintf("virtio-blk: refused a request (type %u, sector %llu, %u bytes): not in whole %u-byte blocks\n",
			type, (unsigned long long)sector, len, vblk.block);
	}
	return ok;
}

/*
 * A read's or write's data over the device's limits: refused, unsent,
 * and named once on the console (vblk_read and vblk_write split for
 * their callers; an asynchronous caller sizes by vblk_max_bytes()).
 */
int vblk_too_big(uint32_t type, uint32_t len)
{
	if (len <= vblk_max_bytes())
		return 0;
	if (!vblk.said_too_big) {
		vblk.said_too_big = 1;
		kprintf("virtio-blk: refused a request (type %u) of %u bytes: at most %u in one (the device's: %u segments of %u bytes)\n",
			type, len, vblk_max_bytes(), vblk.max_segs,
			vblk.seg_bytes);
	}
	return 1;
}
