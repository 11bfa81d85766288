// SPDX-License-Identifier: GPL-2.0
/*
 * A host file or block device as the storage of a guest's virtio-blk
 * device (kspawnctl run --disk PATH).
 *
 * By default (--cache=none) reads and writes are asynchronous O_DIRECT:
 * a kiocb over the guest's own pages (a bio_vec per page of the region),
 * its completion publishing the used entry, up to KB_BLK_INFLIGHT in
 * flight, as drivers/block/loop.c does its aio.  Guest buffers that are
 * not aligned to the device's logical block (malloc'd ones), or on memory
 * without struct pages, are bounced through pages of our own, one at a
 * time and within the disk's budget (bounce.c), still direct and
 * asynchronous; a request whose offset O_DIRECT cannot take, or bigger
 * than one kiocb's DISK_BVECS pages, or that could not have its bounce
 * pages (-ENOMEM), goes through the page cache instead,
 * synchronously, on a second, buffered handle, once no direct request is
 * in flight (buffered()); FLUSH (vfs_fsync) covers both.  A direct write
 * holds its file system unfrozen until it completes, as aio's do.  Where
 * the file
 * system refuses O_DIRECT (tmpfs), or with --cache=writeback, every
 * request is buffered.  Either way the backing has a volatile cache, so
 * the device offers FLUSH.  A block device with --cache=none is served
 * by bios instead (store_bdev.c); this file only opens and closes it.
 */
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/cred.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "kspawn.h"
#include "io.h"

#define DISK_BVECS 256		/* pages in one direct request */

struct disk_cmd {
	struct kiocb iocb;
	struct kb_blk_req *rq;
	struct kspawn_disk *disk;
	bool bounced;			/* else the guest's own pages */
	struct kspawn_bounce bounce;	/* bounce.c */
	struct work_struct copy;	/* a big one's end: d->copy_wq */
	long ret;			/* for the work */
	struct bio_vec bv[DISK_BVECS];
};

static void dio_copy_work(struct work_struct *work);

static unsigned int dio_align(struct file *f)
{
	struct inode *inode = f->f_mapping->host;
	struct block_device *bdev = S_ISBLK(inode->i_mode) ? I_BDEV(inode) :
				    inode->i_sb->s_bdev;

	return bdev ? bdev_logical_block_size(bdev) : PAGE_SIZE;
}

