/*
 * virtio-blk driver: requests go to the device asynchronously (many in
 * flight, up to the queue size) and complete through the queue's
 * interrupt; blocking wrappers for the simple cases.  With
 * VIRTIO_BLK_F_MQ each guest CPU submits on a queue of its own.
 *
 * Asynchronous use: vblk_submit() as many requests as wanted (it waits
 * only when the queue is full), then vblk_wait() for each, or give each a
 * complete callback and let the completions call it.
 */
#ifndef KERN_VIRTIO_BLK_H
#define KERN_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_blk.h>

#include "lib/list.h"

/*
 * Sector numbers and capacity are in 512-byte units, as in virtio; I/O is
 * in whole blocks of vblk_block_size() bytes (the device's blk_size: 4096
 * on a 4 KiB-sector disk), at sectors that are multiples of it.
 */
#define VBLK_SECTOR 512

/* A request: type VIRTIO_BLK_T_*; status VIRTIO_BLK_S_*. */
struct vblk_req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;			/* set by the device */
	volatile int done;
	/*
	 * Bytes the device says it wrote: its used length, read once and
	 * cut to writable, so that a device claiming more than the
	 * request's buffers hold takes no caller that trusts it past them.
	 */
	uint32_t written;
	uint32_t writable;		/* a read's data and the status byte */
	unsigned int queue;		/* the queue it went on */
	void (*complete)(struct vblk_req *r);	/* vblk_submit_cb's */
	void *ctx;
	struct list_node node;		/* on its queue's out list while out */
};

/*
 * Find and start the first block device; 0 or -1 (no device).  Once:
 * later calls return 0.  vblk_init() asks for a queue per guest CPU,
 * vblk_init_queues(n) for at most n (1: no VIRTIO_BLK_F_MQ, as a driver
 * without it).
 */
int vblk_init(void);
int vblk_init_queues(unsigned int max_queues);
/* The capacity in sectors, rounded down to a whole block. */
uint64_t vblk_sectors(void);
/* Bytes in a block: the unit and alignment of every read and write. */
uint32_t vblk_block_size(void);
unsigned int vblk_queues(void);		/* request queues in use */

/*
 * The most data one request may carry: the device's size_max (bytes in
 * a segment) times its seg_max (segments), as far as the driver builds
 * them (16, and what fits a queue's ring or an indirect table), or less
 * if lowered.  vblk_read and vblk_write split longer transfers.
 */
uint32_t vblk_max_bytes(void);
/*
 * The most sectors one DISCARD (type VIRTIO_BLK_T_DISCARD) or
 * WRITE_ZEROES range may cover: the device's max_discard_sectors or
 * max_write_zeroes_sectors, in whole blocks (a device fails a longer
 * range).  vblk_discard and vblk_write_zeroes split longer ones.
 */
uint32_t vblk_max_range(uint32_t type);
/*
 * Lower that to bytes (whole blocks; 0 or more than the device allows:
 * the device's limit again), as Linux's max_sectors_kb does: shorter
 * requests, for latency beside big transfers.  Returns the new limit.
 */
uint32_t vblk_limit_bytes(uint32_t bytes);

/*
 * Queue one request (buf may be NULL for FLUSH); waits for room in the
 * queue if it is full.  Returns 0, -1 if the device is unusable, and
 * with nothing sent: -EINVAL for a read, write, discard or write-zeroes
 * not in whole blocks, -E2BIG for more than vblk_max_bytes() of data
 * (the first of each refused is named on the console).
 */
int vblk_submit(struct vblk_req *r, uint32_t type, uint64_t sector,
		void *buf, uint32_t len);

/*
 * The same, and complete(r) is called once r is done (vblk_status() says
 * how; r->ctx is ctx): from the completion's interrupt, a waiter or the
 * driver's watcher thread, on any CPU, with the queue's lock held and
 * interrupts off, so it must not sleep, submit or wait; r is the
 * caller's again once it returns.  Nobody need wait for r: the first
 * such request starts the watcher, which resets a device that breaks
 * (as vblk_wait does) and so fails r then, within about 100 ms.
 */
int vblk_submit_cb(struct vblk_req *r, uint32_t type, uint64_t sector,
		   void *buf, uint32_t len, void (*complete)(struct vblk_req *r),
		   void *ctx);

/*
 * Wait for r; 0 if the device said OK, -1 otherwise.  A device that asks
 * to be reset (NEEDS_RESET), or breaks the queue's used ring (an entry
 * naming no request out, say), is reset before this returns, and every
 * request it still had fails (done, status not OK, callbacks called): it
 * can write into none of them afterwards.  The driver stays down then.
 */
int vblk_wait(struct vblk_req *r);
/* The same for a request known done (in its complete callback). */
int vblk_status(const struct vblk_req *r);

/*
 * Blocking (virtio_blk_sync.c).  Any length in whole blocks, in as many
 * requests as the device needs.
 */
int vblk_read(uint64_t sector, void *buf, uint32_t len);
int vblk_write(uint64_t sector, const void *buf, uint32_t len);
int vblk_flush(void);
/*
 * Sectors [sector, +count), whole blocks, read back as zeroes afterwards,
 * in as many requests as the device's limit needs (vblk_max_range());
 * -EOPNOTSUPP where the device does not offer it.  A request that fails
 * ends the call: the ones before it are done, so the range is then
 * partly discarded (or zeroed), as after a failed write.
 */
int vblk_discard(uint64_t sector, uint64_t count);
int vblk_write_zeroes(uint64_t sector, uint64_t count);

/* The device itself, for the hostile-guest tests that break its rules. */
struct virtio_dev *vblk_dev(void);
/*
 * The features virtio_open() negotiated (VIRTIO_BLK_F_* bits; 0 before
 * it), for the blocking calls (virtio_blk_sync.c): what they may send.
 */
uint64_t vblk_features(void);

#endif
