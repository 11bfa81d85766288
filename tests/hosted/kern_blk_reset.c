/*
 * Hosted: the guest's virtio-blk reset (vblk_reset_dead) with more than
 * one party, against a device played by a thread here that takes two
 * requests and then asks for a reset (NEEDS_RESET).
 *
 *   blk-reset-waiters: a second thread waits on its own request while the
 *     first resets the device; the resetter is slow to reach the queue's
 *     lock (a kern_hosted lock hook sleeps 30 ms there, as a CPU spinning
 *     on it or taking an interrupt would).  The waiter must not return
 *     before its request was failed and taken off the queue's list: its
 *     request lives in its frame, which the drain would write once gone.
 *
 *   blk-reset-stale-used: the device completes the first request, then
 *     breaks.  The reset keeps that result, fails the other, and calls
 *     each callback once; an interrupt that comes later (or any waiter's
 *     look at the ring) must not complete either again.
 *
 *   blk-reset-callbacks-{needs-reset,broken-ring}: both requests have
 *     only a completion callback, and nothing here submits or waits
 *     after them: the device asks for a reset, or breaks the used ring
 *     (an entry naming no request, with its interrupt).  The driver
 *     must still reset it and fail both, each callback called once,
 *     within HANG_MS: before, only a waiter or a later submit reset the
 *     device, and the callbacks never ran.  The broken ring wakes the
 *     watcher once, at the interrupt that found it: before, every look
 *     at the broken ring woke it again (three times here: the
 *     interrupt's, the watcher's own and the reset's).
 *
 *   blk-reset-late-used: the device answers one of two requests as it
 *     is reset, before it says so: the drain keeps that answer (OK) and
 *     fails the other (its count of bytes written from an earlier use
 *     not kept).  Then it names the failed one in the used ring
 *     with an interrupt, as a device that went on after its reset: the
 *     driver's queue is dead, the ring not read (a mutation audit: both
 *     the drain's look at the ring and the dead mark were untested).
 *
 *   blk-reset-watcher-woken: the watcher asleep with no deadline, as
 *     when no callback request is out, is woken by the next one: on the
 *     kernel nothing else wakes it (the hosted waits poll, so the case
 *     marks the watcher idle by hand rather than run its thread); its
 *     request failed by the reset, none is counted out any more (the
 *     watcher would look every 100 ms for ever).
 *
 *   blk-reset-config-irq: as -callbacks-needs-reset, the device sending
 *     its config interrupt after NEEDS_RESET, as the backend does: the
 *     driver gave the slot a config vector, and its watcher, asleep
 *     until a wake-up or its deadline (a wait hook in kern_hosted.c;
 *     the deadline 500 ms here), is woken by the interrupt and resets
 *     the device with no wait run out after NEEDS_RESET.  Before, no
 *     vector was given and only the watcher's next look, 100 ms later
 *     on the kernel, found the device's request.
 *
 * The driver is included here, to start it afresh for each case.
 */
#include "kern/virtio_blk.c"
#include "kern/virtio_blk_limits.c"

#include <pthread.h>
#include <stdint.h>
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

#define HANG_MS 3000

static uint8_t *region;
static struct kspawn_device slot;
static volatile int stop, complete_first, break_ring, resets;
static volatile int complete_at_reset, config_irq;
static pthread_t resetter;

static void *va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

#define CONFIG_VECTOR 40

/*
 * The config interrupt, as the backend sends it after NEEDS_RESET
 * (host/backend/device.c): to the vector the driver put in the slot.
 */
static void raise_config(void)
{
	uint32_t v = __atomic_load_n(&slot.config_vector, __ATOMIC_ACQUIRE);

	if (v == CONFIG_VECTOR && vblk.dev.on_irq[VDEV_CONFIG_IRQ])
		vblk.dev.on_irq[VDEV_CONFIG_IRQ](&vblk.dev,
						   VDEV_CONFIG_IRQ);
}

/*
 * FEATURES_OK answered, resets done when asked; once two requests are
 * available, the first completed (if complete_first) and a reset asked.
 */
