/*
 * Hosted: the guest kernel's virtio-blk driver (kern/virtio_blk.c, through
 * kern_hosted.c) against a hostile device played by a thread here.
 *
 *   blk-reset-before-return: the device takes a vblk_read() and, instead
 *     of answering, asks for a reset (NEEDS_RESET).  The read fails, but
 *     its request (header and status byte on the driver's stack) and its
 *     data (on the caller's) were in the ring: the driver must have reset
 *     the device, which then touches nothing of it, before it returns.
 *     A device that was not reset completes the read afterwards, as it
 *     may, writing into the dead frames: ASan (stack-use-after-return)
 *     aborts the program then, and the check fails besides.
 *
 *   blk-reset-backend: the same against the blk device (host/backend/
 *     blk.c): the request on the stack is outside the region, which the
 *     device refuses with NEEDS_RESET; the driver resets it through the
 *     slot's handshake (ABI: reset), which the device answers, before
 *     the read returns; later requests fail at once.
 *
 * The driver is included here, to start it afresh for each case.
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_blk: N failed" last.
 */
#include "kern/virtio_blk.c"
#include "kern/virtio_blk_sync.c"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"
#include "verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)
#define QSIZE 8

/* A device that completes late writes into dead frames: make them seen. */
const char *__asan_default_options(void)
{
	return "detect_stack_use_after_return=1";
}

static uint8_t *region;
static struct kspawn_device slot;
static atomic_int returned, reset_seen, reset_before_return, completed;

/* What the device calls gpa, where the driver named it from (any memory). */
static void *va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

/*
 * The device: FEATURES_OK answered; the first request taken and a reset
 * asked for; a reset done when the driver asks (slot.reset), and after
 * that nothing touched.  Not reset once the driver returned: the request
 * completed, as a device that still owns it may.
 */
static void *device(void *arg)
{
	uint16_t head = 0;
	int acked = 0, taken = 0;

	(void)arg;
	while (!completed) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);

		/*
		 * virtio_start()'s reset first, then the one that counts,
		 * judged before the handshake acknowledges it: from then on
		 * the driver may fail the read and return.
		 */
		if (taken && __atomic_load_n(&slot.reset, __ATOMIC_ACQUIRE)) {
			reset_before_return = !returned;
			reset_seen = 1;
			kh_device_handshake(&slot, &acked);
			break;
		}
		if (kh_device_handshake(&slot, &acked))
			continue;
		if ((st & VIRTIO_CONFIG_S_DRIVER_OK) && !taken &&
		    __atomic_load_n(&slot.queues[0].ready, __ATOMIC_ACQUIRE)) {
			struct vring_avail *avail = va(slot.queues[0].driver_addr);

			if (__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE)) {
				head = avail->ring[0];
				taken = 1;
				__atomic_store_n(&slot.status,
						 st | VIRTIO_CONFIG_S_NEEDS_RESET,
						 __ATOMIC_RELEASE);
			}
		}
		if (taken && returned) {
			/* The chain as it was: header, data, status byte. */
			kh_blk_complete_split(&slot, va, head, 0xa5, 0);
			completed = 1;
		}
		usleep(100);
	}
	return NULL;
}

/* A caller whose buffer lives in its own frame, as vblk_read()'s do. */
static __attribute__((noinline)) int read_on_stack(void)
{
	uint8_t buf[VBLK_SECTOR];

	return vblk_read(0, buf, sizeof(buf));
}

static void hostile_device(void)
{
	pthread_t t;
	int r;

	memset(&vb, 0, sizeof(vb));
	memset(region, 0, REGION_BYTES);
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, QSIZE, 2048);
	pthread_create(&t, NULL, device, NULL);

	if (vblk_init_queues(1)) {
		verdict("blk-reset-before-return", NULL, 0, "no device");
		completed = 1;
		pthread_join(t, NULL);
		return;
	}
	r = read_on_stack();
	returned = 1;
	/* A device left with the request completes it now, or soon. */
	for (int ms = 0; ms < 200 && !reset_seen && !completed; ms++)
		usleep(1000);
	verdict("blk-reset-before-return", NULL,
		r && reset_seen && reset_before_return,
		"vblk_read returned %d with its request still the device's (reset %s)",
		r, reset_seen ? "after it returned" : "never asked for");
	completed = 1;
	pthread_join(t, NULL);
}

static void backend(void)
{
	struct kb_region kr = { region, BASE, REGION_BYTES };
	struct kb_blk blk;
	void *ram = kb_ram_new(1u << 20);
	int r, again;

	memset(&vb, 0, sizeof(vb));
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	vh_region(region, BASE, REGION_BYTES, 0);
	kb_blk_init(&blk, &slot, &kr, &no_notify_ops, NULL, &kb_ram_ops, ram,
		    1u << 20, "hosted");
	vh_poll(&blk.dev);
	kh_slot = &slot;
	if (vblk_init_queues(1)) {
		verdict("blk-reset-backend", NULL, 0, "no device");
		kb_ram_free(ram);
		return;
	}
	r = read_on_stack();
	again = read_on_stack();
	verdict("blk-reset-backend", NULL,
		r && again && vb.drained && !blk.dev.live && !slot.reset &&
		!slot.status && blk.dev.violations == 1,
		"reads %d then %d, the driver %s, the device %s (status %#x, reset %u, %llu violations)",
		r, again, vb.drained ? "down" : "up",
		blk.dev.live ? "still live" : "reset", slot.status, slot.reset,
		(unsigned long long)blk.dev.violations);
	vh_poll(NULL);
	kb_ram_free(ram);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	region = aligned_alloc(4096, REGION_BYTES);
	hostile_device();
	backend();
	free(region);
	printf("kern_blk: %d failed\n", failures);
	return failures != 0;
}
