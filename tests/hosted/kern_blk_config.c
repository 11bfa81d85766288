/*
 * Hosted: the guest kernel's virtio-blk driver (kern/virtio_blk.c,
 * virtio_blk_limits.c) reading the device's config at init: every field
 * is the device's to write, so each is checked or bounded before the
 * driver sizes a request by it.  The device is a thread here answering
 * the slot's handshake only; no request is sent.
 *
 *   blk-config-block-size: blk_size 0, 256 (under a sector: a block of
 *     0 sectors divides by zero later), 3000 and 128 KiB are refused
 *     (init fails, FAILED); 4096 and 64 KiB are taken.
 *   blk-config-capacity: a capacity not in whole 4 KiB blocks is cut to
 *     whole blocks (a partial last block can be neither read nor
 *     written).
 *   blk-config-size-max: a size_max under one block is refused (a
 *     segment of 0 bytes would never end the chain's loop); one not in
 *     whole blocks is cut to them, so that a request at the limit is
 *     whole blocks; 2 GiB segments times the ring's six make more than
 *     32 bits: the limit is the most that fits, not its low bits.
 *   blk-config-seg-max: seg_max 0 is taken as 1; more than the driver's
 *     16 (its chain is on the stack) is cut to 16; a chain must fit the
 *     ring (a queue of 8: 6 segments, besides the header and the status)
 *     or an indirect table (a queue of 4 with INDIRECT_DESC: 6, not 2);
 *     a queue of 2 has room for none and is refused.
 *   blk-config-queues: with VIRTIO_BLK_F_MQ, num_queues 0 is refused;
 *     0xffff is cut to the driver's 16 queues, and 2 of a slot with 4
 *     means 2.
 *   blk-config-range: max_discard_sectors under one 4 KiB block is one
 *     block (0 sectors a request would never end vblk_discard()).
 *   blk-config-limit: vblk_limit_bytes(0) is the device's limit again,
 *     and a limit not in whole blocks is cut to them.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_blk_config: N
 * failed" last.
 */
#include "kern/virtio_blk.c"
#include "kern/virtio_blk_limits.c"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"
#include "verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)
#define CFG(field) offsetof(struct virtio_blk_config, field)

static uint8_t *region;
static struct kspawn_device slot;
static atomic_int stop;
static pthread_t dev;

static void *device(void *arg)
{
	int acked = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		kh_device_handshake(&slot, &acked);
		usleep(50);
	}
	return NULL;
}

/* A fresh driver and slot: a queue of qsize, 4 KiB blocks. */
static void fresh(uint16_t qsize, uint64_t features)
{
	uint32_t bs = 4096;

	memset(&vblk, 0, sizeof(vblk));
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, qsize, 1024);
	slot.device_features |= features | 1ULL << VIRTIO_BLK_F_BLK_SIZE;
	memcpy(slot.config + CFG(blk_size), &bs, sizeof(bs));
}

static void set32(size_t off, uint32_t v)
{
	memcpy(slot.config + off, &v, sizeof(v));
}

/* Init against the slot as set up; 0 if the driver took the device. */
static int up(unsigned int max_queues)
{
	int rc;

	atomic_store(&stop, 0);
	pthread_create(&dev, NULL, device, NULL);
	rc = vblk_init_queues(max_queues);
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
	return rc;
}

/* Refused: init failed, and the device told so (FAILED, no DRIVER_OK). */
static int refused(int rc)
{
	uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);

	return rc && (st & VIRTIO_CONFIG_S_FAILED) &&
	       !(st & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void block_size(void)
{
	static const uint32_t bad[] = { 0, 256, 3000, 128 * 1024 };
	static const uint32_t good[] = { 4096, 64 * 1024 };

	char name[16];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh(8, 0);
		set32(CFG(blk_size), bad[i]);
		snprintf(name, sizeof(name), "%u", bad[i]);
		verdict("blk-config-block-size", name, refused(up(1)),
			"blk_size %u taken (block %u)", bad[i], vblk.block);
	}
	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc;

		fresh(8, 0);
		set32(CFG(blk_size), good[i]);
		rc = up(1);
		snprintf(name, sizeof(name), "%u", good[i]);
		verdict("blk-config-block-size", name,
			!rc && vblk_block_size() == good[i],
			"blk_size %u: init %d, block %u", good[i], rc,
			vblk_block_size());
	}
}

static void capacity(void)
{
	uint64_t sectors = 16 * 8 + 3;
	int rc;

	fresh(8, 0);
	memcpy(slot.config + CFG(capacity), &sectors, sizeof(sectors));
	rc = up(1);
	verdict("blk-config-capacity", NULL, !rc && vblk_sectors() == 16 * 8,
		"init %d, %llu sectors of %llu (want 128: whole blocks)", rc,
		(unsigned long long)vblk_sectors(),
		(unsigned long long)sectors);
}

