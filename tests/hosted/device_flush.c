/*
 * Hosted: what the blk device (host/backend/blk.c) has published when
 * its thread waits for the store's flush, a disk's tens of milliseconds.
 * The device is polled by hand (device_harness.c) over the RAM store
 * with a flush of the test's own, which looks at the used ring as the
 * guest's driver would meanwhile.  Each case prints "ok NAME" or
 * "FAIL NAME: why".
 *
 *   blk-flush-publishes-first-*  a read and a FLUSH taken in one poll:
 *                  the read's completion is in the used ring when the
 *                  store's flush runs (before, it came after the flush)
 *   blk-through-publishes-first-*  the same with the write cache off
 *                  (wce 0): a read, then a write, which waits for a store
 *                  flush before it completes: the read is out before
 */
#include <linux/virtio_blk.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tests/hosted/device_harness.h"
#include "tests/hosted/verdict.h"

static struct kb_store_ops flush_ops;
static int flushes;
static void *at_flush;			/* the first completion seen then */
static unsigned long irqs_at_flush;	/* the interrupts sent by then */

static int flush_looks(void *store)
{
	(void)store;
	if (!flushes++) {
		at_flush = virtq_get(&vd.vq[0], NULL);
		irqs_at_flush = atomic_load(&config_irqs);
	}
	return 0;
}

/* Request i of type with 512 bytes of data (none for FLUSH), queued. */
static void *queue_req(int i, uint32_t type)
{
	uint8_t *at = region + REQ_OFF + i * 64, *data = region + DATA_OFF +
							 i * 512;
	struct virtio_blk_outhdr *h = (void *)at;
	struct virtq_buf out[2] = { { h, 16 }, { data, 512 } };
	struct virtq_buf in[2] = { { data, 512 }, { at + 32, 1 } };

	*h = (struct virtio_blk_outhdr){ .type = type, .sector = i };
	at[32] = 0xff;
	if (type == VIRTIO_BLK_T_FLUSH)
		virtq_add(&vd.vq[0], out, 1, in + 1, 1, h);
	else if (type == VIRTIO_BLK_T_OUT)
		virtq_add(&vd.vq[0], out, 2, in + 1, 1, h);
	else
		virtq_add(&vd.vq[0], out, 1, in, 2, h);
	return h;
}

static void publishes_first(const char *name, const char *layout,
			    int packed, int wce)
{
	void *rd, *second;
	int rest = 0;

	fresh();
	flush_ops = kb_ram_ops;
	flush_ops.flush = flush_looks;
	flush_ops.volatile_cache = 1;
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &flush_ops, ram,
		    DISK_BYTES, "hosted");
	/* An interrupt for queue 0 (the packed ring's news is only that). */
	if (handshake_but_ready(&blk.dev, packed, slot.num_queues)) {
		verdict(name, layout, 0, "no handshake");
		return;
	}
	slot.queues[0].vector = 40;
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 1);
	if (!blk.dev.live) {
		verdict(name, layout, 0, "device not live");
		return;
	}
	slot.config[offsetof(struct virtio_blk_config, wce)] = (uint8_t)wce;
	flushes = 0;
	at_flush = NULL;
	atomic_store(&config_irqs, 0);
	rd = queue_req(0, VIRTIO_BLK_T_IN);
	second = queue_req(1, wce ? VIRTIO_BLK_T_FLUSH : VIRTIO_BLK_T_OUT);
	virtq_publish(&vd.vq[0]);
	kb_device_poll(&blk.dev, 64);
	while (virtq_get(&vd.vq[0], NULL))
		rest++;
	verdict(name, layout,
		flushes == 1 && at_flush == rd && irqs_at_flush >= 1 &&
		rest == 1 && region[REQ_OFF + 32] == VIRTIO_BLK_S_OK &&
		region[REQ_OFF + 64 + 32] == VIRTIO_BLK_S_OK,
		"%d store flushes; at the flush the driver saw %s after %lu interrupts; then %d more (want the read and 1, then 1: the %s); statuses %d %d",
		flushes, at_flush == rd ? "the read" :
			 at_flush == second ? "the second request" : "nothing",
		irqs_at_flush, rest, wce ? "FLUSH" : "write",
		region[REQ_OFF + 32], region[REQ_OFF + 64 + 32]);
}

int main(void)
{
	harness_start();
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		publishes_first("blk-flush-publishes-first", layout, packed, 1);
		publishes_first("blk-through-publishes-first", layout, packed, 0);
	}
	harness_end();
	printf("device_flush: %d failed\n", failures);
	return failures != 0;
}