static void *device(void *arg)
{
	int acked = 0, broke = 0;

	(void)arg;
	while (!stop) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);
		int armed = complete_at_reset;
		int rst = __atomic_load_n(&slot.reset, __ATOMIC_ACQUIRE);

		/*
		 * The first request answered as the reset is asked, before it.
		 * The reset flag read once for both: a reset asked between
		 * this look and the handshake's would be done with the request
		 * never answered, so the handshake waits for the next turn.
		 */
		if (armed && rst) {
			complete_at_reset = 0;
			kh_blk_complete_split(&slot, va,
					      ((struct vring_avail *)va(
					      slot.queues[0].driver_addr))->ring[0],
					      0, 0);
		}
		if ((!armed || rst) && kh_device_handshake(&slot, &acked)) {
			resets++;
			continue;
		}
		if ((st & VIRTIO_CONFIG_S_DRIVER_OK) && !broke &&
		    __atomic_load_n(&slot.queues[0].ready, __ATOMIC_ACQUIRE)) {
			struct vring_avail *avail = va(slot.queues[0].driver_addr);

			if (__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE) >= 2) {
				if (complete_first) {
					struct vring_desc *desc =
						va(slot.queues[0].desc_addr);
					struct vring_used *used =
						va(slot.queues[0].device_addr);
					uint16_t h = avail->ring[0], i = h;

					while (desc[i].flags & VRING_DESC_F_NEXT)
						i = desc[i].next;
					*(uint8_t *)va(desc[i].addr) =
						VIRTIO_BLK_S_OK;
					used->ring[0].id = h;
					used->ring[0].len = 1;
					__atomic_store_n(&used->idx, 1,
							 __ATOMIC_RELEASE);
				}
				broke = 1;
				if (break_ring) {
					struct vring_used *used =
						va(slot.queues[0].device_addr);

					used->ring[0].id = 99;	/* no chain */
					__atomic_store_n(&used->idx, 1,
							 __ATOMIC_RELEASE);
					on_irq(&vblk.dev, 0);
					continue;
				}
				__atomic_store_n(&slot.status,
						 st | VIRTIO_CONFIG_S_NEEDS_RESET,
						 __ATOMIC_RELEASE);
				if (config_irq)
					raise_config();
			}
		}
		usleep(100);
	}
	return NULL;
}

static int start(pthread_t *t, int first_completes)
{
	kh_blk_end_watcher();
	memset(&vblk, 0, sizeof(vblk));
	memset(&slot, 0, sizeof(slot));
	memset(region, 0, REGION_BYTES);
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, 8, 2048);
	complete_first = first_completes;
	break_ring = 0;
	resets = 0;
	stop = 0;
	pthread_create(t, NULL, device, NULL);
	return vblk_init_queues(1);
}

/* The waiter's request, and what it found when vblk_wait() returned. */
static struct vblk_req waited;
static uint8_t waited_buf[VBLK_SECTOR];
static volatile int wait_ret = 99, wait_done = 99, wait_linked = 99;

static void *waiter(void *arg)
{
	(void)arg;
	if (vblk_submit(&waited, VIRTIO_BLK_T_IN, 0, waited_buf,
			sizeof(waited_buf))) {
		wait_ret = -100;
		return NULL;
	}
	wait_ret = vblk_wait(&waited);
	wait_done = waited.done;
	wait_linked = waited.node.next != &waited.node;
	return NULL;
}

/* The resetter, once it told the device to reset, slow to the lock. */
static void slow_resetter(void)
{
	static int slept;

	if (pthread_equal(pthread_self(), resetter) && !slept &&
	    __atomic_load_n(&vblk.stopping, __ATOMIC_ACQUIRE)) {
		slept = 1;
		usleep(30000);
	}
}

