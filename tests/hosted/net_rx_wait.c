/*
 * Hosted: the net device's receive queue waiting for buffers
 * (host/backend/net.c), with mergeable buffers: a frame waits while the
 * guest may still post room for it and is dropped when the whole ring
 * could never hold it.  Driven as net_offload.c is (net_harness.h).  One
 * line per case, "ok NAME" or "FAIL NAME: why", and "net_rx_wait: N
 * failed" last.
 *
 *   rx-wait-*          too few buffers: -ENOSPC, nothing taken, kicks
 *                      asked on rx, a smaller frame behind it waits too
 *                      (no walk of the ring per frame); buffers posted:
 *                      rx_room, the frame fits
 *   rx-wait-unseen-*   the same, but the frame comes before the device
 *                      looked at the new buffer: it fits, the wait is
 *                      over (rx_room, no waiting), and the next frame
 *                      finds the next buffer (packed: the stale mark
 *                      named a used slot and refused every frame)
 *   rx-wait-dropped-*  without mergeable buffers, the frame that comes
 *                      after the guest posted, before the device looked,
 *                      finds the buffer too small: dropped, the wait is
 *                      over all the same (rx_room, no waiting), and later
 *                      frames fit in later buffers (packed: the stale mark
 *                      named the slot given back, and every later frame
 *                      was refused)
 *   mrg-never-fits-*   a frame larger than the whole receive ring: dropped,
 *                      the buffers returned empty, no waiting (-2desc:
 *                      buffers of two descriptors, the ring's slots
 *                      counted, not its buffers)
 *   mrg-may-fit-2desc-* the same buffers with slots left for a third:
 *                      the frame waits, nothing dropped
 *   failed-waiting-*   a frame waiting, then the driver sets FAILED
 *                      without a reset and posts more buffers: the device
 *                      is down (no carrier), asks for no kicks, takes no
 *                      frame; a reset brings it up again and tells the
 *                      host the wait is over
 */
#include "tests/hosted/net_harness.h"

/*
 * The rx-wait cases' start: mergeable buffers, 1024 bytes posted for a
 * frame of 1514 (f), which kb_net_rx() is given once: its result in *r1.
 * 0, or -1 (said as name's verdict) if the device is not up.
 */
static int rx_short(const char *name, const char *layout, int packed,
		    uint8_t *f, size_t len, int *r1)
{
	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF))) {
		verdict(name, layout, 0, "device not up");
		return -1;
	}
	memset(f, 0x5a, len);
	rx_rooms = 0;
	post_rx(2, 512);		/* 1024 bytes: short of 12 + 1514 */
	*r1 = kb_net_rx(&net, 0, f, (uint32_t)len, NULL);
	return 0;
}

static void rx_wait(const char *layout, int packed)
{
	static uint8_t f[1514], got[1514];
	struct virtio_net_hdr_v1 h = { 0 };
	int r1, r2, small, kick;
	long n;

	if (rx_short("rx-wait", layout, packed, f, sizeof(f), &r1))
		return;
	kb_net_rx_flush(&net, 0);
	/*
	 * Frames wait in order: a small one that would fit waits behind
	 * it, and takes nothing (the ring is not walked again).
	 */
	small = kb_net_rx(&net, 0, f, 60, NULL);
	kb_net_rx_flush(&net, 0);
	/* Nothing taken; the device wants a kick at the next buffer. */
	kb_device_kicks_on(&net.dev);
	kick = virtq_get(&vd.vq[0], NULL) == NULL;
	{
		struct virtq_buf in = { region + RX_OFF + 4096, 2048 };

		virtq_add(&vd.vq[0], NULL, 0, &in, 1, in.p);
		kick = kick && virtq_publish(&vd.vq[0]);
	}
	kb_device_kicks_off(&net.dev);
	kb_device_poll(&net.dev, 64);
	r2 = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	kb_net_rx_flush(&net, 0);
	n = recv_frame(&h, got);
	verdict("rx-wait", layout,
		r1 == -ENOSPC && small == -ENOSPC && kick && rx_rooms == 1 &&
		r2 == 0 && n == sizeof(f) && !net.rx_waiting,
		"first %d, a small one behind it %d, kicked %d, rx_room %d, then %d and %ld bytes, waiting %#x",
		r1, small, kick, rx_rooms, r2, n, net.rx_waiting);
}

static void rx_wait_unseen(const char *layout, int packed)
{
	static uint8_t f[1514];
	struct virtq_buf in = { region + RX_OFF + 4096, 2048 };
	int r1, r2, r3, rooms, waiting;

	if (rx_short("rx-wait-unseen", layout, packed, f, sizeof(f), &r1))
		return;
	virtq_add(&vd.vq[0], NULL, 0, &in, 1, in.p);
	virtq_publish(&vd.vq[0]);
	/* No kb_device_poll(): the frame comes first. */
	r2 = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	rooms = rx_rooms;
	waiting = (int)net.rx_waiting;
	kb_net_rx_flush(&net, 0);
	while (virtq_get(&vd.vq[0], NULL))
		;
	post_rx(1, 512);
	r3 = kb_net_rx(&net, 0, f, 60, NULL);
	verdict("rx-wait-unseen", layout,
		r1 == -ENOSPC && r2 == 0 && rooms == 1 && !waiting && r3 == 0,
		"first %d, with a buffer the device had not seen %d (rx_room %d, waiting %#x), the next frame %d",
		r1, r2, rooms, waiting, r3);
}