struct kspawn_disk *kspawn_disk_open(const char *path, bool writeback,
				     const struct kb_region *r, u64 *bytes)
{
	struct kspawn_disk *d = kzalloc(sizeof(*d), GFP_KERNEL);
	struct inode *inode;
	int err;

	if (!d)
		return ERR_PTR(-ENOMEM);
	d->region = r;
	INIT_LIST_HEAD(&d->claimed);
	kspawn_bounce_init(d);
	init_waitqueue_head(&d->direct_idle);
	d->copy_wq = alloc_workqueue("kspawn-disk-copy", WQ_UNBOUND, 0);
	if (!d->copy_wq) {
		err = -ENOMEM;
		goto err_free;
	}
	/*
	 * The guest's pages go to the block layer as they are only if the
	 * kernel can reach them through page_address(): a layer below may
	 * copy or checksum the data with the CPU (dm-crypt, dm-log-writes,
	 * loop, brd, integrity, swiotlb).  The pool is reserved memory, not
	 * System RAM, so outside the linear map: such a layer would fault.
	 */
	d->linear = region_intersects(r->base, r->size, IORESOURCE_SYSTEM_RAM,
				      IORES_DESC_NONE) == REGION_INTERSECTS;
	/*
	 * Through the page cache, this handle is all we have of a block
	 * device: O_EXCL claims it as the bios' store does (a regular file
	 * ignores it), so that neither a mount nor another instance shares
	 * it.  Held by someone else: the same errno as store_bdev.c's.
	 */
	err = kspawn_disk_kind(path);
	if (err)
		goto err_free;
	d->buffered = filp_open(path, O_RDWR | O_LARGEFILE | O_NOCTTY |
				(writeback ? O_EXCL : 0), 0);
	if (IS_ERR(d->buffered)) {
		err = PTR_ERR(d->buffered);
		pr_info_ratelimited("disk %s: cannot open (%d)\n", path, err);
		if (err == -EBUSY && writeback)
			err = -ETXTBSY;
		goto err_free;
	}
	/* What was opened, should the path have changed since the look. */
	err = kspawn_disk_mode(path, file_inode(d->buffered)->i_mode);
	if (err) {
		filp_close(d->buffered, NULL);
		goto err_free;
	}
	/* The mapping's host: the file's inode, or the block device's. */
	*bytes = i_size_read(d->buffered->f_mapping->host);
	if (*bytes < KB_BLK_SECTOR) {
		pr_info_ratelimited("disk %s: empty\n", path);
		err = -EINVAL;
		goto err_close;
	}
	inode = d->buffered->f_mapping->host;
	err = kspawn_disk_claim(d, path);
	if (err)
		goto err_close;
	/*
	 * A block device marked read-only (blockdev --setro, a read-only LV)
	 * opens for writing all the same, and on 6.1 our bios would write it
	 * (bio_check_ro() only warns): refused, as a file on a read-only
	 * mount is by its open.
	 */
	if (S_ISBLK(inode->i_mode) && bdev_read_only(I_BDEV(inode))) {
		pr_info_ratelimited("disk %s: read-only\n", path);
		err = -EROFS;
		goto err_close;
	}
	/*
	 * A file's ranges are its file system's (fallocate: extents, no
	 * data written); a block device's, through either store, are the
	 * device's, which may have to write every zero (blkdev_fallocate).
	 */
	d->zeroes = !S_ISBLK(inode->i_mode) ||
		    bdev_write_zeroes_sectors(I_BDEV(inode)) != 0;
	if (!writeback && S_ISBLK(inode->i_mode)) {
		/* bios straight to the device (store_bdev.c) */
		err = kspawn_bdev_open(d, inode->i_rdev);
		if (err) {
			pr_info_ratelimited("disk %s: cannot have it to ourselves (%d)\n",
					    path, err);
			goto err_close;
		}
		pr_info("disk %s: bios, %s write cache, %u-byte blocks\n",
			path, d->write_cache ? "a volatile" : "no",
			d->align);
		return d;
	}
	if (!writeback) {
		/*
		 * The same file as the buffered handle, not whatever the path
		 * names by now: FLUSH and DISCARD go through that one.
		 */
		d->direct = dentry_open(&d->buffered->f_path, O_RDWR |
					O_LARGEFILE | O_DIRECT, current_cred());
		if (IS_ERR(d->direct)) {
			pr_info("disk %s: the file system refuses O_DIRECT (%ld): buffered, as --cache writeback\n",
				path, PTR_ERR(d->direct));
			d->direct = NULL;
		}
	}
	if (d->direct) {
		d->align = dio_align(d->direct);
		d->cmd = kvcalloc(KB_BLK_INFLIGHT, sizeof(*d->cmd), GFP_KERNEL);
		if (!d->cmd) {
			err = -ENOMEM;
			goto err_close;
		}
		for (unsigned int i = 0; i < KB_BLK_INFLIGHT; i++)
			INIT_WORK(&d->cmd[i].copy, dio_copy_work);
	}
	pr_info("disk %s: %s I/O\n", path, d->direct ?
		"asynchronous direct" : "buffered");
	return d;

err_close:
	kspawn_disk_unclaim(d);	/* before the close: the list reads its inode */
	if (d->direct)
		filp_close(d->direct, NULL);
	filp_close(d->buffered, NULL);
err_free:
	if (d->copy_wq)
		destroy_workqueue(d->copy_wq);
	kfree(d);
	return ERR_PTR(err);
}

/* After kb_blk_drain(): nothing is in flight. */
void kspawn_disk_close(struct kspawn_disk *d)
{
	int err;

	if (!d)
		return;
	/* Its copies are done (drained), but maybe not yet returned. */
	destroy_workqueue(d->copy_wq);
	if (atomic_long_read(&d->copied_late))
		pr_info("disk: %ld reads copied to the guest outside their interrupt\n",
			atomic_long_read(&d->copied_late));
	if (d->bcmd || d->cmd)
		pr_info("disk: at most %d bounce pages beyond the kept ones (budget %u)\n",
			d->bounce_peak, d->bounce_budget);
	kspawn_bdev_close(d);
	err = vfs_fsync(d->buffered, 0);
	if (err)
		pr_warn("disk: the last sync failed (%d): writes the guest never flushed may be lost\n",
			err);
	kspawn_disk_unclaim(d);	/* synced; the list reads the file's inode */
	if (d->direct)
		filp_close(d->direct, NULL);
	filp_close(d->buffered, NULL);
	for (unsigned int i = 0; d->cmd && i < KB_BLK_INFLIGHT; i++)
		kspawn_bounce_free(&d->cmd[i].bounce);
	kvfree(d->cmd);
	kfree(d);
}

