/*
 * Hosted: the blk backend's request slots, and requests with no data.
 * One thread plays driver, device thread and store; the store holds every
 * request until the test completes it.
 *
 *   slots-starved-{split,packed}: 200 reads posted against KB_BLK_INFLIGHT
 *     slots: the store gets as many as there are slots; with every slot
 *     taken the device has nothing it can start, so before sleeping it
 *     must not report work (its thread would spin), and the completion
 *     that frees a slot must wake it; in the end every read is done.
 *   flush-parked-{split,packed}: a read the store holds, a FLUSH behind
 *     it (parked until the read completes) and a read behind that: with
 *     slots free but the FLUSH parked, the device has nothing it can
 *     start, so before sleeping it must not report work (its thread would
 *     spin until the store answered); the read's completion wakes it,
 *     the FLUSH goes, then the last read.
 *   empty-rw-{split,packed}: a read and a write with no data segment
 *     complete without reaching the store (to a block device they would
 *     be bios with no pages: a malformed command).
 *   out-of-disk-{split,packed}: a write of the sector just past the
 *     disk's end, a read straddling the end, a write that is not whole
 *     sectors and a write of sector 2^55 (whose byte offset wraps to 0)
 *     come back IOERR without reaching the store (a file store would
 *     grow its file, a block device take a torn bio); a read of the
 *     last sector does reach it.
 *   block-size-{split,packed}: what a driver reads as blk_size and
 *     discard_sector_alignment: 512 and 1 for a store of 512-byte sectors,
 *     4096 and 8 once the store says its smallest I/O is 4 KiB (a 4 KiB-
 *     sector disk refuses anything smaller), unchanged by a size that is
 *     not a power of two.
 *   ranges-withheld-{split,packed}: a store that cannot zero ranges
 *     cheaply (kb_blk_withhold_ranges: a disk without a write-zeroes
 *     offload) offers neither DISCARD nor WRITE_ZEROES, and a driver
 *     that sends them anyway gets UNSUPP without the store being asked;
 *     beside it the same requests to a device that offers them reach
 *     the store and succeed.  The withholding device's config has no
 *     range limits, and a driver asking for either feature anyway is
 *     refused FEATURES_OK.
 *   store-errors-{split,packed}: over a store with a volatile cache, a
 *     read failing with EIO, a write failing with ENOSPC, a FLUSH behind
 *     them whose store flush fails, and (the config's writeback set to
 *     0) a write the store did but whose flush fails: each IOERR, never
 *     OK, and the read's used length says no data was written.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "PROGRAM: N failed" last.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"
#include "tests/hosted/verdict.h"

#define REGION_BYTES (4u << 20)
#define REGION_BASE 0x40000000ULL
#define DISK_BYTES (1u << 20)
#define QSIZE 256
#define NREQ 200

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_blk blk;
static struct virtio_dev vd;
static struct kb_blk_req *held[KB_BLK_INFLIGHT];
static int nheld, submits, wakes, discards, flush_err, store_flushes;

static int hold_submit(void *store, struct kb_blk_req *rq)
{
	(void)store;
	submits++;
	if (nheld == KB_BLK_INFLIGHT)
		return -1;	/* more than the slots: the bug itself */
	held[nheld++] = rq;
	return 0;
}

static int no_flush(void *store)
{
	(void)store;
	return 0;
}

static int no_discard(void *store, uint64_t off, uint64_t len, int zero)
{
	(void)store, (void)off, (void)len, (void)zero;
	discards++;
	return 0;
}

static const struct kb_store_ops held_ops = {
	.flush = no_flush,
	.discard = no_discard,
	.submit = hold_submit,
};

static int failing_flush(void *store)
{
	(void)store;
	store_flushes++;
	return flush_err;
}

/* A write cache (FLUSH offered) whose flush fails as flush_err says. */
static const struct kb_store_ops held_wc_ops = {
	.flush = failing_flush,
	.discard = no_discard,
	.submit = hold_submit,
	.volatile_cache = 1,
};
static const struct kb_store_ops *ops_now = &held_ops;

static void count_wake(void *ctx, int soon)
{
	(void)ctx;
	(void)soon;
	wakes++;
}

