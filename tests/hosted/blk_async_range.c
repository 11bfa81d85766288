/*
 * blk_async's cases on DISCARD and WRITE_ZEROES, ranges the store takes
 * apart from reads and writes (blk_async.c runs them, blk_async.h is the
 * harness):
 *
 *   range-async: a DISCARD and a WRITE_ZEROES go to the store's
 *     submit_range and the device thread does not wait for them: held at
 *     the store, a read after them completes; a FLUSH after them waits
 *     for them; released, they complete OK and their ranges read zeroes.
 *   range-write-through: with wce 0, a WRITE_ZEROES completes only after
 *     a store flush that followed it, as a write does; a DISCARD of no
 *     sectors completes OK without reaching the store.
 *   range-bounds, range-bounds-sync: a range past the disk's end, of
 *     sector 2^55 (its byte offset wraps), of max_discard_sectors + 1 or
 *     max_write_zeroes_sectors + 1 sectors, two ranges where max_*_seg
 *     is 1, none, or data not in whole ranges: IOERR, a driver's error
 *     (virtio 1.2, 5.2.6); a flag the device does not know: UNSUPP;
 *     refused, the store not asked (nor, done at once, zeroing past the
 *     disk).
 *   range-unsupported, range-unsupported-sync: a range the store refuses
 *     with -EOPNOTSUPP (the offload gone since the device was offered), at
 *     submit or at its completion, or done at once by a store without
 *     submit_range, is UNSUPP to the driver, a request the device does
 *     not do; any other error is IOERR.  A DISCARD with the UNMAP
 *     flag (write-zeroes' only) is UNSUPP too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/hosted/blk_async.h"

/*
 * Request i as a DISCARD or WRITE_ZEROES of one range, which is readable
 * data after the header, as an OUT's.
 */
static struct virtio_blk_discard_write_zeroes *
add_range(int i, uint32_t type, uint64_t sector, uint32_t nsec)
{
	struct virtio_blk_discard_write_zeroes *rg =
		(void *)(region + (2u << 20) + 64 * sizeof(struct req));

	reqs[i].hdr = (struct virtio_blk_outhdr){ .type = type };
	rg[i] = (struct virtio_blk_discard_write_zeroes){
		.sector = sector, .num_sectors = nsec };
	reqs[i].status = 0xff;
	virtq_add(&vd.vq[0], (struct virtq_buf[]){ { &reqs[i].hdr, 16 },
					  { &rg[i], sizeof(rg[i]) } }, 2,
		  (struct virtq_buf[]){ { &reqs[i].status, 1 } }, 1, &reqs[i]);
	return &rg[i];
}

/* The ranges held at the store, a read after them, a FLUSH after that. */
void range_async(void)
{
	struct virtq *q = &vd.vq[0];
	struct req *rd = &reqs[2], *fl = &reqs[3], *got;
	const char *why = NULL;
	uint32_t written;
	int seen = 0, flush_seen = 0;

	start(0);
	memset(disk, 0xa5, sizeof(disk));
	memcpy(model, disk, sizeof(model));
	atomic_store(&hold, 1);
	add_range(0, VIRTIO_BLK_T_DISCARD, 64, 32);
	add_range(1, VIRTIO_BLK_T_WRITE_ZEROES, 128, 32);
	virtq_publish(q);
	if (!WAIT_FOR(npending_now() == 2))
		why = "DISCARD and WRITE_ZEROES did not reach the store's submit_range";
	/* The thread is free: a read after them is served while they wait. */
	rd->busy = 0;
	rd->hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN,
					      .sector = 1024 };
	rd->len = 4096;
	fl->hdr.type = VIRTIO_BLK_T_FLUSH;
	add(q, rd);
	add(q, fl);
	virtq_publish(q);
	if (!why && !WAIT_FOR(npending_now() == 3))
		why = "the device thread waited for the ranges";
	atomic_store(&hold, 0);
	while (!why && seen < 4) {
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL)) {
			why = "lost completion";
			break;
		}
		if (got->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		if (got == fl)
			flush_seen = ++seen;
		else
			seen++;
	}
	finish_run();
	memset(model + 64 * 512, 0, 32 * 512);
	memset(model + 128 * 512, 0, 32 * 512);
	if (!why && flush_seen != 4)
		why = "the FLUSH completed before the ranges before it";
	if (!why && memcmp(disk, model, sizeof(disk)))
		why = "the ranges do not read back as zeroes (or more was zeroed)";
	if (!why && memcmp(rd->buf, model + 1024 * 512, 4096))
		why = "the read returned the wrong data";
	verdict("range-async", NULL, !why, "%s", why);
}

void range_through(void)
{
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	struct req *got;
	uint32_t written;

	start(0);
	slot.config[offsetof(struct virtio_blk_config, wce)] = 0;
	atomic_store(&flushes, 0);
	atomic_store(&stored_writes, 0);
	atomic_store(&flushed_writes, 0);
	add_range(0, VIRTIO_BLK_T_WRITE_ZEROES, 64, 32);
	add_range(1, VIRTIO_BLK_T_DISCARD, 64, 0);
	virtq_publish(q);
	for (int seen = 0; !why && seen < 2; seen++) {
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL))
			why = "lost completion";
		else if (got->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		else if (got == &reqs[0] && atomic_load(&flushed_writes) < 1)
			why = "the WRITE_ZEROES completed before a flush after it";
	}
	finish_run();
	if (!why && atomic_load(&stored_writes) != 1)
		why = "the empty DISCARD reached the store";
	verdict("range-write-through", NULL, !why, "%s", why);
}

