/*
 * Hosted: the interrupt vectors a driver writes into the transport slot,
 * which the device (host/backend/device.c) must read once and send only
 * when they are inside 32..255, the range the guest can take.  The
 * driver is the guest's own, the device polled by hand (device_harness.c)
 * as in device_status.c.  Each case prints "ok NAME" or "FAIL NAME: why".
 *
 *   config-vector-once    the config interrupt vector rewritten from a
 *                         second thread while the device breaks and
 *                         resets: it never interrupts with a vector it
 *                         would have refused
 *   vector-range          a queue's and the config vector of 31 or 256
 *                         never interrupt, of 32 or 255 do
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "tests/hosted/device_harness.h"
#include "tests/hosted/quiet_stderr.h"
#include "tests/hosted/verdict.h"

static atomic_int flip_stop;

/* Good, too low, too high: a device that reads once never passes the last two. */
static void *flip_vector(void *arg)
{
	static const uint32_t v[] = { 40, 7, 300 };

	(void)arg;
	for (unsigned int i = 0; !atomic_load_explicit(&flip_stop,
					memory_order_relaxed); i++)
		__atomic_store_n(&slot.config_vector, v[i % 3],
				 __ATOMIC_RELAXED);
	return NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void config_vector_once(void)
{
	double end = now() + 2;
	unsigned long rounds = 0;
	int saved;
	pthread_t th;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	atomic_store(&bad_vectors, 0);
	atomic_store(&config_irqs, 0);
	/* One log line per violation: not 100 000 of them in the log. */
	saved = stderr_quiet();
	pthread_create(&th, NULL, flip_vector, NULL);
	while (now() < end && !atomic_load(&bad_vectors)) {
		for (int i = 0; i < 1000; i++, rounds++) {
			slot.reset = 1;
			kb_device_poll(&blk.dev, 1);
			slot.status = VIRTIO_CONFIG_S_DRIVER_OK;
			kb_device_poll(&blk.dev, 1);
		}
	}
	atomic_store(&flip_stop, 1);
	pthread_join(th, NULL);
	stderr_restore(saved);
	verdict("config-vector-once", NULL, !atomic_load(&bad_vectors) &&
		atomic_load(&config_irqs),
		"%lu of %lu config interrupts with a vector outside 32..255 (%lu violations)",
		atomic_load(&bad_vectors), atomic_load(&config_irqs), rounds);
}

/*
 * Interrupt vectors outside 32..255 are never sent: a queue's (a request
 * completed) and the config one (a violation's NEEDS_RESET).  The edges
 * inside are sent.
 */
static void vector_range(void)
{
	static const uint32_t v[] = { 31, 256, 32, 255 };
	unsigned long queue_irqs[4], config[4], bad = 0;
	int status[4], ok = 1, saved;

	for (unsigned int i = 0; i < 4; i++) {
		fresh();
		kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
			    DISK_BYTES, "hosted");
		status[i] = -1;
		queue_irqs[i] = config[i] = 0;
		if (handshake_but_ready(&blk.dev, 0, 1)) {
			ok = 0;
			continue;
		}
		slot.queues[0].vector = v[i];
		slot.config_vector = v[i];
		virtio_ready(&vd);
		kb_device_poll(&blk.dev, 1);
		atomic_store(&config_irqs, 0);
		status[i] = blk_request(VIRTIO_BLK_T_IN, 1, 512);
		queue_irqs[i] = atomic_load(&config_irqs);
		atomic_store(&config_irqs, 0);
		saved = stderr_quiet();
		kb_device_violation(&blk.dev, "vector-range");
		stderr_restore(saved);
		config[i] = atomic_load(&config_irqs);
		bad += atomic_load(&bad_vectors);
		atomic_store(&bad_vectors, 0);
		ok &= status[i] == VIRTIO_BLK_S_OK &&
		      !!queue_irqs[i] == (i >= 2) && config[i] == (i >= 2);
	}
	verdict("vector-range", NULL, ok && !bad,
		"vectors 31, 256, 32, 255: statuses %d %d %d %d, queue interrupts %lu %lu %lu %lu, config %lu %lu %lu %lu (want none, none, some, some), %lu outside 32..255",
		status[0], status[1], status[2], status[3], queue_irqs[0],
		queue_irqs[1], queue_irqs[2], queue_irqs[3], config[0],
		config[1], config[2], config[3], bad);
}

int main(void)
{
	harness_start();
	config_vector_once();
	vector_range();
	harness_end();
	printf("device_vectors: %d failed\n", failures);
	return failures != 0;
}