static int up_withholding(int packed, int withhold)
{
	uint64_t no_packed = 1ULL << VIRTIO_F_RING_PACKED;

	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	memset(&vd, 0, sizeof(vd));
	nheld = submits = wakes = discards = 0;
	kb_blk_init(&blk, &slot, &kr, &no_notify_ops, NULL, ops_now, NULL,
		    DISK_BYTES, "slots");
	if (withhold)
		kb_blk_withhold_ranges(&blk);
	blk.wake = count_wake;
	vh_region(region, REGION_BASE, REGION_BYTES, 1u << 20);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&blk.dev);
	if (virtio_start(&vd, packed ? ~0ULL : ~no_packed) ||
	    !virtio_has(&vd, VIRTIO_RING_F_INDIRECT_DESC) ||
	    virtio_queue(&vd, 0, QSIZE, NULL))
		return -1;
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 1);
	vh_poll(NULL);
	return blk.dev.live ? 0 : -1;
}

static int up(int packed)
{
	return up_withholding(packed, 0);
}

struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
};

/* Complete the oldest held request with err (0: whatever the disk had). */
static void complete_one_err(int err)
{
	struct kb_blk_req *rq = held[0];

	if (!nheld)
		return;
	memmove(held, held + 1, --nheld * sizeof(held[0]));
	kb_blk_complete(rq, err);
}

static void complete_one(void)
{
	complete_one_err(0);
}

/*
 * Poll the device, take what came back (counting the OK ones), and let
 * the store complete one more held request, until want came back or
 * rounds ran out.
 */
static void collect(struct virtq *q, int want, int rounds, int *got,
		    int *ok_status)
{
	for (int round = 0; round < rounds && *got < want; round++) {
		struct req *c;

		kb_device_poll(&blk.dev, 64);
		while ((c = virtq_get(q, NULL))) {
			(*got)++;
			*ok_status += c->status == VIRTIO_BLK_S_OK;
		}
		complete_one();
	}
}

static void starved(const char *layout, int packed)
{
	struct virtq *q = &vd.vq[0];
	struct req *r;
	int got = 0, ok_status = 0, pending_when_full, wakes_after, before;
	uint8_t *data;

	if (up(packed)) {
		verdict("slots-starved", layout, 0, "device not up");
		return;
	}
	data = region + (2u << 20);
	r = (struct req *)(region + (3u << 20));	/* the device sees these */
	for (int i = 0; i < NREQ; i++) {
		struct virtq_buf out = { &r[i].hdr, sizeof(r[i].hdr) };
		struct virtq_buf in[2] = { { data + i * 512, 512 },
					   { &r[i].status, 1 } };

		r[i] = (struct req){ { VIRTIO_BLK_T_IN, 0, (uint64_t)i }, 0xff };
		virtq_add(q, &out, 1, in, 2, &r[i]);
	}
	virtq_publish(q);
	for (int i = 0; i < 8; i++)
		kb_device_poll(&blk.dev, 64);
	pending_when_full = kb_device_kicks_on(&blk.dev);
	kb_device_kicks_off(&blk.dev);
	before = submits;
	complete_one();
	wakes_after = wakes;
	/* Then everything goes through, a slot at a time as they free. */
	collect(q, NREQ, 10 * NREQ, &got, &ok_status);
	verdict("slots-starved", layout,
		before == KB_BLK_INFLIGHT && !pending_when_full &&
			wakes_after == 1 && submits == NREQ && got == NREQ &&
			ok_status == NREQ,
		"%d submitted with every slot taken (want %d), kicks_on %d (want 0), wakes after a slot freed %d (want 1), %d submitted in all, %d of %d back, %d OK",
		before, KB_BLK_INFLIGHT, pending_when_full, wakes_after,
		submits, got, NREQ, ok_status);
}

static void flush_parked(const char *layout, int packed)
{
	static const uint32_t type[3] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_FLUSH,
					  VIRTIO_BLK_T_IN };
	struct virtq *q = &vd.vq[0];
	int got = 0, ok_status = 0, pending, submits_parked, wakes_after;
	uint8_t *data = region + (2u << 20);
	struct req *r;

	if (up(packed)) {
		verdict("flush-parked", layout, 0, "device not up");
		return;
	}
	r = (struct req *)(region + (3u << 20));
	for (int i = 0; i < 3; i++) {
		struct virtq_buf out = { &r[i].hdr, sizeof(r[i].hdr) };
		struct virtq_buf in[2] = { { data + i * 512, 512 },
					   { &r[i].status, 1 } };
		int flush = type[i] == VIRTIO_BLK_T_FLUSH;

		r[i] = (struct req){ { type[i], 0, (uint64_t)i }, 0xff };
		virtq_add(q, &out, 1, flush ? &in[1] : in, flush ? 1 : 2,
			  &r[i]);
	}
	virtq_publish(q);
	for (int i = 0; i < 8; i++)
		kb_device_poll(&blk.dev, 64);
	submits_parked = submits;
	pending = kb_device_kicks_on(&blk.dev);
	kb_device_kicks_off(&blk.dev);
	complete_one();
	wakes_after = wakes;
	collect(q, 3, 100, &got, &ok_status);
	verdict("flush-parked", layout,
		submits_parked == 1 && !pending && wakes_after >= 1 &&
			submits == 2 && got == 3 && ok_status == 3,
		"%d submitted with the FLUSH parked (want 1), kicks_on %d (want 0), wakes after the read completed %d (want 1 or more), %d submitted in all (want 2), %d of 3 back, %d OK",
		submits_parked, pending, wakes_after, submits, got, ok_status);
}

