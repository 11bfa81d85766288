// SPDX-License-Identifier: GPL-2.0
/*
 * A host file or block device as the storage of a guest's virtio-blk
 * device (kspawnctl run --disk PATH).  Reads and writes go through the page
 * cache; FLUSH is vfs_fsync(), so what the guest flushed is on stable
 * storage when the request completes.
 */
#include <linux/fs.h>
#include <linux/falloc.h>

#include "kspawn.h"
#include "io.h"

struct file *kspawn_file_open(const char *path, u64 *bytes)
{
	struct file *f = filp_open(path, O_RDWR | O_LARGEFILE, 0);

	if (IS_ERR(f)) {
		pr_info("disk %s: cannot open (%ld)\n", path, PTR_ERR(f));
		return f;
	}
	/* The mapping's host: the file's inode, or the block device's. */
	*bytes = i_size_read(f->f_mapping->host);
	if (*bytes < KB_BLK_SECTOR) {
		pr_info("disk %s: empty\n", path);
		filp_close(f, NULL);
		return ERR_PTR(-EINVAL);
	}
	return f;
}

static int file_read(void *store, u64 off, void *buf, u32 len)
{
	loff_t pos = off;
	ssize_t n = kernel_read(store, buf, len, &pos);

	return n == len ? 0 : -EIO;
}

static int file_write(void *store, u64 off, const void *buf, u32 len)
{
	loff_t pos = off;
	ssize_t n = kernel_write(store, buf, len, &pos);

	return n == len ? 0 : -EIO;
}

static int file_flush(void *store)
{
	if (kspawn_test_no_flush)
		return 0;
	return vfs_fsync(store, 0);
}

/*
 * The range reads back as zeroes afterwards either way (the blk device
 * promises that for both).  Write-zeroes keeps the blocks allocated where
 * it can, discard gives them back; each falls back to the other where the
 * file system or device lacks one (tmpfs has no ZERO_RANGE, a disk may
 * have no unmapping write-zeroes).
 */
static int file_discard(void *store, u64 off, u64 len, int zero)
{
	const int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	const int zero_range = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	int first = zero ? zero_range : punch;
	int err = vfs_fallocate(store, first, off, len);

	if (err == -EOPNOTSUPP)
		err = vfs_fallocate(store, first == punch ? zero_range : punch,
				    off, len);
	return err;
}

const struct kb_store_ops kspawn_file_ops = {
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.discard = file_discard,
};
