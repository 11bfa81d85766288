/*
 * Hosted: the guest's virtio-blk driver (kern/virtio_blk.c) when a
 * synchronous request ends in vblk_wait()'s poll while another request
 * of the queue, one with a completion callback, is still out.
 *
 *   blk-poll-rearms: the device (a thread here that polls without
 *     sleeping, so it answers within the driver's poll) completes the
 *     second request, a vblk_read(), first.  vblk_wait() turned the
 *     queue's interrupt off for its poll; when the read returns the
 *     interrupt must be on again, or the callback request's completion
 *     raises none and its callback runs only if something else ever
 *     looks at the queue.  Checked on the ring itself (the used-buffer
 *     notification the driver asks for when the read returns), then by
 *     the device completing the first request and interrupting the way
 *     the ring asks: the callback must run.
 *
 * The driver is included here, to start it afresh, with a poll window of
 * 2 s that the device thread cannot miss however it is scheduled: with
 * the driver's 20 us, a descheduled device thread answered after the
 * poll, and the test passed without the fix it checks (1 run in 5).
 */
#define POLL_NS 2000000000ULL
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
#include "kern_blk_watcher.h"
#include "kern_hosted.h"
#include "verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)

static uint8_t *region;
static struct kspawn_device slot;
static atomic_int stop, answer_first, interrupts, callbacks;

static void *va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

/* The request in avail slot k done, as used entry u. */
static void answer(uint16_t k, uint16_t u)
{
	struct vring_avail *avail = va(slot.queues[0].driver_addr);
	struct vring_desc *desc = va(slot.queues[0].desc_addr);
	struct vring_used *used = va(slot.queues[0].device_addr);
	uint16_t head = avail->ring[k], i = head;

	while (desc[i].flags & VRING_DESC_F_NEXT)
		i = desc[i].next;
	*(uint8_t *)va(desc[i].addr) = VIRTIO_BLK_S_OK;
	used->ring[u].id = head;
	used->ring[u].len = 1;
	__atomic_store_n(&used->idx, u + 1, __ATOMIC_RELEASE);
}

/* Does the driver want an interrupt for used entries up to new_idx? */
static int wants_interrupt(uint16_t new_idx)
{
	struct vring_avail *avail = va(slot.queues[0].driver_addr);
	uint16_t event;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(slot.driver_features & (1ULL << VIRTIO_RING_F_EVENT_IDX)))
		return !(__atomic_load_n(&avail->flags, __ATOMIC_ACQUIRE) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	event = __atomic_load_n(&avail->ring[slot.queues[0].size],
				__ATOMIC_ACQUIRE);
	return vring_need_event(event, new_idx, new_idx - 1);
}

/* Answers the read (avail slot 1) at once, the first request when told. */
static void *device(void *arg)
{
	int acked = 0, second = 0, first = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);
		struct vring_avail *avail;

		if (kh_device_handshake(&slot, &acked) ||
		    !(st & VIRTIO_CONFIG_S_DRIVER_OK) ||
		    !__atomic_load_n(&slot.queues[0].ready, __ATOMIC_ACQUIRE))
			continue;
		avail = va(slot.queues[0].driver_addr);
		if (!second &&
		    __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE) >= 2) {
			answer(1, 0);
			second = 1;
		}
		if (second && !first && atomic_load(&answer_first)) {
			answer(0, 1);
			first = 1;
			if (wants_interrupt(2)) {
				atomic_fetch_add(&interrupts, 1);
				on_irq(&vblk.dev, 0);
			}
		}
	}
	return NULL;
}

static void count(struct vblk_req *r)
{
	(void)r;
	atomic_fetch_add(&callbacks, 1);
}

int main(void)
{
	static struct vblk_req r0;
	static uint8_t b0[VBLK_SECTOR], b1[VBLK_SECTOR];
	int read, armed, waited = 0;
	pthread_t dev;

	region = aligned_alloc(4096, REGION_BYTES);
	if (!region)
		return 2;
	memset(region, 0, REGION_BYTES);
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, 8, 2048);
	pthread_create(&dev, NULL, device, NULL);
	if (vblk_init_queues(1)) {
		verdict("blk-poll-rearms", NULL, 0, "no device");
		goto out;
	}
	vblk_submit_cb(&r0, VIRTIO_BLK_T_IN, 0, b0, sizeof(b0), count, NULL);
	read = vblk_read(0, b1, sizeof(b1));
	armed = wants_interrupt(2);
	atomic_store(&answer_first, 1);
	while (!atomic_load(&callbacks) && waited++ < 2000)
		usleep(100);
	verdict("blk-poll-rearms", NULL,
		read == 0 && armed && atomic_load(&interrupts) == 1 &&
		atomic_load(&callbacks) == 1,
		"the read returned %d (want 0); with the callback request still out the queue asked for %s interrupt; the device sent %d, the callback ran %d times (want 1 and 1)",
		read, armed ? "an" : "no", atomic_load(&interrupts),
		atomic_load(&callbacks));
out:
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
	/* The watcher (for the callback request) ends before the rings go. */
	kh_blk_end_watcher();
	free(region);
	printf("kern_blk_poll: %d failed\n", failures);
	return failures != 0;
}