static void empty(const char *layout, int packed)
{
	struct virtq *q = &vd.vq[0];
	uint32_t len[2] = { 99, 99 };
	struct req *r;
	int got = 0;

	if (up(packed)) {
		verdict("empty-rw", layout, 0, "device not up");
		return;
	}
	r = (struct req *)(region + (3u << 20));
	for (int i = 0; i < 2; i++) {
		struct virtq_buf out = { &r[i].hdr, sizeof(r[i].hdr) };
		struct virtq_buf in = { &r[i].status, 1 };

		r[i] = (struct req){ { i ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				       0, 8 }, 0xff };
		virtq_add(q, &out, 1, &in, 1, &r[i]);
	}
	virtq_publish(q);
	kb_device_poll(&blk.dev, 64);
	while (got < 2) {
		struct req *c = virtq_get(q, &len[got]);

		if (!c)
			break;
		got++;
	}
	verdict("empty-rw", layout,
		!submits && got == 2 && r[0].status != 0xff &&
			r[1].status != 0xff && len[0] == 1 && len[1] == 1,
		"store submits %d (want 0), %d of 2 back, statuses %#x %#x, written %u %u",
		submits, got, r[0].status, r[1].status, len[0], len[1]);
}

static void out_of_disk(const char *layout, int packed)
{
	static const struct {
		uint32_t type, len;
		uint64_t sector;
	} rw[] = {
		{ VIRTIO_BLK_T_OUT, 512, DISK_BYTES / 512 },
		{ VIRTIO_BLK_T_IN, 1024, DISK_BYTES / 512 - 1 },
		{ VIRTIO_BLK_T_OUT, 100, 0 },
		/* its byte offset wraps to 0: the sector itself is checked */
		{ VIRTIO_BLK_T_OUT, 512, 1ULL << 55 },
		{ VIRTIO_BLK_T_IN, 512, DISK_BYTES / 512 - 1 },	/* inside */
	};
	const int n = sizeof(rw) / sizeof(rw[0]);
	struct virtq *q = &vd.vq[0];
	uint8_t *data = region + (2u << 20);
	struct req *r;
	int got = 0, refused = 0;

	if (up(packed)) {
		verdict("out-of-disk", layout, 0, "device not up");
		return;
	}
	r = (struct req *)(region + (3u << 20));
	for (int i = 0; i < n; i++) {
		int out = rw[i].type == VIRTIO_BLK_T_OUT;
		struct virtq_buf o[2] = { { &r[i].hdr, sizeof(r[i].hdr) },
					  { data, rw[i].len } };
		struct virtq_buf in[2] = { { data, rw[i].len },
					   { &r[i].status, 1 } };

		r[i] = (struct req){ { rw[i].type, 0, rw[i].sector }, 0xff };
		virtq_add(q, o, out ? 2 : 1, out ? &in[1] : in, out ? 1 : 2,
			  &r[i]);
	}
	virtq_publish(q);
	kb_device_poll(&blk.dev, 64);
	complete_one();
	kb_device_poll(&blk.dev, 64);
	while (virtq_get(q, NULL))
		got++;
	for (int i = 0; i < n - 1; i++)
		refused += r[i].status == VIRTIO_BLK_S_IOERR;
	verdict("out-of-disk", layout,
		got == n && refused == n - 1 && submits == 1 &&
			r[n - 1].status == VIRTIO_BLK_S_OK,
		"%d of %d back, %d of %d IOERR (statuses %#x %#x %#x %#x), store submits %d (want 1: the last sector's read), its status %#x",
		got, n, refused, n - 1, r[0].status, r[1].status, r[2].status,
		r[3].status, submits, r[n - 1].status);
}

