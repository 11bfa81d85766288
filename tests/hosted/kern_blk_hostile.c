/*
 * Hosted: the guest kernel's virtio-blk driver (kern/virtio_blk.c, through
 * kern_hosted.c) against a device, played by a thread here, that breaks
 * the used ring's rules on a vblk_read(), split ring and packed:
 *
 *   blk-hostile-id-{split,packed}: the read's used entry names no chain
 *     (an id past the ring).
 *   blk-hostile-jump-split: a first read completed, a second answered by
 *     the used index moved on by the ring's size and one, no entry
 *     written: the stale entries name the first read's head, the second
 *     read's now.
 *
 *   blk-hostile-len-split: a read completed OK, its used entry's length
 *     UINT32_MAX: the request's written, what the driver tells its
 *     caller the device wrote, is at most what the request let it
 *     write (the data and the status byte), not the device's claim.
 *
 *   blk-init-failed: a device whose blk_size is no power of two: the
 *     driver does not use it, and says so (FAILED, virtio 3.1.1) rather
 *     than leave it at FEATURES_OK waiting for a DRIVER_OK.
 *   blk-features-refused: a device that answers FEATURES_OK by clearing
 *     it (virtio 3.1.1: the features are not accepted): the slot
 *     transport sees the refusal, and the driver fails the device, no
 *     DRIVER_OK.
 *
 * The read must fail, not wait for ever (nor spin in the driver's reap,
 * lock held, interrupts off), and only once the device was reset: its
 * request and data were in the ring, on the caller's stack, and a device
 * not reset may still write there.  Reads after it fail at once.  A read
 * still out after HANG_MS fails the case and ends the program.
 *
 * The driver is included here, to start it afresh for each case.
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_blk_hostile: N
 * failed" last.
 */
#include "kern/virtio_blk.c"
#include "kern/virtio_blk_limits.c"
#include "kern/virtio_blk_sync.c"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"
#include "verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)
#define QSIZE 8
#define HANG_MS 3000

#define F_AVAIL (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1U << VRING_PACKED_DESC_F_USED)

static uint8_t *region;
static struct kspawn_device slot;
static atomic_int stop, returned, reset_seen, reset_before_return, read_rc;
static atomic_int first_rc;
static int packed, jump, overlong, refuse;

static void *va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

/* The first request is available (split: avail->idx; packed: slot 0). */
static int available(void)
{
	if (packed) {
		struct vring_packed_desc *ring = va(slot.queues[0].desc_addr);

		return __atomic_load_n(&ring[0].flags, __ATOMIC_ACQUIRE) &
		       F_AVAIL;
	}
	return __atomic_load_n(&((struct vring_avail *)
				 va(slot.queues[0].driver_addr))->idx,
			       __ATOMIC_ACQUIRE) != 0;
}

/* The broken used entry, where the driver looks for the first. */
static void answer(uint32_t id)
{
	if (packed) {
		struct vring_packed_desc *ring = va(slot.queues[0].desc_addr);

		ring[0].id = (uint16_t)id;
		ring[0].len = 1;
		__atomic_store_n(&ring[0].flags, F_AVAIL | F_USED,
				 __ATOMIC_RELEASE);
	} else {
		struct vring_used *used = va(slot.queues[0].device_addr);

		used->ring[0].id = id;
		used->ring[0].len = 1;
		__atomic_store_n(&used->idx, 1, __ATOMIC_RELEASE);
	}
}

/*
 * Split: the first request completed, OK, its whole chain written; the
 * used entry's length is the bytes written (claim 0) or claim (a device
 * that lies about it).
 */
static void complete_first(uint32_t claim)
{
	struct vring_avail *avail = va(slot.queues[0].driver_addr);

	kh_blk_complete_split(&slot, va, avail->ring[0], 0, claim);
}

/* Split: the second request answered by an index QSIZE + 1 on. */
static int jumped(void)
{
	struct vring_avail *avail = va(slot.queues[0].driver_addr);
	struct vring_used *used = va(slot.queues[0].device_addr);

	if (__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE) < 2)
		return 0;
	__atomic_store_n(&used->idx, (uint16_t)(1 + QSIZE + 1),
			 __ATOMIC_RELEASE);
	return 1;
}

/*
 * FEATURES_OK answered; the first request answered with the broken
 * entry (jump: completed, and the second with the index jumped); the reset the driver asks for done, and noted: before the read
 * returned, or not.
 */
static void *device(void *arg)
{
	int acked = 0, answered = 0, first = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);

		/*
		 * The reset judged before the handshake acknowledges it:
		 * from then on the driver may fail the read and return.
		 */
		if (answered && !atomic_load(&reset_seen) &&
		    __atomic_load_n(&slot.reset, __ATOMIC_ACQUIRE)) {
			atomic_store(&reset_before_return,
				     !atomic_load(&returned));
			atomic_store(&reset_seen, 1);
		}
		if (refuse && (st & VIRTIO_CONFIG_S_FEATURES_OK) && !acked) {
			/* The answer, then its count (as host/backend's). */
			__atomic_store_n(&slot.status,
					 st & ~VIRTIO_CONFIG_S_FEATURES_OK,
					 __ATOMIC_RELEASE);
			__atomic_fetch_add(&slot.features_ack, 1,
					   __ATOMIC_RELEASE);
			acked = 1;
		}
		if (kh_device_handshake(&slot, &acked))
			continue;
		if (!answered && (st & VIRTIO_CONFIG_S_DRIVER_OK) &&
		    __atomic_load_n(&slot.queues[0].ready, __ATOMIC_ACQUIRE) &&
		    available()) {
			if (overlong) {
				complete_first(UINT32_MAX);
				answered = 1;
			} else if (!jump) {
				answer(QSIZE + 3);
				answered = 1;
			} else if (!first) {
				complete_first(0);
				first = 1;
			} else {
				answered = jumped();
			}
		}
		usleep(50);
	}
	return NULL;
}

