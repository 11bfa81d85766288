/*
 * For the hosted programs that include the guest's blk driver
 * (kern/virtio_blk.c, whose vblk this reads): include it after the
 * driver.  Static: each such program is one file, built alone.
 */
#ifndef TESTS_HOSTED_KERN_BLK_WATCHER_H
#define TESTS_HOSTED_KERN_BLK_WATCHER_H

#include <unistd.h>

/*
 * The driver's watcher thread (vblk-watch, started by the first callback
 * request) ended, as a reset ends it, before the driver's state or the
 * region is reused or freed: it is a detached thread that reads both.
 */
static void kh_blk_end_watcher(void)
{
	__atomic_store_n(&vblk.drained, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&vblk.watcher, __ATOMIC_ACQUIRE) == 1)
		usleep(100);
}

#endif
