/*
 * libFuzzer: the device side of a virtqueue over a region whose every byte
 * the fuzzer chooses (descriptors, rings, indirect tables), with a blk
 * device behind it.  The translation function asserts that no pointer it
 * hands out leaves the region (host/backend/region.h); ASan catches any
 * other stray access, and the budget keeps each poll bounded.
 *
 * Input: 1 byte queue size exponent, 1 byte of flags (event idx, packed
 * ring, in order, batch take), then the region's contents.
 *
 * fuzz-sources: $(BACKEND_SRC) guest/lib/virtio.c guest/lib/format.c guest/lib/virtio_slot.c guest/lib/virtq.c guest/lib/virtq_in_order.c guest/lib/virtq_packed.c guest/hosted/virtio_hosted.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"

#define BASE 0x200000ULL
#define REGION 0x10000

static void no_notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;
}

static const struct kb_device_ops ops = { .notify = no_notify };

/*
 * The device's batch take (kb_vq_pop_bufs()) straight over the same
 * rings, kb_vq_pop() for what it leaves; every buffer read in full.
 */
static void batch_take(const struct kb_region *r, uint16_t qsize,
		       uint8_t flags)
{
	static uint8_t sink[REGION];
	static struct kb_chain c;
	struct kb_buf b[16];
	struct kb_vq q;
	int n;

	if (flags & 2 ? kb_vq_setup_packed(&q, r, qsize, BASE, BASE + 0x2000,
					   BASE + 0x3000, flags & 1) :
	    kb_vq_setup(&q, r, qsize, BASE, BASE + 0x2000, BASE + 0x3000,
			flags & 1))
		return;
	if (flags & 4)
		kb_vq_set_in_order(&q);
	for (int i = 0; i < 16; i++) {
		n = kb_vq_pop_bufs(&q, b, 1 + i);
		if (n < 0)
			return;
		for (int k = 0; k < n; k++)
			memcpy(sink, b[k].p, b[k].len);
		if (n) {
			kb_vq_push_bufs(&q, b, NULL, n);
		} else {
			if (kb_vq_pop(&q, &c) <= 0)
				return;
			kb_vq_push_quiet(&q, &c, 0);
		}
		kb_vq_publish(&q);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kspawn_device slot;
	static struct virtio_dev vd;
	static struct kb_blk blk;
	static uint8_t *region;
	static void *ram;
	struct kb_region r;
	uint16_t qsize;

	if (size < 2)
		return 0;
	if (!region) {
		region = malloc(REGION);
		ram = kb_ram_new(64 * 1024);
	}
	memset(region, 0, REGION);
	memcpy(region, data + 2, size - 2 < REGION ? size - 2 : REGION);
	r = (struct kb_region){ region, BASE, REGION };
	memset(&slot, 0, sizeof(slot));
	kb_blk_init(&blk, &slot, &r, &ops, NULL, &kb_ram_ops, ram, 64 * 1024,
		    "fuzz");
	qsize = (uint16_t)(1u << (data[0] % 9));
	/* The guest's driver code (lib/virtio.c), rings from the input. */
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&blk.dev);
	/* data[1]: bit 0 event idx, bit 1 the packed layout. */
	virtio_start(&vd, (data[1] & 1 ? ~0ULL :
			   ~(1ULL << VIRTIO_RING_F_EVENT_IDX)) &
			  (data[1] & 2 ? ~0ULL : ~(1ULL << VIRTIO_F_RING_PACKED)));
	vd.ops->queue_setup(&vd, 0, qsize, BASE, BASE + 0x2000, BASE + 0x3000,
			    0);
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 16);
	/*
	 * data[1] bit 2: the queue runs in order (VIRTIO_F_IN_ORDER, which
	 * blk does not offer: set on the live queue as if negotiated).
	 */
	if (data[1] & 4)
		kb_vq_set_in_order(&blk.dev.vq[0]);
	for (int i = 0; i < 3; i++)
		kb_device_poll(&blk.dev, 16);
	/* data[1] bit 3: the batch take, on a fresh copy of the input. */
	if (data[1] & 8) {
		memcpy(region, data + 2, size - 2 < REGION ? size - 2 : REGION);
		batch_take(&r, qsize, data[1]);
	}
	return 0;
}
