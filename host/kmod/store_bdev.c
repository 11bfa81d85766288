// SPDX-License-Identifier: GPL-2.0
/*
 * A host block device as the storage of a guest's virtio-blk device
 * (kspawnctl run --disk /dev/X, --cache=none): each read or write becomes
 * bios straight to the device, no page cache, up to KB_BLK_INFLIGHT in
 * flight.  The last bio's end_io (often in the device's interrupt)
 * completes the request, which publishes the used entry and notifies the
 * guest by the blk device's rules.
 *
 * Guest segments aligned to the device's logical block, on memory with
 * struct pages in the kernel's linear map, are the bios' pages themselves
 * (never the pool, which is reserved memory); otherwise the request is
 * bounced through pages of our own, within a budget per disk
 * (bounce.c).  A request
 * needing more than BIO_MAX_VECS pages is a chain of bios that completes
 * as one.
 *
 * FLUSH is an empty REQ_PREFLUSH bio (blkdev_issue_flush); the blk device
 * sends it only once every write before it completed, so it covers them.
 * It is always offered: the device's cache mode may change under a
 * running guest, and a flush to a write-through device completes at once.
 * DISCARD and WRITE_ZEROES are __blkdev_issue_zeroout's chain of bios,
 * submitted like a write and completed by the last one's end_io, so the
 * device thread does not wait for them: the range must read back as
 * zeroes (blk.h); a discard may unmap, a write-zeroes keeps the blocks
 * allocated.  Only where the device zeroes by itself (its write-zeroes
 * offload): never pages of zeroes written in their place, a guest's
 * 16-byte range would cost the host 1 GiB of writes, so a device without
 * the offload offers neither (kb_blk_withhold_ranges).  (Unlike
 * blkdev_issue_zeroout, no retry with zero pages if the device fails a
 * WRITE_ZEROES it claimed to support: IOERR.)
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kspawn.h"
#include "io.h"

struct bdev_cmd {
	struct kb_blk_req *rq;
	struct kspawn_disk *disk;
	struct bio *bio;		/* the one being filled; the last */
	bool bounced;			/* else the guest's own pages */
	struct kspawn_bounce bounce;
	struct work_struct copy;	/* a big one's end: d->copy_wq */
	int err;			/* for the work */
};

static void bdev_copy_work(struct work_struct *work);

/* As kspawn's holder of the block device (FMODE_EXCL). */
static const fmode_t bdev_mode = FMODE_READ | FMODE_WRITE | FMODE_EXCL;

int kspawn_bdev_open(struct kspawn_disk *d, dev_t dev)
{
	struct block_device *bdev = blkdev_get_by_dev(dev, bdev_mode, d);

	/*
	 * Held by someone else (another instance, a mount): an errno of its
	 * own, so that the caller need not take it for a busy CPU (EBUSY).
	 */
	if (PTR_ERR_OR_ZERO(bdev) == -EBUSY)
		return -ETXTBSY;
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	d->bcmd = kvcalloc(KB_BLK_INFLIGHT, sizeof(*d->bcmd), GFP_KERNEL);
	if (!d->bcmd) {
		blkdev_put(bdev, bdev_mode);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < KB_BLK_INFLIGHT; i++)
		INIT_WORK(&d->bcmd[i].copy, bdev_copy_work);
	/*
	 * The page cache of the device is not ours to use, but what is in
	 * it must not hide our bios: written back and dropped now, dropped
	 * again at the end (as direct I/O does).
	 */
	sync_blockdev(bdev);
	invalidate_bdev(bdev);
	d->bdev = bdev;
	d->align = bdev_logical_block_size(bdev);
	d->write_cache = bdev_write_cache(bdev);
	return 0;
}

/* After kb_blk_drain(): nothing is in flight. */
void kspawn_bdev_close(struct kspawn_disk *d)
{
	if (!d->bdev)
		return;
	if (blkdev_issue_flush(d->bdev))
		pr_warn("disk: the last flush failed: writes the guest never flushed may be lost\n");
	invalidate_bdev(d->bdev);
	blkdev_put(d->bdev, bdev_mode);
	d->bdev = NULL;
	for (unsigned int i = 0; i < KB_BLK_INFLIGHT; i++)
		kspawn_bounce_free(&d->bcmd[i].bounce);
	kvfree(d->bcmd);
	d->bcmd = NULL;
}