static void waiters(void)
{
	static struct vblk_req mine;
	static uint8_t buf[VBLK_SECTOR];
	pthread_t dev, other;

	resetter = pthread_self();
	if (start(&dev, 0)) {
		verdict("blk-reset-waiters", NULL, 0, "no device");
		goto out;
	}
	vblk_submit(&mine, VIRTIO_BLK_T_IN, 0, buf, sizeof(buf));
	pthread_create(&other, NULL, waiter, NULL);
	/*
	 * Now and then the waiter sees NEEDS_RESET first and resets the
	 * device itself, and the status is whole again before we look: its
	 * vblk_wait() has returned then, and ours finds our request failed
	 * by that reset (the case then checks less, but must not hang).
	 */
	while (!virtio_broken(&vblk.dev) && wait_ret == 99)
		usleep(100);
	kh_lock_hook = slow_resetter;
	vblk_wait(&mine);		/* finds it broken: the reset is ours */
	kh_lock_hook = NULL;
	pthread_join(other, NULL);
	verdict("blk-reset-waiters", NULL,
		wait_ret == -1 && wait_done == 1 && !wait_linked,
		"the waiter's vblk_wait returned %d with its request done %d, still on the queue's list %d (want -1, 1, 0)",
		wait_ret, wait_done, wait_linked);
out:
	stop = 1;
	pthread_join(dev, NULL);
}

static int callbacks[2];

static void count(struct vblk_req *r)
{
	callbacks[(intptr_t)r->ctx]++;
}

static void stale_used(void)
{
	static struct vblk_req r0, r1, r2;
	static uint8_t b0[VBLK_SECTOR], b1[VBLK_SECTOR], b2[VBLK_SECTOR];
	uint8_t status0;
	pthread_t dev;
	int e;

	if (start(&dev, 1)) {
		verdict("blk-reset-stale-used", NULL, 0, "no device");
		goto out;
	}
	vblk_submit_cb(&r0, VIRTIO_BLK_T_IN, 0, b0, sizeof(b0), count,
		       (void *)0);
	vblk_submit_cb(&r1, VIRTIO_BLK_T_IN, 0, b1, sizeof(b1), count,
		       (void *)1);
	/* Or the driver already found it so, and is resetting it. */
	while (!virtio_broken(&vblk.dev) &&
	       !__atomic_load_n(&vblk.stopping, __ATOMIC_ACQUIRE))
		usleep(100);
	e = vblk_submit(&r2, VIRTIO_BLK_T_IN, 0, b2, sizeof(b2));
	status0 = r0.status;
	on_irq(&vblk.dev, 0);		/* late, or a waiter's reap */
	verdict("blk-reset-stale-used", NULL,
		e == -1 && status0 == VIRTIO_BLK_S_OK &&
		r1.status == VIRTIO_BLK_S_IOERR && callbacks[0] == 1 &&
		callbacks[1] == 1 && r0.status == VIRTIO_BLK_S_OK,
		"submit after the break %d (want -1); the completed request's status %u, then %u after a later interrupt (want %u); the other's %u (want %u); callbacks %d and %d (want 1 and 1)",
		e, status0, r0.status, VIRTIO_BLK_S_OK, r1.status,
		VIRTIO_BLK_S_IOERR, callbacks[0], callbacks[1]);
out:
	stop = 1;
	pthread_join(dev, NULL);
}

/* Wake-ups of the watcher between a queue's break and the reset's end. */
static int watch_wakes;

static void count_watch_wakes(struct wait_queue *wq)
{
	if (wq == &vblk.watch_wq &&
	    !__atomic_load_n(&vblk.drained, __ATOMIC_ACQUIRE) &&
	    vblk.q[0].vq->broken)
		__atomic_add_fetch(&watch_wakes, 1, __ATOMIC_RELAXED);
}

/*
 * Two callback requests, and then nothing but a look at the callbacks:
 * the device breaks (ring: the used ring; else NEEDS_RESET) and the
 * driver alone must reset it and fail both.
 */
