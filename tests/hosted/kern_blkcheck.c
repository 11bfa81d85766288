/*
 * Hosted: the guest's blkcheck app (apps/blkcheck.c) over the guest
 * kernel's virtio-blk driver (through kern_hosted.c), against a device
 * played by a thread here, served by hand from the split ring.
 *
 *   blkcheck-error-drains: the device fails blkcheck's first write
 *     (IOERR) and holds the three after it.  blkcheck fails, but its
 *     requests (their headers and status bytes in its stack frame, their
 *     data in its buffers) are the device's until it answers them: it
 *     must wait for them before it returns.  The device answers them
 *     300 ms on, or as soon as blkcheck returned; one answered after
 *     that wrote into a dead frame (ASan's stack-use-after-return aborts
 *     the program then) and the driver would link and mark requests there
 *     at its next look at the ring.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_blkcheck: N failed"
 * last.
 */
#include "kern/virtio_blk.c"
#include "kern/virtio_blk_limits.c"
#include "kern/virtio_blk_sync.c"
#include "apps/blkcheck.c"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"
#include "verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)
#define QSIZE 16
#define DISK_SECTORS 2048		/* 1 MiB: 16 of blkcheck's requests */
#define HOLD_NS 300000000ULL

/*
 * A device that answers late writes into dead frames: make them seen.
 * blkcheck leaves its buffers to the guest's exit, which follows it:
 * no leak report for them.
 */
const char *__asan_default_options(void)
{
	return "detect_stack_use_after_return=1:detect_leaks=0";
}

/* blkcheck's crash mode only; not used here. */
void panic(const char *fmt, ...)
{
	fprintf(stderr, "panic: %s\n", fmt);
	abort();
}

static uint8_t *region;
static struct kspawn_device slot;
static atomic_int returned, stop, failed, held_total, after_return;

static void *va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

/* The chain at head answered with status; nothing written but it. */
static void answer(uint16_t head, uint8_t status)
{
	struct vring_desc *desc = va(slot.queues[0].desc_addr);
	struct vring_used *used = va(slot.queues[0].device_addr);
	uint16_t i = head, idx = used->idx;

	for (int n = 0; n < QSIZE && (desc[i].flags & VRING_DESC_F_NEXT); n++)
		i = desc[i].next;
	*(uint8_t *)va(desc[i].addr) = status;
	used->ring[idx % QSIZE].id = head;
	used->ring[idx % QSIZE].len = 1;
	__atomic_store_n(&used->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

/*
 * The first write of sector 0 fails at once; every other request is
 * held, and answered OK once blkcheck returned or HOLD_NS after the
 * failure, whichever comes first.
 */
static void *device(void *arg)
{
	uint16_t seen = 0, held[QSIZE];
	int acked = 0, nheld = 0;
	uint64_t failed_at = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);
		struct vring_avail *avail;
		struct vring_desc *desc;

		if (kh_device_handshake(&slot, &acked) ||
		    !(st & VIRTIO_CONFIG_S_DRIVER_OK)) {
			usleep(50);
			continue;
		}
		avail = va(slot.queues[0].driver_addr);
		desc = va(slot.queues[0].desc_addr);
		while (seen != __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE)) {
			uint16_t head = avail->ring[seen++ % QSIZE];
			const struct virtio_blk_outhdr *h = va(desc[head].addr);

			if (!atomic_load(&failed) && h->type == VIRTIO_BLK_T_OUT &&
			    !h->sector) {
				answer(head, VIRTIO_BLK_S_IOERR);
				atomic_store(&failed, 1);
				failed_at = time_ns();
			} else if (nheld < QSIZE) {
				held[nheld++] = head;
				atomic_fetch_add(&held_total, 1);
			}
		}
		if (nheld && atomic_load(&failed) &&
		    (atomic_load(&returned) || time_ns() - failed_at > HOLD_NS)) {
			int late = atomic_load(&returned);

			for (int k = 0; k < nheld; k++) {
				atomic_fetch_add(&after_return, late);
				answer(held[k], VIRTIO_BLK_S_OK);
			}
			nheld = 0;
		}
		usleep(50);
	}
	return NULL;
}

static void error_drains(void)
{
	char *argv[] = { "blkcheck", "qd=4", NULL };
	pthread_t t;
	int r;

	memset(region, 0, REGION_BYTES);
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, QSIZE, DISK_SECTORS);
	pthread_create(&t, NULL, device, NULL);
	r = blkcheck_main(2, argv);
	atomic_store(&returned, 1);
	/* A request left with the device is answered now. */
	usleep(20000);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	verdict("blkcheck-error-drains", NULL,
		r == 1 && atomic_load(&failed) && atomic_load(&held_total) == 3 &&
		!atomic_load(&after_return),
		"blkcheck returned %d (want 1), write failed %d, %d held (want 3), %d of them answered after blkcheck returned (want 0)",
		r, atomic_load(&failed), atomic_load(&held_total),
		atomic_load(&after_return));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	region = aligned_alloc(4096, REGION_BYTES);
	error_drains();
	free(region);
	printf("kern_blkcheck: %d failed\n", failures);
	return failures != 0;
}
