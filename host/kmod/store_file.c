// SPDX-License-Identifier: GPL-2.0
/*
 * A host file or block device as the storage of a guest's virtio-blk
 * device (kspawnctl run --disk PATH).  Reads and writes go through the page
 * cache; FLUSH is vfs_fsync(), so what the guest flushed is on stable
 * storage when the request completes.
 */
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>

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

/* Zeroes, written: correct for files and block devices alike. */
static int file_discard(void *store, u64 off, u64 len, int zero)
{
	void *zeros = (void *)get_zeroed_page(GFP_KERNEL);
	int err = zeros ? 0 : -ENOMEM;

	while (!err && len) {
		u32 n = min_t(u64, len, PAGE_SIZE);

		err = file_write(store, off, zeros, n);
		off += n;
		len -= n;
	}
	free_page((unsigned long)zeros);
	return err;
}

const struct kb_store_ops kspawn_file_ops = {
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.discard = file_discard,
};
