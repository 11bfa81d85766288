/*
 * libFuzzer: the device's status state machine and feature negotiation
 * (host/backend/device.c) driven by a guest that writes anything in any
 * order: status bytes, driver features, queue sizes and addresses, reset
 * requests, each followed by a poll.  Whatever happens, the device only
 * goes live after accepting a subset of its offer that includes
 * VERSION_1, keeps those features until a reset, and never touches memory
 * outside the region.
 *
 * fuzz-sources: $(BACKEND_SRC)
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/blk.h"

#define BASE 0x100000ULL
#define REGION 0x8000

static void no_notify(void *c, uint32_t v)
{
	(void)c;
	(void)v;
}

static const struct kb_device_ops ops = { .notify = no_notify };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kspawn_device slot;
	static struct kb_blk blk;
	static uint8_t *region;
	static void *ram;
	struct kb_region r;
	uint64_t offer;

	if (!region) {
		region = calloc(1, REGION);
		ram = kb_ram_new(4096);
	}
	r = (struct kb_region){ region, BASE, REGION };
	memset(&slot, 0, sizeof(slot));
	kb_blk_init(&blk, &slot, &r, &ops, NULL, &kb_ram_ops, ram, 4096, "f");
	offer = slot.device_features;
	/* Each step: an opcode byte and an 8-byte value. */
	for (size_t i = 0; i + 9 <= size; i += 9) {
		uint64_t v, had = blk.dev.features;
		int was_live = blk.dev.live;

		memcpy(&v, data + i + 1, 8);
		switch (data[i] % 6) {
		case 0: slot.status = (uint8_t)v; break;
		case 1: slot.driver_features = v; break;
		case 2: slot.queues[0].size = (uint16_t)v;
			slot.queues[0].ready = (uint16_t)(v >> 16); break;
		case 3: slot.queues[0].desc_addr = BASE + (v & 0xffff);
			slot.queues[0].driver_addr = BASE + ((v >> 16) & 0xffff);
			slot.queues[0].device_addr = BASE + ((v >> 32) & 0xffff);
			break;
		case 4: slot.reset = (uint8_t)v; break;
		case 5: slot.queues[0].vector = (uint32_t)v; break;
		}
		kb_device_poll(&blk.dev, 4);
		if (blk.dev.live) {
			assert(!(blk.dev.features & ~offer));
			assert(blk.dev.features & (1ULL << VIRTIO_F_VERSION_1));
			/* Live to live is no reset: the features it went live with. */
			assert(!was_live || blk.dev.features == had);
		}
	}
	return 0;
}