static void callbacks_only(int ring)
{
	static struct vblk_req r0, r1;
	static uint8_t b0[VBLK_SECTOR], b1[VBLK_SECTOR];
	const char *name = ring ? "blk-reset-callbacks-broken-ring" :
				  "blk-reset-callbacks-needs-reset";
	pthread_t dev;
	int waited = 0;

	memset(callbacks, 0, sizeof(callbacks));
	if (start(&dev, 0)) {
		verdict(name, NULL, 0, "no device");
		goto out;
	}
	break_ring = ring;
	watch_wakes = 0;
	kh_wake_hook = count_watch_wakes;
	vblk_submit_cb(&r0, VIRTIO_BLK_T_IN, 0, b0, sizeof(b0), count,
		       (void *)0);
	vblk_submit_cb(&r1, VIRTIO_BLK_T_IN, 0, b1, sizeof(b1), count,
		       (void *)1);
	while ((callbacks[0] < 1 || callbacks[1] < 1) && waited++ < HANG_MS)
		usleep(1000);
	/* The callbacks ran in the drain: no look at the ring comes after. */
	kh_wake_hook = NULL;
	verdict(name, NULL,
		callbacks[0] == 1 && callbacks[1] == 1 &&
		r0.status == VIRTIO_BLK_S_IOERR &&
		r1.status == VIRTIO_BLK_S_IOERR && resets == 1 &&
		watch_wakes == ring,
		"after %d ms: callbacks %d and %d (want 1 and 1), statuses %u and %u (want %u), device resets %d (want 1), watcher woken %d times for the broken ring (want %d)",
		waited, callbacks[0], callbacks[1], r0.status, r1.status,
		VIRTIO_BLK_S_IOERR, resets, watch_wakes, ring);
out:
	stop = 1;
	pthread_join(dev, NULL);
}

/*
 * The device answers the first request as it is reset: the reset's
 * drain keeps that answer (the request OK), fails the other.  Then it
 * goes on as if not reset, naming the failed request in the used ring,
 * with an interrupt: the driver reads that ring no more.
 */
static void late_used(void)
{
	static struct vblk_req r0, r1;
	static uint8_t b0[VBLK_SECTOR], b1[VBLK_SECTOR];
	struct vring_used *used;
	struct vring_avail *avail;
	pthread_t dev;
	int e0, e1;

	if (start(&dev, 0)) {
		verdict("blk-reset-late-used", NULL, 0, "no device");
		goto out;
	}
	used = va(slot.queues[0].device_addr);
	avail = va(slot.queues[0].driver_addr);
	complete_at_reset = 1;
	r1.written = 1 + VBLK_SECTOR;	/* an earlier use's count */
	vblk_submit(&r0, VIRTIO_BLK_T_IN, 0, b0, sizeof(b0));
	vblk_submit(&r1, VIRTIO_BLK_T_IN, 0, b1, sizeof(b1));
	e1 = vblk_wait(&r1);		/* NEEDS_RESET: the reset is ours */
	e0 = vblk_wait(&r0);
	used->ring[1].id = avail->ring[1];
	used->ring[1].len = 1;
	__atomic_store_n(&used->idx, 2, __ATOMIC_RELEASE);
	on_irq(&vblk.dev, 0);
	verdict("blk-reset-late-used", NULL,
		!e0 && e1 == -1 && r1.status == VIRTIO_BLK_S_IOERR &&
		!r1.written && resets == 1,
		"the request answered at the reset %d (want 0), the other %d, status %u, written %u after a used entry past the reset (want -1, %u, 0), %d resets (want 1)",
		e0, e1, r1.status, r1.written, VIRTIO_BLK_S_IOERR, resets);
out:
	stop = 1;
	pthread_join(dev, NULL);
}

static int idle_wakes;

static void count_idle_wakes(struct wait_queue *wq)
{
	if (wq == &vblk.watch_wq)
		__atomic_add_fetch(&idle_wakes, 1, __ATOMIC_RELAXED);
}

/*
 * The watcher asleep with no deadline (no callback request out): the
 * first callback request wakes it.  Played without its thread, marked
 * started and idle: the hosted waits poll, which hides a lost wake-up.
 */
static void watcher_woken(void)
{
	static struct vblk_req r0, r1;
	static uint8_t b0[VBLK_SECTOR], b1[VBLK_SECTOR];
	pthread_t dev;
	int woken, e;

	memset(callbacks, 0, sizeof(callbacks));
	if (start(&dev, 0)) {
		verdict("blk-reset-watcher-woken", NULL, 0, "no device");
		goto out;
	}
	vblk.watcher = 1;
	vblk.watch_idle = 1;
	idle_wakes = 0;
	kh_wake_hook = count_idle_wakes;
	vblk_submit_cb(&r0, VIRTIO_BLK_T_IN, 0, b0, sizeof(b0), count,
		       (void *)0);
	woken = idle_wakes;
	kh_wake_hook = NULL;
	vblk_submit(&r1, VIRTIO_BLK_T_IN, 0, b1, sizeof(b1));
	e = vblk_wait(&r1);		/* NEEDS_RESET: both fail */
	vblk.watcher = 2;
	verdict("blk-reset-watcher-woken", NULL,
		woken == 1 && e == -1 && callbacks[0] == 1 &&
		r0.status == VIRTIO_BLK_S_IOERR && !vblk.cb_out,
		"the idle watcher woken %d times by the first callback request (want 1); then the wait %d (want -1), the callback called %d times (want 1), status %u (want %u), %u callback requests out (want 0)",
		woken, e, callbacks[0], r0.status, VIRTIO_BLK_S_IOERR,
		vblk.cb_out);
out:
	stop = 1;
	pthread_join(dev, NULL);
}

