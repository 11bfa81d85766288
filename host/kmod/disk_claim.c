// SPDX-License-Identifier: GPL-2.0
/*
 * What may be a guest's disk (--disk PATH), and which regular files are
 * one instance's already.  The stores (store_file.c, store_bdev.c) do the
 * I/O; this file only says yes or no to a path before and after its open.
 */
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/namei.h>

#include "kspawn.h"
#include "io.h"

/*
 * The regular files open as some instance's disk.  A block device is
 * claimed for one instance (O_EXCL, FMODE_EXCL); a file has no such
 * claim, and a second instance on it (by any path or link) would write
 * it beside the first: each corrupting the other's file system, and with
 * --cache writeback beside --cache none, old sectors put back over
 * acknowledged ones (store_file.c, buffered()).  Nor may anything else
 * have it open for writing, a loop device over it or another program (our
 * handle is its one writer then); one that opens it after us is not seen.
 */
static DEFINE_MUTEX(files_lock);
static LIST_HEAD(files_open);

int kspawn_disk_claim(struct kspawn_disk *d, const char *path)
{
	struct inode *inode = file_inode(d->buffered);
	const char *why = NULL;
	struct kspawn_disk *o;

	if (!S_ISREG(inode->i_mode))
		return 0;
	mutex_lock(&files_lock);
	list_for_each_entry(o, &files_open, claimed)
		if (file_inode(o->buffered) == inode)
			why = "another instance has it";
	if (!why && atomic_read(&inode->i_writecount) > 1)
		why = "open for writing elsewhere too (a loop device? another program?)";
	if (!why)
		list_add(&d->claimed, &files_open);
	mutex_unlock(&files_lock);
	if (!why)
		return 0;
	pr_info_ratelimited("disk %s: %s\n", path, why);
	return -ETXTBSY;	/* as a block device held elsewhere */
}

/* After the last write and the fsync: the next instance may have it. */
void kspawn_disk_unclaim(struct kspawn_disk *d)
{
	mutex_lock(&files_lock);
	list_del_init(&d->claimed);
	mutex_unlock(&files_lock);
}

int kspawn_disk_mode(const char *path, umode_t mode)
{
	if (S_ISREG(mode) || S_ISBLK(mode))
		return 0;
	pr_info_ratelimited("disk %s: neither a regular file nor a block device\n",
			    path);
	return -EINVAL;
}

/*
 * A disk is a regular file or a block device, as loop's is, looked at
 * before the open: opening a character device or a FIFO can do things
 * by itself (a watchdog arms, a tty becomes the caller's terminal).
 */
int kspawn_disk_kind(const char *path)
{
	struct path p;
	umode_t mode;
	int err = kern_path(path, LOOKUP_FOLLOW, &p);

	if (err) {
		pr_info_ratelimited("disk %s: cannot open (%d)\n", path, err);
		return err;
	}
	mode = d_backing_inode(p.dentry)->i_mode;
	path_put(&p);
	return kspawn_disk_mode(path, mode);
}