static void rx_wait_dropped(const char *layout, int packed)
{
	static uint8_t f[1514];
	int r1, r2, r3, r4, rooms, waiting;

	if (up(KB_NET_HOST, packed, 0)) {
		verdict("rx-wait-dropped", layout, 0, "device not up");
		return;
	}
	memset(f, 0x5a, sizeof(f));
	rx_rooms = 0;
	r1 = kb_net_rx(&net, 0, f, sizeof(f), NULL);	/* no buffer: waits */
	post_rx(1, 512);		/* too small, and not looked at yet */
	r2 = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	rooms = rx_rooms;
	waiting = (int)net.rx_waiting;
	kb_net_rx_flush(&net, 0);
	while (virtq_get(&vd.vq[0], NULL))
		;
	post_rx(2, 2048);
	kb_device_poll(&net.dev, 64);
	r3 = kb_net_rx(&net, 0, f, 60, NULL);
	r4 = kb_net_rx(&net, 0, f, 60, NULL);
	verdict("rx-wait-dropped", layout,
		r1 == -ENOSPC && r2 == -EINVAL && rooms == 1 && !waiting &&
		!r3 && !r4,
		"first %d, into a small buffer %d (rx_room %d, waiting %#x), then into big ones %d and %d",
		r1, r2, rooms, waiting, r3, r4);
}

/*
 * A frame the receive ring can never hold must be dropped (the buffers
 * given back empty), not wait for a buffer the driver cannot post, which
 * would stop ksnetN's transmit queue for good.  Here the frame needs more
 * buffers than the receive ring can ever hold at
 * once: the ring's two slots as two one-descriptor buffers (mrg-never-fits)
 * or its four slots as two two-descriptor buffers (mrg-never-fits-2desc:
 * counting buffers, not slots, the device took the ring's size, 4, for
 * room for four and waited for a third buffer that could never come).
 */
static void never_fits(const char *layout, int packed, unsigned int descs)
{
	static uint8_t f[1514];
	const char *name = descs > 1 ? "mrg-never-fits-2desc" : "mrg-never-fits";
	uint32_t len[2] = { 0xdead, 0xdead };
	int r, back = 0;

	rx_qsize = (uint16_t)(2 * descs);
	no_indirect = descs > 1;	/* or the driver makes each one slot */
	r = up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF));
	rx_qsize = QSIZE;
	no_indirect = 0;
	if (r) {
		verdict(name, layout, 0, "device not up");
		return;
	}
	rx_rooms = 0;
	if (descs == 1)
		post_rx(2, 512);
	else
		post_rx_2desc(2);
	r = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	kb_net_rx_flush(&net, 0);
	while (back < 2 && virtq_get(&vd.vq[0], &len[back]))
		back++;
	verdict(name, layout,
		r == -EINVAL && back == 2 && !len[0] && !len[1] &&
		!net.rx_waiting,
		"kb_net_rx %d (want %d), %d buffers back, lengths %u %u, waiting %#x",
		r, -EINVAL, back, len[0], len[1], net.rx_waiting);
}

/*
 * The other side of mrg-never-fits-2desc: the same two 2-descriptor
 * buffers in a ring of 8 slots, 4 of them free, so a third buffer can
 * still come: the frame waits (-ENOSPC, nothing taken), not dropped.
 */
static void may_fit(const char *layout, int packed)
{
	static uint8_t f[1514];
	uint32_t len;
	int r, back;

	rx_qsize = 8;
	no_indirect = 1;
	r = up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF));
	rx_qsize = QSIZE;
	no_indirect = 0;
	if (r) {
		verdict("mrg-may-fit-2desc", layout, 0, "device not up");
		return;
	}
	post_rx_2desc(2);
	r = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	kb_net_rx_flush(&net, 0);
	back = virtq_get(&vd.vq[0], &len) != NULL;
	verdict("mrg-may-fit-2desc", layout,
		r == -ENOSPC && net.rx_waiting == 1 && !back,
		"kb_net_rx %d (want %d), waiting %#x, a buffer back: %s",
		r, -ENOSPC, net.rx_waiting, back ? "yes" : "no");
}

static void failed_waiting(const char *layout, int packed)
{
	static uint8_t f[1514];
	int r1, r2, pending, up_after;

	if (rx_short("failed-waiting", layout, packed, f, sizeof(f), &r1))
		return;
	slot.status |= VIRTIO_CONFIG_S_FAILED;	/* no reset */
	post_rx(8, 512);
	for (int k = 0; k < 4; k++)
		kb_device_poll(&net.dev, 64);
	pending = kb_device_kicks_on(&net.dev);
	up_after = kb_net_up(&net);
	r2 = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	kb_net_rx_flush(&net, 0);
	if (!verdict("failed-waiting", layout,
		     r1 == -ENOSPC && !up_after && !pending && r2 < 0,
		     "first %d; after FAILED: up %d, kicks_on pending %d, a frame %d",
		     r1, up_after, pending, r2))
		return;
	slot.status = 0;			/* the reset virtio names */
	kb_device_poll(&net.dev, 64);
	verdict("failed-waiting-reset", layout,
		!net.rx_waiting && rx_rooms == 1 && !net.dev.broken,
		"after status 0: waiting %#x, rx_room %d, broken %d",
		net.rx_waiting, rx_rooms, net.dev.broken);
}

int main(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		rx_wait(layout, packed);
		rx_wait_unseen(layout, packed);
		rx_wait_dropped(layout, packed);
		never_fits(layout, packed, 1);
		never_fits(layout, packed, 2);
		may_fit(layout, packed);
		failed_waiting(layout, packed);
	}
	printf("net_rx_wait: %d failed\n", failures);
	free(region);
	return failures != 0;
}
