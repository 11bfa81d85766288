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
/*
 * blkalign mixed [d=SECTOR] [dn=SECTORS] [read]: a write the host can do
 * directly beside one it cannot, in the same host page (qemu/blk-mixed).
 * D, dn sectors (default 1) of 0xd1 at sector d (default 8193), is
 * submitted, and without waiting for it B, MIXED_BYTES of 0xb2 right after
 * D: more than kspawn's file store sends as one O_DIRECT request, so the
 * host writes it through its page cache.  With `read`, a read of B's
 * sectors (as big, so through the page cache too) goes between them.
 * Once all are done: a FLUSH, which must succeed, then D and B read back
 * in one request (the page cache again), which must find both.  Prints
 * "blkalign: mixed OK ..." or "blkalign: mixed FAIL ..." with when each
 * completed (ms after D was sent), how the FLUSH went, the first byte
 * read back of D's and B's and how many sectors of each are not theirs.
 */
#define MIXED_BYTES (3U << 19)	/* 1.5 MiB */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
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

/* How many of buf's first n sectors are not all byte c. */
static uint32_t not_all(const uint8_t *buf, uint32_t n, uint8_t c)
{
	uint32_t bad = 0;

	for (uint32_t s = 0; s < n; s++)
		for (uint32_t i = 0; i < VBLK_SECTOR; i++)
			if (buf[s * VBLK_SECTOR + i] != c) {
				bad++;
				break;
			}
	return bad;
}

/* A request's completion: its time, in ms since the first was sent. */
static uint64_t mixed_t0;

static void stamp_done(struct vblk_req *r)
{
	*(uint64_t *)r->ctx = (time_ns() - mixed_t0) / 1000000;
}

static int mixed(int argc, char **argv)
{
	uint64_t d = 8193, ms[3] = { 0 };
	uint32_t dn = 1, dlen, bad_d, bad_b;
	uint8_t *dbuf, *bbuf, *rbuf, *back;
	struct vblk_req req[3];
	int read_between = 0, e = 0, sent = 0, flush;

	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "d=", 2))
			d = strtoull(argv[i] + 2, NULL, 0);
		else if (!strncmp(argv[i], "dn=", 3))
			dn = strtoul(argv[i] + 3, NULL, 0);
		else if (!strcmp(argv[i], "read"))
			read_between = 1;
	}
	dlen = dn * VBLK_SECTOR;
	dbuf = memalign(4096, dlen);
	bbuf = memalign(4096, MIXED_BYTES);
	rbuf = memalign(4096, MIXED_BYTES);
	back = memalign(4096, dlen + MIXED_BYTES);
	if (vblk_init() || !dn || dn > 64 || !dbuf || !bbuf || !rbuf || !back ||
	    vblk_block_size() != VBLK_SECTOR ||
	    vblk_sectors() < d + (dlen + MIXED_BYTES) / VBLK_SECTOR) {
		kprintf("blkalign: mixed FAIL needs a disk of 512-byte sectors past sector %llu and memory\n",
			(unsigned long long)(d + (dlen + MIXED_BYTES) / VBLK_SECTOR));
		return 1;
	}
	memset(dbuf, 0xd1, dlen);
	memset(bbuf, 0xb2, MIXED_BYTES);
	/* Not waited for in between: D is still in flight when B comes. */
	mixed_t0 = time_ns();
	e = vblk_submit_cb(&req[sent], VIRTIO_BLK_T_OUT, d, dbuf, dlen,
			   stamp_done, &ms[0]);
	if (!e && read_between) {
		sent++;
		e = vblk_submit_cb(&req[sent], VIRTIO_BLK_T_IN, d + dn, rbuf,
				   MIXED_BYTES, stamp_done, &ms[2]);
	}
	if (!e) {
		sent++;
		e = vblk_submit_cb(&req[sent], VIRTIO_BLK_T_OUT, d + dn, bbuf,
				   MIXED_BYTES, stamp_done, &ms[1]);
	}
	if (!e)
		sent++;
	for (int i = 0; i < sent; i++)
		if (vblk_wait(&req[i]))
			e = -1;
	if (e) {
		kprintf("blkalign: mixed FAIL a write or read failed\n");
		return 1;
	}
	/* Both written: the FLUSH must succeed, and both read back. */
	flush = vblk_flush();
	if (vblk_read(d, back, dlen + MIXED_BYTES)) {
		kprintf("blkalign: mixed FAIL the read back failed\n");
		return 1;
	}
	bad_d = not_all(back, dn, 0xd1);
	bad_b = not_all(back + dlen, MIXED_BYTES / VBLK_SECTOR, 0xb2);
	e = flush || bad_d || bad_b;
	kprintf("blkalign: mixed %s d=%llu+%u b=%llu+%u read=%d done_ms: d=%llu b=%llu read=%llu; flush %s; read back d=%02x b=%02x, sectors not theirs: d %u b %u\n",
		e ? "FAIL" : "OK", (unsigned long long)d, dn,
		(unsigned long long)(d + dn), MIXED_BYTES / VBLK_SECTOR,
		read_between, (unsigned long long)ms[0],
		(unsigned long long)ms[1], (unsigned long long)ms[2],
		flush ? "failed" : "ok", back[0], back[dlen], bad_d, bad_b);
	return e;
}

static int blkalign_main(int argc, char **argv)
{
	uint32_t bs, per;
	uint8_t *buf;
	int toobig;

	if (argc > 1 && !strcmp(argv[1], "mixed"))
		return mixed(argc, argv);
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
