// SPDX-License-Identifier: GPL-2.0 OR MIT
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/hostregion.h"

/*
 * What gpa() needs, copied from the one region.  The driver reads it for
 * every buffer it adds, so it has a line of its own for the reason
 * struct hostregion has.
 */
static struct {
	const uint8_t *mem;
	uint64_t base;
} __attribute__((aligned(64))) xlat;

static uint64_t gpa(const void *va)
{
	return xlat.base + (uint64_t)((const uint8_t *)va - xlat.mem);
}

static void no_notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;
}

const struct kb_device_ops hr_dev_ops = { .notify = no_notify };

int hr_alloc(struct hostregion *h, uint64_t base, uint32_t bytes)
{
	h->mem = aligned_alloc(4096, bytes);
	if (!h->mem)
		return -1;
	memset(h->mem, 0, bytes);
	h->kr = (struct kb_region){ h->mem, base, bytes };
	xlat.mem = h->mem;
	xlat.base = base;
	return 0;
}

void hr_free(struct hostregion *h)
{
	free(h->mem);
	h->mem = NULL;
}

int hr_negotiate(struct hostregion *h, struct kb_device *dev, int packed)
{
	struct kspawn_device *slot = &h->slot;
	uint64_t want = slot->device_features;

	h->dev = dev;
	h->packed = packed;
	if (!packed)
		want &= ~(1ULL << VIRTIO_F_RING_PACKED);
	slot->status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	slot->driver_features = want;
	__atomic_store_n(&slot->status,
			 slot->status | VIRTIO_CONFIG_S_FEATURES_OK,
			 __ATOMIC_RELEASE);
	/* No device thread yet: the driver turns the device's crank. */
	kb_device_poll(dev, 1);
	if (!(slot->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return fprintf(stderr, "features refused\n"), -1;
	return 0;
}

void hr_queue(struct hostregion *h, int idx, struct virtq *q, uint16_t size,
	      uint32_t off, void **cookies)
{
	struct kspawn_queue *sq = &h->slot.queues[idx];

	if (h->packed)
		virtq_init_packed(q, size, h->mem + off, cookies, gpa);
	else
		virtq_init(q, size, h->mem + off, cookies, gpa, 1);
	sq->size = size;
	sq->desc_addr = q->desc_addr;
	sq->driver_addr = q->avail_addr;
	sq->device_addr = q->used_addr;
	sq->ready = 1;
}

int hr_driver_ok(struct hostregion *h)
{
	struct kspawn_device *slot = &h->slot;

	__atomic_store_n(&slot->status, slot->status | VIRTIO_CONFIG_S_DRIVER_OK,
			 __ATOMIC_RELEASE);
	kb_device_poll(h->dev, 1);
	if (!h->dev->live || h->dev->broken)
		return fprintf(stderr, "device did not go live (status %#x)\n",
			       slot->status), -1;
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