/*
 * n of len bytes moved: 0, its errno (-ENOMEM, -EAGAIN: started again
 * later, blk.h), or -EIO if short: the file's end or no space left, which
 * the rest would only confirm, IOERR either way (loop.c's writes too).
 */
static int transfer_err(ssize_t n, u32 len)
{
	return n == len ? 0 : n < 0 ? (int)n : -EIO;
}

static int file_read(void *store, u64 off, void *buf, u32 len)
{
	struct kspawn_disk *d = store;
	loff_t pos = off;

	return transfer_err(kernel_read(d->buffered, buf, len, &pos), len);
}

static int file_write(void *store, u64 off, const void *buf, u32 len)
{
	struct kspawn_disk *d = store;
	loff_t pos = off;

	return transfer_err(kernel_write(d->buffered, buf, len, &pos), len);
}

/* Every write completed so far, through either handle, made durable. */
static int file_flush(void *store)
{
	struct kspawn_disk *d = store;
	struct block_device *bdev = file_inode(d->buffered)->i_sb->s_bdev;
	int err;

	if (kspawn_test_no_flush)
		return 0;
	err = vfs_fsync(d->buffered, 0);
	/*
	 * A file system may skip the drive's cache flush when the inode is
	 * clean: ext4 without a journal (ext2) does, after writes that left
	 * its times as they were (whole seconds with 128-byte inodes).  The
	 * writes may sit in the drive's cache all the same: flush it here.
	 */
	if (!err && bdev)
		err = blkdev_issue_flush(bdev);
	return err;
}

