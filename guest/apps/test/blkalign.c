/*
 * blkalign: the blk driver refuses what the device cannot serve.  Reads,
 * writes, discards and write-zeroes that are not whole blocks of the
 * device's (vblk_block_size(): 4 KiB on a 4 KiB-sector disk) must come
 * back -EINVAL from the submission itself, nothing sent: a request the
 * driver had sent would come back 0 from vblk_submit and fail (or
 * worse, succeed on a neighbour's bytes) at the device.  Then a read and
 * a write of whole blocks still work.
 *
 * Then the limits on a request's size: a write and a read of BIG_BYTES,
 * more than kspawn's device takes in one segment, must come back as
 * written (the driver splits the buffer into segments), and again with
 * the driver's limit lowered to LIMIT_BYTES (vblk_read and vblk_write
 * split the transfer into requests); a request over either limit must be
 * refused with -E2BIG, unsent.
 *
 * Prints "blkalign: OK block=N refused=M big=B toobig=T limited=L" (T: 1
 * if a request over the device's own limit was tried and refused, 0 for
 * a device without a limit under 4 GiB) or "blkalign: FAIL ..." for the
 * first request not refused or not read back.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "kspawn.h"

static int refused, failed;

/* 2.5 MiB and a block: more than one of kspawn's segments (512 KiB each). */
#define BIG_BYTES(bs) ((5U << 19) + (bs))
/* A lowered limit: the same transfer in three requests. */
#define LIMIT_BYTES (1U << 20)

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
 * A read of more than vblk_max_bytes(): -E2BIG before anything is sent.
 * Past the disk's end, so that a driver that did send it gets an I/O
 * error from the device, not 16 MiB over a small buffer.  1 if tried,
 * 0 where no limit below 4 GiB exists, -1 on failure.
 */
static int refuse_too_big(uint32_t bs, void *buf)
{
	uint32_t most = vblk_max_bytes();
	struct vblk_req r;
	int e;

	if (most > UINT32_MAX - bs)
		return 0;
	e = vblk_submit(&r, VIRTIO_BLK_T_IN, vblk_sectors(), buf, most + bs);
	if (e == -E2BIG)
		return 1;
	kprintf("blkalign: FAIL a read of %u bytes, over the limit of %u, was %s\n",
		most + bs, most, e ? "refused, but not as too big" :
				     "sent to the device");
	if (!e)
		vblk_wait(&r);
	return -1;
}

/* A write and a read of len bytes at sector, the bytes compared. */
static int round_trip(uint8_t *out, uint8_t *in, uint32_t len,
		      uint64_t sector, unsigned int seed)
{
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 7 + i / 4093 + seed);
	memset(in, 0, len);
	if (vblk_write(sector, out, len) || vblk_read(sector, in, len)) {
		kprintf("blkalign: FAIL a write or read of %u bytes (limit %u) failed\n",
			len, vblk_max_bytes());
		return -1;
	}
	if (memcmp(in, out, len)) {
		kprintf("blkalign: FAIL %u bytes read back (limit %u) differ from those written\n",
			len, vblk_max_bytes());
		return -1;
	}
	return 0;
}

/*
 * BIG_BYTES out and back: in segments (three of kspawn's device), then,
 * with the limit lowered to LIMIT_BYTES, in three requests; and over
 * each limit, -E2BIG.  Returns toobig (see refuse_too_big) or -1.
 */
static int big_transfers(uint32_t bs, uint64_t sector)
{
	uint32_t len = BIG_BYTES(bs), lowered;
	uint8_t *out = memalign(4096, len), *in = memalign(4096, len);
	int toobig = -1;

	if (!out || !in || vblk_sectors() < sector + len / VBLK_SECTOR) {
		kprintf("blkalign: FAIL needs 2 x %u bytes of memory and a disk of %llu sectors\n",
			len, (unsigned long long)(sector + len / VBLK_SECTOR));
		goto out;
	}
	toobig = refuse_too_big(bs, in);
	if (toobig < 0 || round_trip(out, in, len, sector, 1))
		goto fail;
	lowered = vblk_limit_bytes(LIMIT_BYTES);
	if (lowered != LIMIT_BYTES) {
		kprintf("blkalign: FAIL the limit lowered to %u is %u\n",
			LIMIT_BYTES, lowered);
		goto fail;
	}
	if (refuse_too_big(bs, in) != 1 || round_trip(out, in, len, sector, 2))
		goto fail;
	goto out;
fail:
	toobig = -1;
out:
	vblk_limit_bytes(0);
	free(out);
	free(in);
	return toobig;
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
	toobig = big_transfers(bs, 4 * per);
	if (toobig < 0)
		return 1;
	kprintf("blkalign: OK block=%u refused=%d big=%u toobig=%d limited=%u\n",
		bs, refused, BIG_BYTES(bs), toobig, LIMIT_BYTES);
	return 0;
}
APP(blkalign, blkalign_main, "the blk driver refuses I/O not in whole blocks of the device's or over its size limits, and splits big transfers");
