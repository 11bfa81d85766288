/*
 * libFuzzer: the net device (host/backend/net.c) over a region the fuzzer
 * fills: transmit chains of any shape, ctrl commands of any bytes, in
 * loopback mode so frames also travel to the rx queue.
 *
 * Input: 1 byte queue size exponent, then the region's contents (rings of
 * the three queues at fixed offsets).
 *
 * fuzz-sources: $(BACKEND_SRC)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/net.h"

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
	/* data[0] bit 7: the packed layout. */
	slot.driver_features = slot.device_features &
			       (data[0] & 0x80 ? ~0ULL : ~KB_F_RING_PACKED);
	slot.status = 1 | 2 | 8;
	kb_device_poll(&net.dev, 8);
	for (int q = 0; q < 3; q++) {
		slot.queues[q].size = (uint16_t)(1u << (data[0] % 8));
		slot.queues[q].desc_addr = BASE + 0x4000u * q;
		slot.queues[q].driver_addr = BASE + 0x4000u * q + 0x1000;
		slot.queues[q].device_addr = BASE + 0x4000u * q + 0x2000;
		slot.queues[q].ready = 1;
	}
	slot.status |= 4;
	for (int i = 0; i < 4; i++)
		kb_device_poll(&net.dev, 16);
	return 0;
}