/* Zeroes written over [off, off + len), through the page cache. */
static int write_zeroes(struct kspawn_disk *d, u64 off, u64 len)
{
	while (len) {
		u32 n = min_t(u64, len, PAGE_SIZE);
		int err = file_write(d, off, page_address(ZERO_PAGE(0)), n);

		if (err)
			return err;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * A block device zeroes whole logical blocks only, but through the page
 * cache the guest was told 512-byte ones (io.c): a disk of 4 KiB sectors
 * gets ranges that start or end inside one of its blocks.  Those partial
 * blocks, at most one at each end, are written with zeroes; the rest, if
 * any, is left to the device (bdev_zero_range()).
 */
static int zero_partial_blocks(struct kspawn_disk *d, struct inode *inode,
			       u64 *off, u64 *len)
{
	u32 block = bdev_logical_block_size(I_BDEV(inode));
	u64 end = *off + *len;
	u64 first = round_up(*off, block), last = round_down(end, block);
	int err;

	if (first >= last) {	/* no whole block inside */
		*len = 0;
		return write_zeroes(d, *off, end - *off);
	}
	err = write_zeroes(d, *off, first - *off) ?:
	      write_zeroes(d, last, end - last);
	*off = first;
	*len = last - first;
	return err;
}

/*
 * A block device's whole blocks zeroed by its offload alone, as the bios'
 * store does (NOFALLBACK both ways, NOUNMAP for write-zeroes): the steps
 * of blkdev_fallocate(), whose ZERO_RANGE would write zero pages when the
 * device fails the command, up to 1 GiB for a guest's 16-byte request and
 * again at the next while the offload stays.  The cached pages go first,
 * dirty or not (the range is zeroes after), under the mapping's
 * invalidate lock, so that no read brings the old data back meanwhile.
 */
static int bdev_zero_range(struct inode *inode, u64 off, u64 len, int zero)
{
	struct address_space *mapping = inode->i_mapping;
	int err;

	filemap_invalidate_lock(mapping);
	truncate_inode_pages_range(mapping, off, off + len - 1);
	err = blkdev_issue_zeroout(I_BDEV(inode), off >> SECTOR_SHIFT,
				   len >> SECTOR_SHIFT, GFP_KERNEL,
				   BLKDEV_ZERO_NOFALLBACK |
				   (zero ? BLKDEV_ZERO_NOUNMAP : 0));
	filemap_invalidate_unlock(mapping);
	return err;
}

/*
 * The range reads back as zeroes afterwards either way (the blk device
 * promises that for both).  Write-zeroes keeps the blocks allocated where
 * it can, discard gives them back; on a file each falls back to the other
 * where the file system lacks one (tmpfs has no ZERO_RANGE), on a block
 * device both are its offload's (bdev_zero_range()).
 */
static int file_discard(void *store, u64 off, u64 len, int zero)
{
	struct kspawn_disk *d = store;
	struct inode *inode = d->buffered->f_mapping->host;
	const int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	const int zero_range = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	int first = zero ? zero_range : punch;
	int err;

	/*
	 * A block device's ranges were offered because it had a write-zeroes
	 * offload when opened (d->zeroes), and are done by it alone: never
	 * every zero page written, up to a range's 1 GiB of writes for 16
	 * bytes of a guest's request, on a device the host may share.  The
	 * offload can go after the open (sd turns it off when the disk
	 * refuses one): -EOPNOTSUPP then, UNSUPP to the guest.
	 */
	if (S_ISBLK(inode->i_mode)) {
		if (!bdev_write_zeroes_sectors(I_BDEV(inode)))
			return -EOPNOTSUPP;
		err = zero_partial_blocks(d, inode, &off, &len);
		if (err || !len)
			return err;
		return bdev_zero_range(inode, off, len, zero);
	}
	err = vfs_fallocate(d->buffered, first, off, len);

	if (err == -EOPNOTSUPP)
		err = vfs_fallocate(d->buffered,
				    first == punch ? zero_range : punch,
				    off, len);
	return err;
}

/*
 * A direct write keeps its file system from freezing until it completes,
 * as aio's writes do: a write into a hole allocates, and converts the
 * extents at completion, journal work a frozen ext4 must not see.  The
 * device thread waits here while the file system is frozen (the buffered
 * path's kernel_write() waits the same), and the hold passes to the
 * completion, which may run in an interrupt.
 */
static void direct_write_begins(struct file *f)
{
	struct super_block *sb = file_inode(f)->i_sb;

	sb_start_write(sb);
	__sb_writers_release(sb, SB_FREEZE_WRITE);
}

static void direct_write_ends(struct file *f)
{
	struct super_block *sb = file_inode(f)->i_sb;

	__sb_writers_acquired(sb, SB_FREEZE_WRITE);
	sb_end_write(sb);
}

static void dio_finish(struct disk_cmd *cmd, long ret, bool may_sleep)
{
	struct kspawn_disk *d = cmd->disk;
	struct kb_blk_req *rq = cmd->rq;

	if (cmd->bounced) {
		kspawn_bounce_end(d, &cmd->bounce, rq, ret == rq->len,
				  may_sleep);
		cmd->bounced = false;
	}
	if (rq->write)
		direct_write_ends(d->direct);
	if (atomic_dec_and_test(&d->inflight))
		wake_up(&d->direct_idle);
	kb_blk_complete(rq, transfer_err(ret, rq->len));
}

static void dio_copy_work(struct work_struct *work)
{
	struct disk_cmd *cmd = container_of(work, struct disk_cmd, copy);

	dio_finish(cmd, cmd->ret, true);
}

/*
 * Maybe in an interrupt: a big bounced request ends in a work (a read's
 * copy to the guest, and for any the freeing of its pages).
 */
static void dio_complete(struct kiocb *iocb, long ret)
{
	struct disk_cmd *cmd = container_of(iocb, struct disk_cmd, iocb);
	struct kb_blk_req *rq = cmd->rq;

	if (cmd->bounced && kspawn_bounce_ends_late(rq)) {
		cmd->ret = ret;
		queue_work(cmd->disk->copy_wq, &cmd->copy);
		return;
	}
	dio_finish(cmd, ret, false);
}

/*
 * The guest's segments as bio_vecs over its own pages; false if one is
 * not aligned for O_DIRECT or its memory has no struct page in the linear
 * map.
 */
static bool map_bvecs(struct kspawn_disk *d, struct kb_blk_req *rq,
		      struct bio_vec *bv, unsigned int *nbv)
{
	unsigned int n = 0, mask = d->align - 1;

	if (!d->linear)
		return false;

	for (u32 i = 0; i < rq->nseg; i++) {
		u64 phys = d->region->base + (rq->seg[i].p - d->region->va);
		u32 left = rq->seg[i].len;

		if ((phys | left) & mask)
			return false;
		while (left) {
			u32 in_page = offset_in_page(phys);
			u32 len = min_t(u32, left, PAGE_SIZE - in_page);

			if (n == DISK_BVECS || !pfn_valid(PHYS_PFN(phys)))
				return false;
			bv[n++] = (struct bio_vec){ pfn_to_page(PHYS_PFN(phys)),
						    len, in_page };
			phys += len;
			left -= len;
		}
	}
	*nbv = n;
	return true;
}

/*
 * The request in pages of our own (bounce.c, within the disk's budget),
 * filled first for a write; false if it needs more than one kiocb's
 * bio_vecs or the pages could not be had.
 */
static bool bounce(struct disk_cmd *cmd, struct kb_blk_req *rq,
		   unsigned int *nbv)
{
	int n;

	if (DIV_ROUND_UP(rq->len, PAGE_SIZE) > DISK_BVECS)
		return false;
	n = kspawn_bounce_start(cmd->disk, &cmd->bounce, rq);
	if (n < 0)
		return false;
	for (int i = 0; i < n; i++)
		cmd->bv[i] = (struct bio_vec){ kspawn_bounce_page(&cmd->bounce, i),
			min_t(u32, PAGE_SIZE, rq->len - i * PAGE_SIZE), 0 };
	cmd->bounced = true;
	*nbv = n;
	return true;
}

/*
 * A request the direct handle cannot take, through the page cache, on
 * the device thread.  Not beside O_DIRECT requests in flight: a buffered
 * write of the sectors next to a direct write in the same host page
 * reads that page first, before the direct write lands, and its
 * writeback later puts the old sectors back over the ones the guest was
 * told were written (the direct write's invalidation cannot drop a
 * dirty page); a buffered read can cache the old sectors the same way.
 * The fallback is the slow path already: it waits for them.
 */
static int buffered(struct kspawn_disk *d, struct kb_blk_req *rq)
{
	d->buffered_ios++;
	wait_event_idle(d->direct_idle, !atomic_read(&d->inflight));
	return kb_blk_sync_submit(d, rq);
}

static int file_submit(void *store, struct kb_blk_req *rq)
{
	struct kspawn_disk *d = store;
	struct disk_cmd *cmd;
	struct iov_iter iter;
	unsigned int nbv;
	ssize_t ret;

	if (!d->direct)
		return kb_blk_sync_submit(store, rq);
	cmd = &d->cmd[rq->id];
	cmd->disk = d;
	cmd->bounced = false;
	if ((rq->off | rq->len) & (d->align - 1))
		return buffered(d, rq);
	if (!map_bvecs(d, rq, cmd->bv, &nbv)) {
		if (!bounce(cmd, rq, &nbv))
			return buffered(d, rq);
		d->bounced++;
	}
	cmd->rq = rq;
	cmd->iocb = (struct kiocb){
		.ki_filp = d->direct,
		.ki_pos = rq->off,
		.ki_flags = IOCB_DIRECT,
		.ki_complete = dio_complete,
	};
	iov_iter_bvec(&iter, rq->write ? WRITE : READ, cmd->bv, nbv, rq->len);
	kspawn_disk_count_inflight(d);
	d->direct_ios++;
	if (rq->write) {
		direct_write_begins(d->direct);
		ret = call_write_iter(d->direct, &cmd->iocb, &iter);
	} else {
		ret = call_read_iter(d->direct, &cmd->iocb, &iter);
	}
	if (ret != -EIOCBQUEUED)
		dio_complete(&cmd->iocb, ret);
	return 0;
}

const struct kb_store_ops kspawn_file_ops = {
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.discard = file_discard,
	.submit = file_submit,
	.volatile_cache = 1,
};
