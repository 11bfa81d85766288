/*
 * virtio-blk's blocking calls: vblk_read, vblk_write, vblk_flush,
 * vblk_discard and vblk_write_zeroes, each a request (or, for a long
 * read, write or range, several one after another) submitted and waited
 * for.
 *
 * Apart from the driver (virtio_blk.c) because they are its users, not
 * part of it: they go through its public calls only, vblk_submit() and
 * vblk_wait(), and its limits, like any asynchronous caller would.
 */
#include <errno.h>
#include <linux/virtio_blk.h>

#include "kern/virtio_blk.h"
#include "kern/virtio.h"

#define F(bit) (1ULL << (bit))

static int sync_req(uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	struct vblk_req r;

	return vblk_submit(&r, type, sector, buf, len) ?: vblk_wait(&r);
}

/*
 * A read or write of any length, as requests of at most vblk_max_bytes()
 * one after another.  One not in whole blocks is refused whole, unsent:
 * handed to vblk_submit() in one piece, which refuses it (and names it),
 * rather than after the pieces before its odd end went.  A misaligned
 * start is refused with the first piece, before anything went.
 */
static int sync_rw(uint32_t type, uint64_t sector, uint8_t *buf, uint32_t len)
{
	uint32_t most = vblk_max_bytes();

	if (!vblk_dev())
		return -1;
	if (len % vblk_block_size())
		return sync_req(type, sector, buf, len);
	while (len > most) {
		int e = sync_req(type, sector, buf, most);

		if (e)
			return e;
		sector += most / VBLK_SECTOR;
		buf += most;
		len -= most;
	}
	return sync_req(type, sector, buf, len);
}

int vblk_read(uint64_t sector, void *buf, uint32_t len)
{
	return sync_rw(VIRTIO_BLK_T_IN, sector, buf, len);
}

int vblk_write(uint64_t sector, const void *buf, uint32_t len)
{
	return sync_rw(VIRTIO_BLK_T_OUT, sector, (void *)buf, len);
}

/*
 * Without FLUSH negotiated the device writes through: what it completed
 * is durable, and a FLUSH is not ours to send (Linux's driver sends
 * none either).
 */
int vblk_flush(void)
{
	if (!(vblk_features() & F(VIRTIO_BLK_F_FLUSH)))
		return 0;
	return sync_req(VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
}

/*
 * Ranges (virtio_blk_discard_write_zeroes), one a request, of at most
 * the device's limit each, one after another.  One not in whole blocks
 * is refused whole, unsent, as sync_rw() refuses a read or write.
 */
static int unmap(uint32_t type, uint64_t feature, uint64_t sector,
		 uint64_t count)
{
	uint64_t per = vblk_block_size() / VBLK_SECTOR;
	uint32_t most = vblk_max_range(type);
	struct virtio_blk_discard_write_zeroes range;

	if (!(vblk_features() & feature))
		return -EOPNOTSUPP;
	if ((sector | count) % per)
		most = UINT32_MAX;	/* vblk_submit() refuses it */
	do {
		int e;

		range = (struct virtio_blk_discard_write_zeroes){
			.sector = sector,
			.num_sectors = count < most ? (uint32_t)count : most };
		e = sync_req(type, 0, &range, sizeof(range));
		if (e)
			return e;
		sector += range.num_sectors;
		count -= range.num_sectors;
	} while (count);
	return 0;
}

int vblk_discard(uint64_t sector, uint64_t count)
{
	return unmap(VIRTIO_BLK_T_DISCARD, F(VIRTIO_BLK_F_DISCARD), sector, count);
}

int vblk_write_zeroes(uint64_t sector, uint64_t count)
{
	return unmap(VIRTIO_BLK_T_WRITE_ZEROES, F(VIRTIO_BLK_F_WRITE_ZEROES), sector,
		     count);
}
