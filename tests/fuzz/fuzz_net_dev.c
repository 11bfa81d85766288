/*
 * libFuzzer: the net device (host/backend/net.c) over a region the fuzzer
 * fills: transmit chains of any shape, ctrl commands of any bytes, in
 * loopback mode so frames also travel to the rx queue.
 *
 * Input: 1 byte queue size exponent, then the region's contents (rings of
 * the three queues at fixed offsets).
 *
 * fuzz-sources: $(BACKEND_SRC) guest/lib/virtio.c guest/lib/format.c guest/lib/virtio_slot.c guest/lib/virtq.c guest/lib/virtq_in_order.c guest/lib/virtq_packed.c guest/hosted/virtio_hosted.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/net.h"
#include "hosted/virtio_hosted.h"

#define BASE 0x400000ULL
#define REGION 0x20000

static void no_notify(void *c, uint32_t v)
{
	(void)c;
	(void)v;
}

static const struct kb_device_ops ops = { .notify = no_notify };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	static struct kspawn_device slot;
	static struct virtio_dev vd;
	static struct kb_net net;
	static uint8_t *region;
	struct kb_region r;

	if (size < 1)
		return 0;
	if (!region)
		region = malloc(REGION);
	memset(region, 0, REGION);
	memcpy(region, data + 1, size - 1 < REGION ? size - 1 : REGION);
	r = (struct kb_region){ region, BASE, REGION };
	memset(&slot, 0, sizeof(slot));
	kb_net_init(&net, &slot, &r, &ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac);
	/* The guest's driver code (lib/virtio.c), rings from the input. */
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	/*
	 * data[0] bit 7: the packed layout.  One queue pair, so that the
	 * control queue is the third of the three the input fills.
	 */
	virtio_start(&vd, ~(1ULL << VIRTIO_NET_F_MQ) &
			  (data[0] & 0x80 ? ~0ULL :
			   ~(1ULL << VIRTIO_F_RING_PACKED)));
	for (unsigned int q = 0; q < 3; q++)
		vd.ops->queue_setup(&vd, q, (uint16_t)(1u << (data[0] % 8)),
				    BASE + 0x4000u * q,
				    BASE + 0x4000u * q + 0x1000,
				    BASE + 0x4000u * q + 0x2000, 0);
	virtio_ready(&vd);
	for (int i = 0; i < 4; i++)
		kb_device_poll(&net.dev, 16);
	return 0;
}
