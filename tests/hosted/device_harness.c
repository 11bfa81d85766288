/*
 * The device-level hosted programs' shared part (device_harness.h).
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hosted/device_harness.h"

uint8_t *region;
struct kb_region kr;
struct kspawn_device slot;
struct kb_blk blk;
struct kb_net net;
struct virtio_dev vd;
void *ram;
atomic_ulong bad_vectors, config_irqs;
const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };

static void notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	if (vector < 32 || vector > 255)
		atomic_fetch_add(&bad_vectors, 1);
	atomic_fetch_add(&config_irqs, 1);
}

const struct kb_device_ops ops = { .notify = notify };

void fresh(void)
{
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
}

int handshake_but_ready(struct kb_device *d, int packed, uint32_t nq)
{
	uint64_t no_packed = 1ULL << VIRTIO_F_RING_PACKED;

	vh_region(region, BASE, REGION_BYTES, 0);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(d);
	if (virtio_start(&vd, packed ? ~0ULL : ~no_packed))
		return -1;
	for (uint32_t q = 0; q < nq; q++)
		if (virtio_queue(&vd, q, QSIZE, NULL))
			return -1;
	return 0;
}

int bring_up_queues(struct kb_device *d, int packed, uint32_t nq)
{
	if (handshake_but_ready(d, packed, nq))
		return -1;
	virtio_ready(&vd);
	kb_device_poll(d, 1);
	return d->live && !virtio_broken(&vd) ? 0 : -1;
}

int bring_up(struct kb_device *d, int packed)
{
	return bring_up_queues(d, packed, slot.num_queues);
}

int blk_up(int packed)
{
	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	return bring_up(&blk.dev, packed);
}

int net_up(int packed)
{
	fresh();
	kb_net_init(&net, &slot, &kr, &ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac);
	return bring_up(&net.dev, packed);
}

uint32_t blk_config(size_t off)
{
	uint32_t v;

	memcpy(&v, slot.config + off, sizeof(v));
	return v;
}

int blk_request(uint32_t type, uint32_t nseg, uint32_t seglen)
{
	static struct virtq_buf bufs[KB_MAX_SEGS + 1];
	struct virtio_blk_outhdr *h;
	uint8_t *data = region + DATA_OFF, *status;
	uint32_t n = 0;
	void *got;

	if (type == VIRTIO_BLK_T_OUT) {
		h = (void *)(data - sizeof(*h));
		bufs[n++] = (struct virtq_buf){ h, sizeof(*h) + seglen };
		for (uint32_t i = 1; i < nseg; i++)
			bufs[n++] = (struct virtq_buf){ data + i * seglen,
							seglen };
		status = data + nseg * seglen;
		bufs[n++] = (struct virtq_buf){ status, 1 };
	} else {
		h = (void *)(region + REQ_OFF);
		bufs[n++] = (struct virtq_buf){ h, sizeof(*h) };
		for (uint32_t i = 0; i < nseg; i++)
			bufs[n++] = (struct virtq_buf){ data + i * seglen,
							seglen };
		status = data + nseg * seglen;
		bufs[n - 1].len++;
	}
	h->type = type;
	h->ioprio = 0;
	h->sector = 0;
	*status = 0xff;
	if (virtq_add(&vd.vq[0], bufs, type == VIRTIO_BLK_T_OUT ? n - 1 : 1,
		      bufs + (type == VIRTIO_BLK_T_OUT ? n - 1 : 1),
		      type == VIRTIO_BLK_T_OUT ? 1 : n - 1, h))
		return -1;
	virtq_publish(&vd.vq[0]);
	kb_device_poll(&blk.dev, 8);
	got = virtq_get(&vd.vq[0], NULL);
	return got == h ? *status : -1;
}

void harness_start(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	ram = kb_ram_new(DISK_BYTES);
}

void harness_end(void)
{
	kb_ram_free(ram);
	free(region);
}
