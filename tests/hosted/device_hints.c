/*
 * Hosted: what the doorbell's handler reads to see what a ring was for
 * (host/kmod/io_doorbell.c): kb_device_status_changed() and
 * kb_device_notified(), read on another CPU than the device thread's,
 * without its locks.  Over the device-level harness (device_harness.c);
 * built twice, the second time under ThreadSanitizer (device_hints_tsan),
 * which judges doorbell-hints-racing.  Each case prints "ok NAME" or
 * "FAIL NAME: why".
 *
 *   doorbell-hints        what the doorbell's handler reads to see what a
 *                         ring was for: a status change or reset request
 *                         not yet acted on, and which queues were kicked
 *                         (and how many kicks beyond one, capped)
 *   doorbell-hints-racing the same hints read by a second thread while
 *                         the device acts on resets and status writes
 *                         (judged in the ThreadSanitizer build: no data
 *                         race), the device live at the end
 */
#include <linux/virtio_config.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tests/hosted/device_harness.h"
#include "tests/hosted/verdict.h"

/*
 * What the doorbell's handler reads: a status change not yet acted on,
 * and which queues were kicked since it last looked (and how many kicks
 * beyond one, capped) — only queues the device has set up: a guest's
 * kicks on others, or on a device it reset, are not worth a wake-up.
 */
static void doorbell_hints(void)
{
	uint32_t seen[KSPAWN_MAX_QUEUES] = { 0 }, extra = 0, m1, m2, m3, m4, m5;
	int idle, reset_asked, acted, status_asked;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	if (!precondition("doorbell-hints", NULL, slot.num_queues >= 2 &&
			  !bring_up_queues(&blk.dev, 0, 1),
			  "a blk device of %u queues with queue 0 up",
			  slot.num_queues))
		return;
	idle = kb_device_status_changed(&blk.dev);
	slot.queues[0].notify += 3;
	m1 = kb_device_notified(&blk.dev, seen, &extra);
	m2 = kb_device_notified(&blk.dev, seen, &extra);
	slot.queues[0].notify -= 1000;		/* a guest's lie: capped */
	m3 = kb_device_notified(&blk.dev, seen, &extra);
	slot.queues[1].notify += 1;		/* never set up */
	m4 = kb_device_notified(&blk.dev, seen, &extra);
	slot.reset = 1;
	reset_asked = kb_device_status_changed(&blk.dev);
	kb_device_poll(&blk.dev, 1);
	acted = kb_device_status_changed(&blk.dev);
	slot.status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	status_asked = kb_device_status_changed(&blk.dev);
	slot.queues[0].notify += 1;		/* after the reset */
	m5 = kb_device_notified(&blk.dev, seen, &extra);
	verdict("doorbell-hints", NULL,
		!idle && reset_asked && !acted && status_asked &&
		m1 == 1 && !m2 && m3 == 1 && !m4 && !m5 && extra == 2 + 16,
		"changed: up %d, reset asked %d, after the poll %d, status written %d; queues kicked %#x, %#x, %#x, on a queue not set up %#x, after a reset %#x, extra kicks %u (want 18)",
		idle, reset_asked, acted, status_asked, m1, m2, m3, m4, m5,
		extra);
}

static atomic_int hints_stop;
static atomic_long hints_seen;

/* The doorbell's handler, on another CPU: it reads the hints, no lock. */
static void *read_hints(void *arg)
{
	uint32_t seen[KSPAWN_MAX_QUEUES] = { 0 }, extra = 0;

	(void)arg;
	while (!atomic_load_explicit(&hints_stop, memory_order_relaxed)) {
		if (kb_device_status_changed(&blk.dev))
			atomic_fetch_add(&hints_seen, 1);
		kb_device_notified(&blk.dev, seen, &extra);
	}
	return NULL;
}

/*
 * The same hints read while the device thread acts on resets and new
 * status: every field they read the device stores with KB_WRITE (the
 * ThreadSanitizer build, device_status_tsan, sees a plain store race).
 */
static void doorbell_hints_racing(void)
{
	unsigned long rounds;
	pthread_t th;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	if (!precondition("doorbell-hints-racing", NULL,
			  !bring_up_queues(&blk.dev, 0, 1), "device not up"))
		return;
	atomic_store(&hints_stop, 0);
	atomic_store(&hints_seen, 0);
	pthread_create(&th, NULL, read_hints, NULL);
	for (rounds = 0; rounds < 20000; rounds++) {
		__atomic_store_n(&slot.reset, 1, __ATOMIC_RELAXED);
		kb_device_poll(&blk.dev, 1);
		__atomic_store_n(&slot.status, VIRTIO_CONFIG_S_ACKNOWLEDGE |
				 VIRTIO_CONFIG_S_DRIVER |
				 VIRTIO_CONFIG_S_FEATURES_OK, __ATOMIC_RELAXED);
		kb_device_poll(&blk.dev, 1);
		__atomic_store_n(&slot.status, __atomic_load_n(&slot.status,
				 __ATOMIC_RELAXED) | VIRTIO_CONFIG_S_DRIVER_OK,
				 __ATOMIC_RELAXED);
		kb_device_poll(&blk.dev, 1);
	}
	atomic_store(&hints_stop, 1);
	pthread_join(th, NULL);
	verdict("doorbell-hints-racing", NULL, blk.dev.live,
		"after %lu rounds of reset, FEATURES_OK, DRIVER_OK the device is not live (%ld changes seen by the reader)",
		rounds, atomic_load(&hints_seen));
}

int main(int argc, char **argv)
{
	(void)argc;
	harness_start();
	doorbell_hints();
	doorbell_hints_racing();
	harness_end();
	/* The runner looks for "PROGRAM: 0 failed" (device_hints, _tsan). */
	printf("%s: %d failed\n", strrchr(argv[0], '/') ?
	       strrchr(argv[0], '/') + 1 : argv[0], failures);
	return failures != 0;
}
