/*
 * blkalign: the blk driver refuses what the device cannot serve.  Reads,
 * writes, discards and write-zeroes that are not whole blocks of the
 * device's (vblk_block_size(): 4 KiB on a 4 KiB-sector disk) must come
 * back -EINVAL from the submission itself, nothing sent: a request the
 * driver had sent would come back 0 from vblk_submit and fail (or
 * worse, succeed on a neighbour's bytes) at the device.  Then a read and
 * a write of whole blocks still work.
 *
 * Prints "blkalign: OK block=N refused=M" or "blkalign: FAIL ..." for
 * the first request not refused.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "kspawn.h"

static int refused, failed;

/* One request that must be refused before it reaches the ring. */
static void must_refuse(const char *what, uint32_t type, uint64_t sector,
			void *buf, uint32_t len)
{
	struct vblk_req r;
	int e = vblk_submit(&r, type, sector, buf, len);

	if (e == -EINVAL) {
		refused++;
		return;
	}
	failed++;
	kprintf("blkalign: FAIL %s (sector %llu, %u bytes): %s\n", what,
		(unsigned long long)sector, len,
		e ? "refused, but not as misaligned" :
		    "sent to the device");
	if (!e)
		vblk_wait(&r);
}

static void must_refuse_range(const char *what, uint32_t type,
			      uint64_t sector, uint32_t count)
{
	static struct virtio_blk_discard_write_zeroes range;

	range = (struct virtio_blk_discard_write_zeroes){
		.sector = sector, .num_sectors = count };
	must_refuse(what, type, 0, &range, sizeof(range));
}

static int blkalign_main(int argc, char **argv)
{
	uint32_t bs, per;
	uint8_t *buf;

	(void)argc;
	(void)argv;
	if (vblk_init()) {
		kprintf("blkalign: no block device\n");
		return 1;
	}
	bs = vblk_block_size();
	per = bs / VBLK_SECTOR;
	buf = memalign(4096, 2 * bs);
	if (!buf || vblk_sectors() < 4 * per) {
		kprintf("blkalign: needs memory and a disk of 4 blocks\n");
		return 1;
	}
	memset(buf, 0x5a, 2 * bs);
	/* Part of a sector: no device serves that. */
	must_refuse("read of half a sector", VIRTIO_BLK_T_IN, 0, buf, 256);
	if (per > 1) {
		must_refuse("read off a block", VIRTIO_BLK_T_IN, 1, buf, bs);
		must_refuse("read of one sector", VIRTIO_BLK_T_IN, 0, buf,
			    VBLK_SECTOR);
		must_refuse("write off a block", VIRTIO_BLK_T_OUT, per + 1,
			    buf, bs);
		must_refuse("write of a block and a sector", VIRTIO_BLK_T_OUT,
			    per, buf, bs + VBLK_SECTOR);
		must_refuse_range("discard off a block", VIRTIO_BLK_T_DISCARD,
				  1, per);
		must_refuse_range("write-zeroes of one sector",
				  VIRTIO_BLK_T_WRITE_ZEROES, per, 1);
	}
	/* Whole blocks still go through, the device answering them. */
	if (vblk_write(per, buf, 2 * bs) || vblk_read(per, buf + bs, bs)) {
		kprintf("blkalign: FAIL a write or read of whole blocks failed\n");
		return 1;
	}
	if (failed)
		return 1;
	kprintf("blkalign: OK block=%u refused=%d\n", bs, refused);
	return 0;
}
APP(blkalign, blkalign_main, "the blk driver refuses I/O not in whole blocks of the device's");