static void size_max(void)
{
	uint32_t bs = VBLK_SECTOR;
	int rc;

	fresh(8, 1ULL << VIRTIO_BLK_F_SIZE_MAX);
	set32(CFG(size_max), 100);
	verdict("blk-config-size-max", "under-block", refused(up(1)),
		"size_max 100 taken (segments of %u)", vblk.seg_bytes);

	fresh(8, 1ULL << VIRTIO_BLK_F_SIZE_MAX);
	set32(CFG(size_max), 6144);
	rc = up(1);
	verdict("blk-config-size-max", "whole-blocks",
		!rc && vblk.seg_bytes == 4096 && vblk_max_bytes() == 6 * 4096,
		"size_max 6144: init %d, segments of %u (want 4096), %u in one request (want %u)",
		rc, vblk.seg_bytes, vblk_max_bytes(), 6 * 4096);

	fresh(8, 1ULL << VIRTIO_BLK_F_SIZE_MAX);
	set32(CFG(blk_size), bs);
	set32(CFG(size_max), 1u << 31);
	rc = up(1);
	verdict("blk-config-size-max", "over-32-bits",
		!rc && vblk_max_bytes() == UINT32_MAX - UINT32_MAX % bs,
		"size_max 2 GiB: init %d, %u in one request (want %u)", rc,
		vblk_max_bytes(), UINT32_MAX - UINT32_MAX % bs);
}

/* Segments in one request with seg_max segs, a queue of qsize. */
static void seg_case(const char *name, uint16_t qsize, uint64_t features,
		     uint32_t segs, unsigned int want)
{
	int rc;

	fresh(qsize, features | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_SIZE_MAX);
	set32(CFG(seg_max), segs);
	set32(CFG(size_max), 4096);
	rc = up(1);
	if (!want) {
		verdict("blk-config-seg-max", name, refused(rc),
			"a queue of %u taken (%u segments)", qsize,
			vblk.max_segs);
		return;
	}
	verdict("blk-config-seg-max", name,
		!rc && vblk.max_segs == want && vblk_max_bytes() == want * 4096,
		"seg_max %u, a queue of %u: init %d, %u segments (want %u), %u bytes in one",
		segs, qsize, rc, vblk.max_segs, want, vblk_max_bytes());
}

static void seg_max(void)
{
	seg_case("zero", 8, 0, 0, 1);
	seg_case("over-16", 64, 0, 100, VBLK_MAX_SEGS);
	seg_case("ring", 8, 0, 16, 6);
	seg_case("indirect", 4, 1ULL << VIRTIO_RING_F_INDIRECT_DESC, 16,
		 VQ_INDIRECT_MAX - 2);
	seg_case("no-room", 2, 0, 16, 0);
}

/* num_queues offered, the slot's queues, the driver's ask: queues used. */
static void queue_case(const char *name, uint16_t offered, unsigned int slot_queues,
		       unsigned int ask, unsigned int want)
{
	int rc;

	fresh(8, 1ULL << VIRTIO_BLK_F_MQ);
	memcpy(slot.config + CFG(num_queues), &offered, sizeof(offered));
	slot.num_queues = slot_queues;
	for (unsigned int i = 0; i < slot_queues; i++)
		slot.queues[i].size_max = 8;
	rc = up(ask);
	if (!want) {
		verdict("blk-config-queues", "none", refused(rc),
			"num_queues 0 taken (%u queues)", vblk.nq);
		return;
	}
	verdict("blk-config-queues", name, !rc && vblk_queues() == want,
		"num_queues %u, %u in the slot, %u asked: init %d, %u queues (want %u)",
		offered, slot_queues, ask, rc, vblk_queues(), want);
}

static void queues(void)
{
	queue_case(NULL, 0, 4, 4, 0);
	queue_case("many", 0xffff, KSPAWN_MAX_QUEUES, 1000, KSPAWN_MAX_QUEUES);
	queue_case("fewer", 2, 4, 4, 2);
}

static void range(void)
{
	int rc;

	fresh(8, 1ULL << VIRTIO_BLK_F_DISCARD);
	set32(CFG(max_discard_sectors), 4);
	rc = up(1);
	verdict("blk-config-range", NULL,
		!rc && vblk_max_range(VIRTIO_BLK_T_DISCARD) == 8,
		"max_discard_sectors 4 with 4 KiB blocks: init %d, %u sectors a request (want 8)",
		rc, vblk_max_range(VIRTIO_BLK_T_DISCARD));
}

static void limit(void)
{
	uint32_t most, odd, again;
	int rc;

	fresh(8, 0);
	rc = up(1);
	most = vblk_max_bytes();
	odd = vblk_limit_bytes(4096 + 100);
	again = vblk_limit_bytes(0);
	verdict("blk-config-limit", NULL,
		!rc && odd == 4096 && again == most && most,
		"init %d: limit 4196 made %u (want 4096), limit 0 %u (want the device's %u)",
		rc, odd, again, most);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	region = aligned_alloc(4096, REGION_BYTES);
	block_size();
	capacity();
	size_max();
	seg_max();
	queues();
	range();
	limit();
	free(region);
	printf("kern_blk_config: %d failed\n", failures);
	return failures != 0;
}