static int bdev_flush(void *store)
{
	struct kspawn_disk *d = store;

	if (kspawn_test_no_flush)
		return 0;
	return blkdev_issue_flush(d->bdev);
}

static void bdev_finish(struct bdev_cmd *cmd, int err, bool may_sleep)
{
	struct kb_blk_req *rq = cmd->rq;

	if (cmd->bounced)
		kspawn_bounce_end(cmd->disk, &cmd->bounce, rq, !err, may_sleep);
	atomic_dec(&cmd->disk->inflight);
	kb_blk_complete(rq, err);
}

static void bdev_copy_work(struct work_struct *work)
{
	struct bdev_cmd *cmd = container_of(work, struct bdev_cmd, copy);

	bdev_finish(cmd, cmd->err, true);
}

/*
 * An interrupt, often: a big bounced request ends in a work (a read's
 * copy to the guest, and for any the freeing of its pages).
 */
static void bdev_end_io(struct bio *bio)
{
	struct bdev_cmd *cmd = bio->bi_private;
	int err = blk_status_to_errno(bio->bi_status);

	bio_put(bio);
	if (cmd->bounced && kspawn_bounce_ends_late(cmd->rq)) {
		cmd->err = err;
		queue_work(cmd->disk->copy_wq, &cmd->copy);
		return;
	}
	bdev_finish(cmd, err, false);
}

/* One more page for the request: a new bio chained on when one is full. */
static void add_page(struct bdev_cmd *cmd, struct page *page, u32 len,
		     u32 off, unsigned int pages_left)
{
	struct bio *bio = cmd->bio;

	if (bio_add_page(bio, page, len, off) == len)
		return;
	cmd->bio = bio_alloc(bio->bi_bdev, min_t(unsigned int, pages_left,
						 BIO_MAX_VECS),
			     bio->bi_opf, GFP_NOIO);
	cmd->bio->bi_iter.bi_sector = bio_end_sector(bio);
	bio_chain(bio, cmd->bio);
	submit_bio(bio);
	bio_add_page(cmd->bio, page, len, off);
}

/*
 * Pages of the guest's segments, or 0 if one cannot go to a bio as is
 * (outside the linear map: kspawn_disk_open()).
 */
static unsigned int guest_pages(struct kspawn_disk *d, struct kb_blk_req *rq)
{
	unsigned int n = 0, mask = d->align - 1;

	if (!d->linear)
		return 0;

	for (u32 i = 0; i < rq->nseg; i++) {
		u64 phys = d->region->base + (rq->seg[i].p - d->region->va);
		u64 end = phys + rq->seg[i].len;

		if ((phys | rq->seg[i].len) & mask)
			return 0;
		for (u64 pfn = PHYS_PFN(phys); pfn <= PHYS_PFN(end - 1); pfn++)
			if (!pfn_valid(pfn))
				return 0;
		n += PHYS_PFN(end - 1) - PHYS_PFN(phys) + 1;
	}
	return n;
}

static void add_guest_pages(struct bdev_cmd *cmd, unsigned int n)
{
	struct kspawn_disk *d = cmd->disk;
	struct kb_blk_req *rq = cmd->rq;

	for (u32 i = 0; i < rq->nseg; i++) {
		u64 phys = d->region->base + (rq->seg[i].p - d->region->va);
		u32 left = rq->seg[i].len;

		while (left) {
			u32 in_page = offset_in_page(phys);
			u32 len = min_t(u32, left, PAGE_SIZE - in_page);

			add_page(cmd, pfn_to_page(PHYS_PFN(phys)), len,
				 in_page, n--);
			phys += len;
			left -= len;
		}
	}
}

