/*
 * blkcheck [verify|crash|discard] [qd=N] [seed=N] [wait=MS]: write a pattern over the whole disk
 * with up to N requests in flight, flush, read everything back, verify it,
 * and print a digest (FNV-1a 64 of the disk's bytes, in order) that the
 * host can compare with its own of the backing file.  "verify" skips the
 * writing: it checks a disk an earlier run wrote and flushed.  "crash"
 * writes and flushes, prints the digest of what it wrote, then panics on
 * purpose: everything acknowledged after the FLUSH must be in the file.
 * "discard" then discards the third quarter of the disk and write-zeroes
 * the rest, each moved one block on, and expects zeroes from there when it
 * reads back.  "wait" sleeps MS milliseconds once the device is up, before
 * the first request, for a test that changes the host's disk under it.
 *
 * Every request is whole blocks of the device's (vblk_block_size(): 4 KiB
 * on a 4 KiB-sector disk); CHUNK is a multiple of any block the driver
 * takes, and the disk's size a multiple of its block.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"

#define CHUNK (64 * 1024)
#define MAX_QD 32

static uint64_t seed = 1;
static uint64_t zero_from = ~0ULL;	/* bytes from here read back as 0 */

static uint64_t word_at(uint64_t byte_off)
{
	uint64_t z = seed + (byte_off / 8) * 0x9e3779b97f4a7c15ULL;

	if (byte_off >= zero_from)
		return 0;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(uint64_t *buf, uint64_t off, uint32_t len)
{
	for (uint32_t i = 0; i < len / 8; i++)
		buf[i] = word_at(off + 8ULL * i);
}

static uint64_t fnv(uint64_t h, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

struct slot {
	struct vblk_req req;
	uint64_t off;
	uint32_t len;
	uint64_t *buf;
	int busy;
};

/*
 * Wait for every request still out, whatever its status: each is the
 * device's until answered, and points into s[] (blkcheck_main's frame,
 * gone once it returns) and the slot's buffer.
 */
static int drain(struct slot *s, int qd)
{
	for (int k = 0; k < qd; k++)
		if (s[k].busy) {
			vblk_wait(&s[k].req);
			s[k].busy = 0;
		}
	return -1;
}

/* Issue the whole disk in CHUNK pieces, qd at a time, in order. */
static int sweep(struct slot *s, int qd, uint64_t bytes, int write,
		 uint64_t *digest, uint64_t *bad)
{
	uint64_t next = 0, h = 0xcbf29ce484222325ULL;
	int i = 0;

	for (;;) {
		struct slot *x = &s[i];

		if (x->busy) {
			x->busy = 0;
			if (vblk_wait(&x->req)) {
				kprintf("blkcheck: I/O error at byte %llu\n",
					(unsigned long long)x->off);
				return drain(s, qd);
			}
			if (!write)
				for (uint32_t k = 0; k < x->len / 8; k++)
					*bad += x->buf[k] != word_at(x->off + 8ULL * k);
			/* Completions come in submission order: a running digest. */
			h = fnv(h, (uint8_t *)x->buf, x->len);
		}
		if (next >= bytes) {
			int idle = 1;

			for (int k = 0; k < qd; k++)
				idle &= !s[k].busy;
			if (idle)
				break;
		} else {
			x->off = next;
			x->len = bytes - next < CHUNK ? bytes - next : CHUNK;
			if (write)
				fill(x->buf, x->off, x->len);
			if (vblk_submit(&x->req, write ? VIRTIO_BLK_T_OUT :
							 VIRTIO_BLK_T_IN,
					x->off / VBLK_SECTOR, x->buf, x->len))
				return drain(s, qd);
			x->busy = 1;
			next += x->len;
		}
		i = (i + 1) % qd;
	}
	*digest = h;
	return 0;
}

/*
 * Discard the third quarter, write-zeroes the rest, in whole blocks, both
 * ranges one block further on: in 512-byte blocks, ends that are not on a
 * 4 KiB boundary, which a host disk of 4 KiB sectors behind a device of
 * 512-byte blocks must still zero exactly.
 */
static int unmap_half(uint64_t bytes)
{
	uint64_t per = vblk_block_size() / VBLK_SECTOR;
	uint64_t sectors = bytes / VBLK_SECTOR, q = sectors / per / 4 * per;
	uint64_t from = 2 * q + per, mid = 3 * q + per;

	int err = vblk_discard(from, mid - from) ?:
		  vblk_write_zeroes(mid, sectors - mid);

	if (err == -EOPNOTSUPP)
		kprintf("blkcheck: the device offers no DISCARD or WRITE_ZEROES\n");
	if (err)
		return -1;
	zero_from = from * VBLK_SECTOR;
	kprintf("blkcheck: discarded sectors %llu-%llu, zeroed %llu-%llu\n",
		(unsigned long long)from, (unsigned long long)(mid - 1),
		(unsigned long long)mid, (unsigned long long)(sectors - 1));
	return 0;
}

static int blkcheck_main(int argc, char **argv)
{
	int qd = 16, verify_only = 0, crash = 0, discard = 0, wait_ms = 0;
	struct slot s[MAX_QD];
	uint64_t bytes, digest = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "verify"))
			verify_only = 1;
		else if (!strcmp(argv[i], "crash"))
			crash = 1;
		else if (!strcmp(argv[i], "discard"))
			discard = 1;
		else if (!strncmp(argv[i], "qd=", 3))
			qd = atoi(argv[i] + 3);
		else if (!strncmp(argv[i], "seed=", 5))
			seed = strtoull(argv[i] + 5, NULL, 0);
		else if (!strncmp(argv[i], "wait=", 5))
			wait_ms = atoi(argv[i] + 5);
	}
	if (qd < 1 || qd > MAX_QD)
		qd = 16;
	if (vblk_init()) {
		kprintf("blkcheck: no block device (kspawnctl run --disk FILE or --ramdisk SIZE)\n");
		return 1;
	}
	bytes = vblk_sectors() * VBLK_SECTOR;
	memset(s, 0, sizeof(s));
	for (int i = 0; i < qd; i++) {
		s[i].buf = malloc(CHUNK);
		if (!s[i].buf) {
			kprintf("blkcheck: out of memory\n");
			return 1;
		}
	}
	kprintf("blkcheck: %llu MiB in %u-byte blocks, %d in flight, %s\n",
		(unsigned long long)(bytes >> 20), vblk_block_size(), qd,
		verify_only ? "verifying only" : "writing then verifying");
	/* Time for the host to change the disk under a device already up. */
	if (wait_ms > 0) {
		kprintf("blkcheck: waiting %d ms\n", wait_ms);
		thread_sleep_ms((uint64_t)wait_ms);
	}
	if (!verify_only &&
	    (sweep(s, qd, bytes, 1, &digest, &bad) || vblk_flush())) {
		kprintf("blkcheck: FAIL writing\n");
		return 1;
	}
	if (discard && (unmap_half(bytes) || vblk_flush())) {
		kprintf("blkcheck: FAIL discarding\n");
		return 1;
	}
	if (crash) {
		kprintf("blkcheck: flushed sectors=%llu digest=%016llx\n",
			(unsigned long long)(bytes / VBLK_SECTOR),
			(unsigned long long)digest);
		panic("blkcheck: crashing on purpose after the flush");
	}
	if (sweep(s, qd, bytes, 0, &digest, &bad))
		return 1;
	if (bad) {
		kprintf("blkcheck: FAIL %llu words differ\n",
			(unsigned long long)bad);
		return 1;
	}
	kprintf("blkcheck: OK sectors=%llu digest=%016llx\n",
		(unsigned long long)(bytes / VBLK_SECTOR),
		(unsigned long long)digest);
	return 0;
}
APP(blkcheck, blkcheck_main, "write, flush, read back and verify the whole disk [verify|crash|discard] [qd=N] [seed=N] [wait=MS]");
