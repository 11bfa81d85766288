/*
 * virtio-blk driver: requests go to the device asynchronously (many in
 * flight, up to the queue size) and complete through the queue's
 * interrupt; blocking wrappers for the simple cases.
 */
#ifndef KERN_VIRTIO_BLK_H
#define KERN_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_blk.h>

#define VBLK_SECTOR 512

/* A request: type VIRTIO_BLK_T_*; status VIRTIO_BLK_S_*. */
struct vblk_req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;			/* set by the device */
	volatile int done;
	uint32_t written;
};

/* Find and start the first block device; 0 or -1 (no device). */
int vblk_init(void);
uint64_t vblk_sectors(void);

/*
 * Queue one request (buf may be NULL for FLUSH); waits for room in the
 * queue if it is full.  Returns 0 or -1 if the device is unusable.
 */
int vblk_submit(struct vblk_req *r, uint32_t type, uint64_t sector,
		void *buf, uint32_t len);

/* Wait for r; 0 if the device said OK, -1 otherwise. */
int vblk_wait(struct vblk_req *r);

int vblk_read(uint64_t sector, void *buf, uint32_t len);
int vblk_write(uint64_t sector, const void *buf, uint32_t len);
int vblk_flush(void);
/* Sectors [sector, +count) read back as zeroes afterwards. */
int vblk_discard(uint64_t sector, uint32_t count);
int vblk_write_zeroes(uint64_t sector, uint32_t count);

/* The device itself, for the hostile-guest tests that break its rules. */
struct virtio_dev *vblk_dev(void);

#endif
