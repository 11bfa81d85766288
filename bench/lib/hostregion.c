// SPDX-License-Identifier: GPL-2.0 OR MIT
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/hostregion.h"

static void no_notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;
}

const struct kb_device_ops hr_dev_ops = { .notify = no_notify };

int hr_alloc(struct hostregion *h, uint64_t base, uint32_t bytes,
	     uint32_t rings_off)
{
	h->mem = aligned_alloc(4096, bytes);
	if (!h->mem)
		return -1;
	memset(h->mem, 0, bytes);
	h->kr = (struct kb_region){ h->mem, base, bytes };
	vh_region(h->mem, base, bytes, rings_off);
	return 0;
}

void hr_free(struct hostregion *h)
{
	free(h->mem);
	h->mem = NULL;
}

int hr_negotiate(struct hostregion *h, struct kb_device *dev, int packed,
		 unsigned int nq, uint16_t size)
{
	uint64_t no_packed = 1ULL << VIRTIO_F_RING_PACKED;

	h->dev = dev;
	virtio_slot_attach(&h->vd, &h->slot, &vh_platform);
	/* No device thread yet: the driver turns the device's crank. */
	vh_poll(dev);
	if (virtio_start(&h->vd, packed ? ~0ULL : ~no_packed))
		return fprintf(stderr, "features refused\n"), -1;
	for (unsigned int q = 0; q < nq; q++)
		if (virtio_queue(&h->vd, q, size, NULL))
			return fprintf(stderr, "no queue %u\n", q), -1;
	return 0;
}

int hr_driver_ok(struct hostregion *h)
{
	virtio_ready(&h->vd);
	kb_device_poll(h->dev, 1);
	vh_poll(NULL);
	if (!h->dev->live || h->dev->broken)
		return fprintf(stderr, "device did not go live (status %#x)\n",
			       h->slot.status), -1;
	return 0;
}

static void *poll_device(void *arg)
{
	struct hostregion *h = arg;
	struct kb_device *dev = h->dev;

	while (!atomic_load_explicit(&h->stop, memory_order_relaxed))
		kb_device_poll(dev, 64);
	return NULL;
}

void hr_start(struct hostregion *h, const char *prog)
{
	atomic_store(&h->stop, 0);
	hb_peer_start(&h->poller, prog, poll_device, h);
}

void hr_stop(struct hostregion *h)
{
	atomic_store(&h->stop, 1);
	hb_peer_join(&h->poller);
}
