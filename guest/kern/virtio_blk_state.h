/*
 * The virtio-blk driver's state, shared by its files (virtio_blk.c, the
 * driver proper; virtio_blk_limits.c, what one request may be) and by
 * the hosted tests that look inside it.  Not for other callers: they
 * use kern/virtio_blk.h.
 */
#ifndef KERN_VIRTIO_BLK_STATE_H
#define KERN_VIRTIO_BLK_STATE_H

#include <stdint.h>

#include "kern/sync.h"
#include "kern/virtio.h"

/*
 * Data segments we put in one request, whatever seg_max says: they are
 * built on the stack, and a bigger transfer is split into requests
 * (vblk_read, vblk_write) long before this costs anything.
 */
#define VBLK_MAX_SEGS 16

/*
 * One request queue: its ring, and the lock, waiters and count of
 * sleepers that go with it.  With VIRTIO_BLK_F_MQ there is one per guest
 * CPU (up to what the device offers): a CPU submits on its own and
 * shares no lock with the others.
 */
struct vblk_queue {
	struct spinlock lock;
	struct wait_queue wq;
	unsigned int sleepers;		/* waiting for an interrupt */
	unsigned int idx;
	struct virtq *vq;
	/*
	 * The requests the device has: what a reset must fail, since their
	 * memory (often a caller's stack) is the device's until it answers
	 * or is reset.
	 */
	struct list_node out;
	int dead;			/* reset: its used ring is not read again */
	int watch_told;			/* the watcher was woken for its break */
};

/* The one device this driver drives (virtio_blk.c defines it). */
struct vblk_state {
	struct virtio_dev dev;
	struct vblk_queue q[KSPAWN_MAX_QUEUES];
	unsigned int nq;
	uint64_t sectors;
	uint32_t block;			/* bytes: the device's blk_size */
	uint32_t seg_bytes;		/* the most in one data segment */
	unsigned int max_segs;		/* data segments in one request */
	uint32_t cap;			/* vblk_max_bytes() */
	/* vblk_max_range(): sectors in one DISCARD, one WRITE_ZEROES */
	uint32_t discard_max, zeroes_max;
	int up, said_refused, said_too_big;
	int resetting;			/* one caller resets a broken device */
	int stopping;			/* a reset is coming: nothing new is sent */
	int drained;			/* reset, and every request it had failed */
	/* The watcher (vblk_watch): 0 none yet, 1 running, 2 ended. */
	int watcher;
	unsigned int cb_out;		/* callback requests out */
	int watch_idle;			/* asleep until cb_out moves from 0 */
	int watch_config;		/* NEEDS_RESET told: look, not sleep */
	struct spinlock watch_lock;
	struct wait_queue watch_wq;
};

extern struct vblk_state vblk;

/*
 * virtio_blk_limits.c: the device's limits, read at init, and the checks
 * each request passes before it is sent.
 */
int vblk_read_block_size(void);
int vblk_read_request_limits(void);
void vblk_read_range_limits(void);
const char *vblk_block_words(void);
int vblk_aligned(uint32_t type, uint64_t sector, const void *buf,
		 uint32_t len);
int vblk_too_big(uint32_t type, uint32_t len);

#endif