static void block_size(const char *layout, int packed)
{
	uint32_t size[3], align[3];

	for (int i = 0; i < 3; i++) {
		if (up(packed)) {
			verdict("block-size", layout, 0, "device not up");
			return;
		}
		if (i == 1)
			kb_blk_set_block_size(&blk, 4096);
		if (i == 2)
			kb_blk_set_block_size(&blk, 3000);
		virtio_config(&vd, offsetof(struct virtio_blk_config, blk_size),
			      &size[i], sizeof(size[i]));
		virtio_config(&vd, offsetof(struct virtio_blk_config,
					    discard_sector_alignment),
			      &align[i], sizeof(align[i]));
	}
	verdict("block-size", layout,
		size[0] == 512 && align[0] == 1 && size[1] == 4096 &&
			align[1] == 8 && size[2] == 512 && align[2] == 1,
		"blk_size/alignment %u/%u by default (want 512/1), %u/%u for 4096 (want 4096/8), %u/%u for 3000 (want 512/1)",
		size[0], align[0], size[1], align[1], size[2], align[2]);
}

/* A DISCARD and a WRITE_ZEROES of 8 sectors; their statuses. */
static int ranges(uint8_t status[2])
{
	struct virtq *q = &vd.vq[0];
	struct rreq {
		struct virtio_blk_outhdr hdr;
		struct virtio_blk_discard_write_zeroes rg;
		uint8_t status;
	} *r = (struct rreq *)(region + (3u << 20));
	int got = 0;

	for (int i = 0; i < 2; i++) {
		struct virtq_buf out = { r + i, offsetof(struct rreq, status) };
		struct virtq_buf in = { &r[i].status, 1 };

		r[i] = (struct rreq){
			{ i ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD, 0, 0 },
			{ .sector = 8, .num_sectors = 8 }, 0xff };
		virtq_add(q, &out, 1, &in, 1, &r[i]);
	}
	virtq_publish(q);
	for (int round = 0; round < 4 && got < 2; round++) {
		kb_device_poll(&blk.dev, 64);
		while (virtq_get(q, NULL))
			got++;
	}
	status[0] = r[0].status;
	status[1] = r[1].status;
	return got;
}

/*
 * A driver that asks for bit on the device as it is now, whatever was
 * offered: did the device keep FEATURES_OK?
 */
static int insist_on(int bit)
{
	uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	slot.status = 0;
	kb_device_poll(&blk.dev, 1);		/* a reset */
	slot.status = st;
	kb_device_poll(&blk.dev, 1);
	slot.driver_features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << bit);
	slot.status = st | VIRTIO_CONFIG_S_FEATURES_OK;
	kb_device_poll(&blk.dev, 1);
	return !!(slot.status & VIRTIO_CONFIG_S_FEATURES_OK);
}

/* What a device offering (w 0) or withholding (w 1) the ranges does. */
struct ranges_seen {
	int up, offered, got, store_calls;
	uint8_t status[2];
	uint32_t max_discard, max_zeroes;	/* the config's limits */
	int accepted;		/* of the two asked for regardless */
};

static struct ranges_seen ranges_with(int packed, int w)
{
	struct ranges_seen r = { 0 };

	if (up_withholding(packed, w))
		return r;
	r.up = 1;
	r.offered = virtio_has(&vd, VIRTIO_BLK_F_DISCARD) +
		    virtio_has(&vd, VIRTIO_BLK_F_WRITE_ZEROES);
	r.got = ranges(r.status);
	r.store_calls = discards;
	virtio_config(&vd, offsetof(struct virtio_blk_config,
				    max_discard_sectors),
		      &r.max_discard, sizeof(r.max_discard));
	virtio_config(&vd, offsetof(struct virtio_blk_config,
				    max_write_zeroes_sectors),
		      &r.max_zeroes, sizeof(r.max_zeroes));
	r.accepted = insist_on(VIRTIO_BLK_F_DISCARD) +
		     insist_on(VIRTIO_BLK_F_WRITE_ZEROES);
	return r;
}