/*
 * The watcher's timed waits as the kernel's: until a wake-up, or
 * TIMEOUT_MS, which stands for WATCH_NS; a wait that ran out while the
 * device said NEEDS_RESET counted (the test counts them, not time).
 */
#define TIMEOUT_MS 500
static unsigned int watch_gen;
static int late_timeouts;

static void count_gen(struct wait_queue *wq)
{
	if (wq == &vblk.watch_wq)
		__atomic_add_fetch(&watch_gen, 1, __ATOMIC_RELEASE);
}

static int watch_wait(struct wait_queue *wq, struct spinlock *lock,
		      uint64_t deadline_ns)
{
	unsigned int gen;

	if (wq != &vblk.watch_wq || !deadline_ns)
		return 0;
	/* Under the lock: a waker holding it is seen, as in the kernel. */
	gen = __atomic_load_n(&watch_gen, __ATOMIC_ACQUIRE);
	spin_unlock(lock);
	for (int ms = 0; __atomic_load_n(&watch_gen, __ATOMIC_ACQUIRE) == gen;
	     ms++) {
		if (ms == TIMEOUT_MS) {
			late_timeouts += virtio_broken(&vblk.dev);
			break;
		}
		usleep(1000);
	}
	spin_lock(lock);
	return 1;
}

/*
 * Two callback requests, then NEEDS_RESET with the config interrupt:
 * the watcher resets the device without a wait running out first.
 */
static void config_interrupt(void)
{
	static struct vblk_req r0, r1;
	static uint8_t b0[VBLK_SECTOR], b1[VBLK_SECTOR];
	uint32_t vector;
	pthread_t dev;
	int waited = 0;

	memset(callbacks, 0, sizeof(callbacks));
	kh_config_vector = CONFIG_VECTOR;
	late_timeouts = 0;
	if (start(&dev, 0)) {
		verdict("blk-reset-config-irq", NULL, 0, "no device");
		goto out;
	}
	vector = slot.config_vector;
	kh_wake_hook = count_gen;
	kh_wait_hook = watch_wait;
	config_irq = 1;
	vblk_submit_cb(&r0, VIRTIO_BLK_T_IN, 0, b0, sizeof(b0), count,
		       (void *)0);
	vblk_submit_cb(&r1, VIRTIO_BLK_T_IN, 0, b1, sizeof(b1), count,
		       (void *)1);
	while ((callbacks[0] < 1 || callbacks[1] < 1) && waited++ < HANG_MS)
		usleep(1000);
	verdict("blk-reset-config-irq", NULL,
		vector == CONFIG_VECTOR && callbacks[0] == 1 &&
		callbacks[1] == 1 && resets == 1 && !late_timeouts,
		"config vector %u in the slot (want %u); callbacks %d and %d (want 1 and 1), device resets %d (want 1), the watcher's waits run out with NEEDS_RESET set %d (want 0: woken by the interrupt)",
		vector, CONFIG_VECTOR, callbacks[0], callbacks[1], resets,
		late_timeouts);
out:
	kh_blk_end_watcher();
	kh_wait_hook = NULL;
	kh_wake_hook = NULL;
	kh_config_vector = 0;
	config_irq = 0;
	stop = 1;
	pthread_join(dev, NULL);
}

int main(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	if (!region)
		return 2;
	waiters();
	stale_used();
	late_used();
	watcher_woken();
	callbacks_only(0);
	callbacks_only(1);
	config_interrupt();
	kh_blk_end_watcher();
	printf("kern_blk_reset: %d failed\n", failures);
	free(region);
	return failures != 0;
}