/* The request's n bounce pages. */
static void add_bounce_pages(struct bdev_cmd *cmd, unsigned int n)
{
	struct kb_blk_req *rq = cmd->rq;

	for (unsigned int i = 0; i < n; i++)
		add_page(cmd, kspawn_bounce_page(&cmd->bounce, i),
			 min_t(u32, PAGE_SIZE, rq->len - i * PAGE_SIZE), 0,
			 n - i);
}

static int bdev_submit(void *store, struct kb_blk_req *rq)
{
	struct kspawn_disk *d = store;
	struct bdev_cmd *cmd = &d->bcmd[rq->id];
	unsigned int n = guest_pages(d, rq);
	bool bounced = !n;

	/* build_rw() checked whole sectors; a 4 KiB-sector disk wants more */
	if (!rq->len || ((rq->off | rq->len) & (d->align - 1)))
		return -EINVAL;
	/*
	 * Set read-only after the load (blockdev --setro): 6.1's
	 * bio_check_ro() only warns and lets the write through.  The load's
	 * check alone left this path writing what every other refuses.
	 */
	if (rq->write && bdev_read_only(d->bdev))
		return -EROFS;
	if (bounced) {
		/* before the bio: it may wait for the disk's budget */
		int got = kspawn_bounce_start(d, &cmd->bounce, rq);

		if (got < 0)
			return got;
		n = got;
	}
	cmd->rq = rq;
	cmd->disk = d;
	cmd->bounced = bounced;
	cmd->bio = bio_alloc(d->bdev, min_t(unsigned int, n, BIO_MAX_VECS),
			     rq->write ? REQ_OP_WRITE : REQ_OP_READ, GFP_NOIO);
	cmd->bio->bi_iter.bi_sector = rq->off >> SECTOR_SHIFT;
	if (bounced) {
		add_bounce_pages(cmd, n);
		d->bounced++;
	} else {
		add_guest_pages(cmd, n);
	}
	cmd->bio->bi_private = cmd;
	cmd->bio->bi_end_io = bdev_end_io;
	kspawn_disk_count_inflight(d);
	d->direct_ios++;
	submit_bio(cmd->bio);
	return 0;
}

/* A DISCARD or WRITE_ZEROES range: bios of zeroes (or none), chained. */
static int bdev_submit_range(void *store, struct kb_blk_req *rq)
{
	struct kspawn_disk *d = store;
	struct bdev_cmd *cmd = &d->bcmd[rq->id];
	struct bio *bio = NULL;
	int err;

	if ((rq->off | rq->len) & (d->align - 1))
		return -EINVAL;
	/* fails only before it built a bio (read-only, misaligned) */
	err = __blkdev_issue_zeroout(d->bdev, rq->off >> SECTOR_SHIFT,
				     rq->len >> SECTOR_SHIFT, GFP_NOIO, &bio,
				     BLKDEV_ZERO_NOFALLBACK |
				     (rq->zero ? BLKDEV_ZERO_NOUNMAP : 0));
	if (err || !bio)
		return err ?: -EINVAL;
	cmd->rq = rq;
	cmd->disk = d;
	cmd->bounced = false;
	bio->bi_private = cmd;
	bio->bi_end_io = bdev_end_io;
	kspawn_disk_count_inflight(d);
	submit_bio(bio);
	return 0;
}

/*
 * read and write are only for a synchronous submit, which a block device
 * never takes: every read and write goes through bdev_submit(), every
 * range through bdev_submit_range().
 */
/*
 * Always a volatile cache, so FLUSH is always offered: the drive's cache
 * mode is the kernel's to follow, and it may change while a guest runs
 * (queue/write_cache, hdparm -W).  A device without a volatile cache
 * completes the flush and FUA bios at once (submit_bio_noacct() strips
 * them), so a write-through drive costs the guest a round trip per
 * flush, and a drive turned write-back under it still gets every one.
 */
const struct kb_store_ops kspawn_bdev_ops = {
	.flush = bdev_flush,
	.submit = bdev_submit,
	.submit_range = bdev_submit_range,
	.volatile_cache = 1,
};
