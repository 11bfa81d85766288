/*
 * blkalign: the blk driver refuses what the device cannot serve.  Reads,
 * writes, discards and write-zeroes that are not whole blocks of the
 * device's (vblk_block_size(): 4 KiB on a 4 KiB-sector disk) must come
 * back -EINVAL from the submission itself, nothing sent: a request the
 * driver had sent would come back 0 from vblk_submit and fail (or
 * worse, succeed on a neighbour's bytes) at the device.  Then a read and
 * a write of whole blocks still work.
 *
 * Then the device's request limits (size_max, seg_max): a write and a
 * read of BIG_BYTES, more than kspawn's device takes in one segment,
 * must come back as written (the driver splits them into segments and
 * requests), and a request of more than vblk_max_bytes() must be refused
 * with -E2BIG, unsent, where the device sets such a limit.
 *
 * Prints "blkalign: OK block=N refused=M big=B toobig=T" (T: 1 if the
 * over-limit request was tried and refused, 0 for a device without a
 * limit under 4 GiB) or "blkalign: FAIL ..." for the first request not
 * refused or not read back.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "kspawn.h"

static int refused, failed;

/* 2.5 MiB and a block: three of kspawn's 1 MiB segments, the last short. */
#define BIG_BYTES(bs) ((5U << 19) + (bs))

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

/*
 * Over the device's limit: -E2BIG before anything is sent (the buffer is
 * never touched, so a small one does).  1 if tried, 0 where no limit
 * below 4 GiB exists, -1 on failure.
 */
static int refuse_too_big(uint32_t bs)
{
	static uint8_t small[64];
	uint32_t most = vblk_max_bytes();
	struct vblk_req r;
	int e;

	if (most > UINT32_MAX - bs)
		return 0;
	e = vblk_submit(&r, VIRTIO_BLK_T_IN, 0, small, most + bs);
	if (e == -E2BIG)
		return 1;
	kprintf("blkalign: FAIL a read of %u bytes, over the device's %u, was %s\n",
		most + bs, most, e ? "refused, but not as too big" :
				     "sent to the device");
	if (!e)
		vblk_wait(&r);
	return -1;
}

/* A write and a read of BIG_BYTES at sector, the bytes compared. */
static int big_round_trip(uint32_t bs, uint64_t sector)
{
	uint32_t len = BIG_BYTES(bs);
	uint8_t *out = memalign(4096, len), *in = memalign(4096, len);
	int ok = 0;

	if (!out || !in || vblk_sectors() < sector + len / VBLK_SECTOR) {
		kprintf("blkalign: FAIL needs 2 x %u bytes of memory and a disk of %llu sectors\n",
			len, (unsigned long long)(sector + len / VBLK_SECTOR));
	} else {
		for (uint32_t i = 0; i < len; i++)
			out[i] = (uint8_t)(i * 7 + i / 4093);
		memset(in, 0, len);
		if (vblk_write(sector, out, len) || vblk_read(sector, in, len))
			kprintf("blkalign: FAIL a write or read of %u bytes failed\n",
				len);
		else if (memcmp(in, out, len))
			kprintf("blkalign: FAIL %u bytes read back differ from those written\n",
				len);
		else
			ok = 1;
	}
	free(out);
	free(in);
	return ok ? 0 : -1;
}

static int blkalign_main(int argc, char **argv)
{
	uint32_t bs, per;
	uint8_t *buf;
	int toobig;

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
	toobig = refuse_too_big(bs);
	if (toobig < 0 || big_round_trip(bs, 4 * per))
		return 1;
	kprintf("blkalign: OK block=%u refused=%d big=%u toobig=%d\n", bs,
		refused, BIG_BYTES(bs), toobig);
	return 0;
}
APP(blkalign, blkalign_main, "the blk driver refuses I/O not in whole blocks of the device's");