/*
 * Ranges refused at submit, then failed at completion, by a store that
 * takes them asynchronously (sync 0) or does them at once (sync 1, where
 * both knobs are the discard's return): their statuses.
 */
void range_unsupported(const char *name, int sync)
{
	static const struct {
		int refused, failed;
		uint32_t flags;
		uint8_t want;
	} c[] = {
		{ -EOPNOTSUPP, 0, 0, VIRTIO_BLK_S_UNSUPP },
		{ 0, -EOPNOTSUPP, 0, VIRTIO_BLK_S_UNSUPP },
		{ -EIO, 0, 0, VIRTIO_BLK_S_IOERR },
		{ 0, -EIO, 0, VIRTIO_BLK_S_IOERR },
		/* UNMAP: write-zeroes' flag (even cases), not a discard's */
		{ 0, 0, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, VIRTIO_BLK_S_OK },
		{ 0, 0, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, VIRTIO_BLK_S_UNSUPP },
	};
	static char why_buf[128];
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	struct req *got;
	uint32_t written;

	store_ops = sync ? &sync_range_ops : &async_ops;
	start(0);
	for (unsigned int i = 0; !why && i < sizeof(c) / sizeof(c[0]); i++) {
		atomic_store(&range_refused, c[i].refused);
		atomic_store(&range_failed, c[i].failed);
		add_range(0, i & 1 ? VIRTIO_BLK_T_DISCARD :
				     VIRTIO_BLK_T_WRITE_ZEROES, 64, 8)->flags =
			c[i].flags;
		virtq_publish(q);
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL)) {
			why = "lost completion";
		} else if (got->status != c[i].want) {
			snprintf(why_buf, sizeof(why_buf),
				 "case %u (submit %d, completion %d): status %u, want %u",
				 i, c[i].refused, c[i].failed, got->status,
				 c[i].want);
			why = why_buf;
		}
	}
	atomic_store(&range_refused, 0);
	atomic_store(&range_failed, 0);
	finish_run();
	store_ops = &async_ops;
	verdict(name, NULL, !why, "%s", why);
}

/*
 * Ranges the device refuses before the store sees them: past the disk's
 * end (straddling it), of a sector whose byte offset wraps, of more
 * sectors than max_discard_sectors or max_write_zeroes_sectors, two
 * ranges in one request where max_*_seg is 1, none, or data not in whole
 * ranges: IOERR, a driver's error (virtio 1.2, 5.2.6).  A flag the
 * device does not know: UNSUPP, as the spec wants.  A store that takes
 * ranges asynchronously (sync 0) never holds one; one that does them at
 * once (sync 1) would zero past the disk (ASan says so).
 */
void range_bounds(const char *name, int sync)
{
	static const struct {
		uint32_t type;
		uint64_t sector;
		uint32_t nsec, bytes, flags;	/* bytes: of range data */
		uint8_t want;
	} c[] = {
		{ VIRTIO_BLK_T_DISCARD, DISK_BYTES / 512 - 4, 8, 16, 0,
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES, 1ULL << 55, 8, 16, 0,
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES, 0, KB_BLK_RANGE_MAX + 1, 16, 0,
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_DISCARD, 0, KB_BLK_RANGE_MAX + 1, 16, 0,
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES, 64, 8, 32, 0, VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_DISCARD, 64, 8, 32, 0, VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_DISCARD, 64, 8, 0, 0, VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES, 64, 8, 20, 0, VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES, 64, 8, 16, 1u << 1,
		  VIRTIO_BLK_S_UNSUPP },
		{ VIRTIO_BLK_T_DISCARD, 64, 8, 16, 1u << 31,
		  VIRTIO_BLK_S_UNSUPP },
	};
	static char why_buf[128];
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	struct req *got;
	uint32_t written;

	store_ops = sync ? &sync_range_ops : &async_ops;
	start(0);
	for (unsigned int i = 0; !why && i < sizeof(c) / sizeof(c[0]); i++) {
		struct virtio_blk_discard_write_zeroes *rg =
			(void *)(region + (2u << 20) + 64 * sizeof(struct req));
		struct virtq_buf out[2] = { { &reqs[0].hdr, 16 },
					    { rg, c[i].bytes } };

		reqs[0].hdr = (struct virtio_blk_outhdr){ .type = c[i].type };
		reqs[0].status = 0xff;
		for (uint32_t k = 0; k < 2; k++)
			rg[k] = (struct virtio_blk_discard_write_zeroes){
				.sector = c[i].sector + 64 * k,
				.num_sectors = c[i].nsec, .flags = c[i].flags };
		virtq_add(q, out, c[i].bytes ? 2 : 1,
			  (struct virtq_buf[]){ { &reqs[0].status, 1 } }, 1,
			  &reqs[0]);
		virtq_publish(q);
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL)) {
			snprintf(why_buf, sizeof(why_buf),
				 "case %u: no completion (%d at the store)", i,
				 npending_now());
			why = why_buf;
		} else if (got->status != c[i].want || npending_now()) {
			snprintf(why_buf, sizeof(why_buf),
				 "case %u: status %u, want %u; %d at the store",
				 i, got->status, c[i].want, npending_now());
			why = why_buf;
		}
	}
	finish_run();
	store_ops = &async_ops;
	verdict(name, NULL, !why, "%s", why);
}