/* A caller whose buffer lives in its own frame, as vblk_read()'s do. */
static __attribute__((noinline)) int read_on_stack(void)
{
	uint8_t buf[VBLK_SECTOR];

	return vblk_read(0, buf, sizeof(buf));
}

static void *reader(void *arg)
{
	(void)arg;
	/* Jump: the first read must succeed, the second is the case's. */
	if (jump && read_on_stack())
		atomic_store(&first_rc, -1);
	atomic_store(&read_rc, read_on_stack());
	atomic_store(&returned, 1);
	return NULL;
}

/* A fresh driver and device, the device's thread not yet started. */
static void fresh(uint64_t features)
{
	memset(&vblk, 0, sizeof(vblk));
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	atomic_store(&stop, 0);
	atomic_store(&returned, 0);
	atomic_store(&reset_seen, 0);
	atomic_store(&reset_before_return, 0);
	atomic_store(&first_rc, 0);
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, QSIZE, 2048);
	kh_want = features & (1ULL << VIRTIO_F_RING_PACKED);
	slot.device_features |= features;
}

static void hostile(const char *name, const char *layout)
{
	pthread_t dev, rd;
	int again, ms;

	fresh(packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	pthread_create(&dev, NULL, device, NULL);
	if (vblk_init_queues(1) || vblk.dev.vq[0].packed != packed) {
		verdict(name, layout, 0, "no device, or not the layout asked for");
		goto out;
	}
	pthread_create(&rd, NULL, reader, NULL);
	for (ms = 0; ms < HANG_MS && !atomic_load(&returned); ms++)
		usleep(1000);
	if (!atomic_load(&returned)) {
		verdict(name, layout, 0,
			"vblk_read still out after %d ms: the driver hangs on the broken ring",
			HANG_MS);
		printf("kern_blk_hostile: %d failed\n", failures);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(rd, NULL);
	again = read_on_stack();
	verdict(name, layout,
		!atomic_load(&first_rc) && atomic_load(&read_rc) && again &&
		atomic_load(&reset_seen) && atomic_load(&reset_before_return),
		"reads %d then %d (want both to fail%s), the device %s",
		atomic_load(&read_rc), again,
		atomic_load(&first_rc) ? "; and the read before them failed" : "",
		!atomic_load(&reset_seen) ? "never reset" :
		atomic_load(&reset_before_return) ?
		"reset before the read returned" :
		"reset only after the read returned");
out:
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
}

static void overlong_len(void)
{
	uint8_t buf[VBLK_SECTOR];
	struct vblk_req r = { .written = 0 };
	pthread_t dev;
	int rc;

	fresh(0);
	overlong = 1;
	pthread_create(&dev, NULL, device, NULL);
	if (vblk_init_queues(1)) {
		verdict("blk-hostile-len", "split", 0, "no device");
		goto out;
	}
	rc = vblk_submit(&r, VIRTIO_BLK_T_IN, 0, buf, sizeof(buf)) ?:
	     vblk_wait(&r);
	verdict("blk-hostile-len", "split", !rc && r.written == sizeof(buf) + 1,
		"read %d (want 0), written %u for a claim of %u (want %zu: the data and the status byte)",
		rc, r.written, UINT32_MAX, sizeof(buf) + 1);
out:
	overlong = 0;
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
}

static void init_failed(void)
{
	uint32_t bad = 3000;
	pthread_t dev;
	uint8_t st;
	int rc;

	fresh(1ULL << VIRTIO_BLK_F_BLK_SIZE);
	memcpy(slot.config + offsetof(struct virtio_blk_config, blk_size), &bad,
	       sizeof(bad));
	pthread_create(&dev, NULL, device, NULL);
	rc = vblk_init_queues(1);
	st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);
	verdict("blk-init-failed", "split",
		rc && (st & VIRTIO_CONFIG_S_FAILED) &&
		!(st & VIRTIO_CONFIG_S_DRIVER_OK),
		"init %d (want -1), status %#x (want FAILED, not DRIVER_OK)",
		rc, st);
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
}

static void features_refused(void)
{
	pthread_t dev;
	uint8_t st;
	int rc;

	fresh(0);
	refuse = 1;
	pthread_create(&dev, NULL, device, NULL);
	rc = vblk_init_queues(1);
	st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);
	verdict("blk-features-refused", "split",
		rc && (st & VIRTIO_CONFIG_S_FAILED) &&
		!(st & VIRTIO_CONFIG_S_DRIVER_OK),
		"init %d (want -1), status %#x (want FAILED, not DRIVER_OK)",
		rc, st);
	refuse = 0;
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	region = aligned_alloc(4096, REGION_BYTES);
	if (!region)
		return 2;
	for (packed = 0; packed < 2; packed++)
		hostile("blk-hostile-id", packed ? "packed" : "split");
	packed = 0;
	jump = 1;
	hostile("blk-hostile-jump", "split");
	jump = 0;
	overlong_len();
	init_failed();
	features_refused();
	free(region);
	printf("kern_blk_hostile: %d failed\n", failures);
	return failures != 0;
}