static void withheld(const char *layout, int packed)
{
	struct ranges_seen on = ranges_with(packed, 0);
	struct ranges_seen off = ranges_with(packed, 1);

	verdict("ranges-withheld", layout,
		on.up && off.up &&
			on.offered == 2 && on.got == 2 &&
			on.status[0] == VIRTIO_BLK_S_OK &&
			on.status[1] == VIRTIO_BLK_S_OK && on.store_calls == 2 &&
			off.offered == 0 && off.got == 2 &&
			off.status[0] == VIRTIO_BLK_S_UNSUPP &&
			off.status[1] == VIRTIO_BLK_S_UNSUPP &&
			off.store_calls == 0 && on.max_discard &&
			on.max_zeroes && on.accepted == 2 &&
			!off.max_discard && !off.max_zeroes &&
			off.accepted == 0,
		"up %d/%d; offered: %d of 2 ranges, statuses %u %u, store calls %d, limits %u %u, %d of 2 accepted (want 2, OK OK, 2, nonzero, 2); withheld: %d offered, statuses %u %u, store calls %d, limits %u %u, %d of 2 accepted (want 0, UNSUPP UNSUPP, 0, 0 0, 0)",
		on.up, off.up, on.offered, on.status[0], on.status[1],
		on.store_calls, on.max_discard, on.max_zeroes, on.accepted,
		off.offered, off.status[0], off.status[1], off.store_calls,
		off.max_discard, off.max_zeroes, off.accepted);
}

/*
 * A read, a write and a FLUSH, the store failing each; then a write
 * through (writeback 0) whose flush fails.  Every status IOERR.
 */
static void store_errors(const char *layout, int packed)
{
	static const uint32_t type[4] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
					  VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_OUT };
	uint8_t *wce = &slot.config[offsetof(struct virtio_blk_config, wce)];
	struct virtq *q = &vd.vq[0];
	uint8_t *data = region + (2u << 20);
	uint32_t len, read_len = 0;
	int got = 0, ioerr = 0, up_ok, held_first = -1, flushes_first = -1;
	struct req *r;

	ops_now = &held_wc_ops;
	flush_err = -EIO;
	store_flushes = 0;
	up_ok = !up(packed) && virtio_has(&vd, VIRTIO_BLK_F_FLUSH);
	ops_now = &held_ops;
	if (!up_ok) {
		verdict("store-errors", layout, 0, "device not up with FLUSH");
		return;
	}
	r = (struct req *)(region + (3u << 20));
	for (int i = 0; i < 4; i++) {
		int out = type[i] == VIRTIO_BLK_T_OUT;
		int flush = type[i] == VIRTIO_BLK_T_FLUSH;
		struct virtq_buf o[2] = { { &r[i].hdr, sizeof(r[i].hdr) },
					  { data + i * 512, 512 } };
		struct virtq_buf in[2] = { { data + i * 512, 512 },
					   { &r[i].status, 1 } };

		if (i == 3) {
			/* The first three answered; then write-through. */
			held_first = nheld;
			flushes_first = store_flushes;
			complete_one_err(-EIO);		/* the read */
			complete_one_err(-ENOSPC);	/* the write */
			kb_device_poll(&blk.dev, 64);	/* the FLUSH goes */
			*wce = 0;
		}
		r[i] = (struct req){ { type[i], 0, (uint64_t)i }, 0xff };
		virtq_add(q, o, out ? 2 : 1, out || flush ? &in[1] : in,
			  out || flush ? 1 : 2, &r[i]);
		virtq_publish(q);
		kb_device_poll(&blk.dev, 64);
	}
	complete_one();			/* stored; its flush fails */
	kb_device_poll(&blk.dev, 64);
	while (got < 4) {
		struct req *c = virtq_get(q, &len);

		if (!c)
			break;
		ioerr += c->status == VIRTIO_BLK_S_IOERR;
		if (c == &r[0])
			read_len = len;
		got++;
	}
	verdict("store-errors", layout,
		held_first == 2 && !flushes_first && got == 4 && ioerr == 4 &&
			read_len == 1 && store_flushes == 2,
		"%d held before the FLUSH (want 2, it parked: %d store flushes, want 0); %d of 4 back, %d IOERR (want 4: statuses %#x %#x %#x %#x), the read's used length %u (want 1), %d store flushes (want 2)",
		held_first, flushes_first, got, ioerr, r[0].status,
		r[1].status, r[2].status, r[3].status, read_len, store_flushes);
}

int main(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, REGION_BASE, REGION_BYTES };
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		starved(layout, packed);
		flush_parked(layout, packed);
		empty(layout, packed);
		out_of_disk(layout, packed);
		block_size(layout, packed);
		withheld(layout, packed);
		store_errors(layout, packed);
	}
	printf("blk_slots: %d failed\n", failures);
	free(region);
	return failures != 0;
}
