/*
 * Hosted: the net device's offloads, mergeable buffers, queue pairs and
 * the receive queue's wait for buffers (host/backend/net.c), driven by
 * the guest's own driver code (lib/virtio.c, lib/virtq.c) and polled by
 * hand, so every case is deterministic.  One line per case, "ok NAME" or
 * "FAIL NAME: why", and "net_offload: N failed" last.
 *
 *   csum-on-*          CSUM and GUEST_CSUM: a frame sent with NEEDS_CSUM
 *                      loops back with NEEDS_CSUM, start and offset
 *   csum-guest-off-*   CSUM only: it loops back with the checksum done
 *                      by the device, right, and no flags
 *   csum-off-*         neither: a NEEDS_CSUM frame is refused (tx_errors)
 *   hostile-hdr-*      headers a guest may forge (start or offset outside
 *                      the frame, GSO, DATA_VALID on transmit, a short
 *                      frame): each dropped and counted, device live
 *   features-refused   MQ without CTRL_VQ: FEATURES_OK refused
 *   mrg-B-*            MRG_RXBUF, receive buffers of B bytes: frames of
 *                      14..9018 bytes arrive whole over num_buffers
 *   no-mrg-*           without: a frame bigger than the buffer is dropped,
 *                      the buffer returned empty
 *   rx-wait-*          too few buffers: -ENOSPC, nothing taken, kicks
 *                      asked on rx, a smaller frame behind it waits too
 *                      (no walk of the ring per frame); buffers posted:
 *                      rx_room, the frame fits
 *   rx-wait-unseen-*   the same, but the frame comes before the device
 *                      looked at the new buffer: it fits, the wait is
 *                      over (rx_room, no waiting), and the next frame
 *                      finds the next buffer (packed: the stale mark
 *                      named a used slot and refused every frame)
 *   mrg-never-fits-*   a frame larger than the whole receive ring: dropped,
 *                      the buffers returned empty, no waiting (-2desc:
 *                      buffers of two descriptors, the ring's slots
 *                      counted, not its buffers)
 *   mrg-may-fit-2desc-* the same buffers with slots left for a third:
 *                      the frame waits, nothing dropped
 *   mq-ctrl            MQ_VQ_PAIRS_SET: 1 OK, 0 and max+1 refused
 *   tx-poll-budget     host mode: kb_net_tx_poll takes at most budget
 *                      frames and hands each with its checksum state
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/net.h"
#include "hosted/virtio_hosted.h"
#include "tests/hosted/verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (16u << 20)
#define QSIZE 256
#define TX_OFF 0x200000
#define RX_OFF 0x400000
#define HDR KB_NET_HDR
#define F(bit) (1ULL << (bit))

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_net net;
static struct virtio_dev vd;
static int rx_rooms;
static uint16_t rx_qsize = QSIZE;	/* queue 0's size, for up() */
static int no_indirect;		/* up() without INDIRECT_DESC */
static const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };

static int tx_ready(void *ctx, unsigned int pair)
{
	(void)ctx;
	(void)pair;
	return 0;
}

static void rx_room(void *ctx, unsigned int pair)
{
	(void)ctx;
	(void)pair;
	rx_rooms++;
}

static const struct kb_net_ops host_ops = { .tx_ready = tx_ready,
					    .rx_room = rx_room };

/* Bring the device up with these features (and the transport's). */
static int up(enum kb_net_mode mode, int packed, uint64_t want)
{
	uint64_t transport = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |
			     (no_indirect ? 0 : F(VIRTIO_RING_F_INDIRECT_DESC));

	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	kb_net_init(&net, &slot, &kr, &no_notify_ops, NULL, mode, &host_ops, NULL, mac);
	vh_region(region, BASE, REGION_BYTES, 0);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	if (virtio_start(&vd, want | transport |
			 (packed ? F(VIRTIO_F_RING_PACKED) : 0)))
		return -1;
	if (vd.features != (want | transport | (packed ? F(VIRTIO_F_RING_PACKED) : 0)))
		return -1;
	for (uint32_t q = 0; q < slot.num_queues; q++)
		if (virtio_queue(&vd, q, q ? QSIZE : rx_qsize, NULL))
			return -1;
	virtio_ready(&vd);
	kb_device_poll(&net.dev, 1);
	return net.dev.live && !virtio_broken(&vd) ? 0 : -1;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The checksum over p[0..len) is right if it sums to 0xffff. */
static int sum_ok(const uint8_t *p, size_t len, uint32_t pseudo)
{
	uint64_t s = pseudo;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/*
 * A UDP/IPv4 frame to our MAC of len bytes, its UDP checksum partial: the
 * pseudo-header's sum in the field, to be completed from byte 34.
 */
static uint32_t udp_frame(uint8_t *f, size_t len)
{
	uint32_t pseudo, ulen = (uint32_t)len - 34;

	memset(f, 0, len);
	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[23] = 17;
	memcpy(f + 26, "\xa9\xfe\x01\x01\xa9\xfe\x01\x02", 8);
	f[38] = (uint8_t)(ulen >> 8);
	f[39] = (uint8_t)ulen;
	for (size_t i = 42; i < len; i++)
		f[i] = (uint8_t)(i * 7);
	pseudo = 0xa9fe + 0x0101 + 0xa9fe + 0x0102 + 17 + ulen;
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	f[40] = (uint8_t)(pseudo >> 8);
	f[41] = (uint8_t)pseudo;
	return 0;
}

/* Send hdr + frame on pair 0; poll; 0 once the chain came back. */
static int send(const struct virtio_net_hdr_v1 *h, const uint8_t *frame,
		size_t len)
{
	uint8_t *buf = region + TX_OFF;
	struct virtq_buf out = { buf, (uint32_t)(HDR + len) };

	memcpy(buf, h, HDR);
	memcpy(buf + HDR, frame, len);
	if (virtq_add(&vd.vq[1], &out, 1, NULL, 0, buf))
		return -1;
	virtq_publish(&vd.vq[1]);
	kb_device_poll(&net.dev, 64);
	return virtq_get(&vd.vq[1], NULL) == buf ? 0 : -1;
}

/* Post n receive buffers of size bytes each from RX_OFF. */
static void post_rx(unsigned int n, uint32_t size)
{
	for (unsigned int i = 0; i < n; i++) {
		struct virtq_buf in = { region + RX_OFF + (size_t)i * size,
					size };

		virtq_add(&vd.vq[0], NULL, 0, &in, 1, in.p);
	}
	virtq_publish(&vd.vq[0]);
}

/* Post n receive buffers of 512 bytes as two descriptors of 256 each. */
static void post_rx_2desc(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *b = region + RX_OFF + (size_t)i * 512;
		struct virtq_buf in[2] = { { b, 256 }, { b + 256, 256 } };

		virtq_add(&vd.vq[0], NULL, 0, in, 2, b);
	}
	virtq_publish(&vd.vq[0]);
}

/*
 * The next received frame, put together from num_buffers buffers into
 * out; its header in *h.  Returns its length or -1.
 */
static long recv_frame(struct virtio_net_hdr_v1 *h, uint8_t *out)
{
	uint32_t len;
	uint8_t *b = virtq_get(&vd.vq[0], &len);
	long got;

	if (!b || len < HDR)
		return -1;
	memcpy(h, b, HDR);
	got = len - HDR;
	memcpy(out, b + HDR, got);
	for (unsigned int i = 1; i < h->num_buffers; i++) {
		b = virtq_get(&vd.vq[0], &len);
		if (!b)
			return -1;
		memcpy(out + got, b, len);
		got += len;
	}
	return got;
}

static void csum_cases(const char *layout, int packed)
{
	static uint8_t f[1500], got[KB_NET_FRAME_MAX];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = 34, .csum_offset = 6 };
	struct virtio_net_hdr_v1 rh;
	struct kb_net_pair_stats t;
	uint64_t base = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_CTRL_VQ);
	long n;

	udp_frame(f, 200);
	if (up(KB_NET_LOOPBACK, packed, base | F(VIRTIO_NET_F_CSUM) |
	       F(VIRTIO_NET_F_GUEST_CSUM)))
		verdict("csum-on", layout, 0, "device not up");
	post_rx(4, 2048);
	n = send(&h, f, 200) ? -1 : recv_frame(&rh, got);
	verdict("csum-on", layout,
		n == 200 && rh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
		rh.csum_start == 34 && rh.csum_offset == 6 &&
		!memcmp(got, f, 200),
		"len %ld flags %#x start %u offset %u", n, rh.flags,
		rh.csum_start, rh.csum_offset);

	if (up(KB_NET_LOOPBACK, packed, base | F(VIRTIO_NET_F_CSUM)))
		verdict("csum-guest-off", layout, 0, "device not up");
	post_rx(4, 2048);
	udp_frame(f, 201);		/* odd: the last byte summed alone */
	n = send(&h, f, 201) ? -1 : recv_frame(&rh, got);
	verdict("csum-guest-off", layout,
		n == 201 && rh.flags == 0 &&
		sum_ok(got + 34, 201 - 34, 0xa9fe + 0x0101 + 0xa9fe + 0x0102 +
		       17 + (201 - 34)) && !memcmp(got + 42, f + 42, 201 - 42),
		"len %ld flags %#x, UDP checksum %04x %s", n, rh.flags,
		get16(got + 40), "(must complete the sum)");

	if (up(KB_NET_LOOPBACK, packed, base))
		verdict("csum-off", layout, 0, "device not up");
	post_rx(4, 2048);
	send(&h, f, 200);
	kb_net_totals(&net, &t);
	verdict("csum-off", layout,
		t.tx_errors == 1 && t.rx_packets == 0 && net.dev.live &&
		!net.dev.broken,
		"tx_errors %llu rx %llu", (unsigned long long)t.tx_errors,
		(unsigned long long)t.rx_packets);
}

static void hostile_headers(const char *layout, int packed)
{
	static uint8_t f[200];
	static const struct virtio_net_hdr_v1 bad[] = {
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 200,
		  .csum_offset = 0 },		/* start at the end */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
		  .csum_offset = 165 },		/* field one past the end */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 65535,
		  .csum_offset = 65535 },	/* wraps if added carelessly */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 4,
		  .csum_offset = 6 },		/* inside the MAC header */
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100 },
		{ .flags = VIRTIO_NET_HDR_F_DATA_VALID },
		{ .flags = 0x80 },
	};
	struct virtio_net_hdr_v1 ok = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					.csum_start = 34, .csum_offset = 164,
					.num_buffers = 9999 };
	struct kb_net_pair_stats t;
	unsigned int i;

	udp_frame(f, sizeof(f));
	if (up(KB_NET_LOOPBACK, packed, F(VIRTIO_NET_F_MAC) |
	       F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM)))
		verdict("hostile-hdr", layout, 0, "device not up");
	post_rx(16, 2048);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		send(&bad[i], f, sizeof(f));
	send(&ok, f, 13);		/* shorter than a MAC header */
	/* The last two bytes as the field: just inside; num_buffers ignored. */
	send(&ok, f, sizeof(f));
	kb_net_totals(&net, &t);
	verdict("hostile-hdr", layout,
		t.tx_errors == i + 1 && t.tx_packets == 1 &&
		t.rx_packets == 1 && net.dev.live && !net.dev.broken,
		"tx_errors %llu of %u, tx %llu rx %llu, live %d broken %d",
		(unsigned long long)t.tx_errors, i + 1,
		(unsigned long long)t.tx_packets,
		(unsigned long long)t.rx_packets, net.dev.live,
		net.dev.broken);
}

static void features_refused(void)
{
	memset(&slot, 0, sizeof(slot));
	kb_net_init(&net, &slot, &kr, &no_notify_ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	verdict("features-refused", NULL,
		virtio_start(&vd, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MQ)) == -2,
		"MQ without CTRL_VQ was accepted");
}

/* Frames of every length class through buffers of size bytes. */
static void mrg(uint32_t size, const char *layout, int packed)
{
	static uint8_t f[KB_NET_FRAME_MAX], got[KB_NET_FRAME_MAX];
	static const uint32_t lens[] = { 14, 60, 61, 1514, 1518, 4000,
					 KB_NET_FRAME_MAX };
	struct virtio_net_hdr_v1 h;
	char name[32];
	int ok = 1;
	uint32_t i, want_bufs;
	long n = 0;

	snprintf(name, sizeof(name), "mrg-%u", size);
	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF))) {
		verdict(name, layout, 0, "device not up");
		return;
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]) && ok; i++) {
		for (uint32_t k = 0; k < lens[i]; k++)
			f[k] = (uint8_t)(k * 13 + i);
		want_bufs = (HDR + lens[i] + size - 1) / size;
		if (want_bufs > KB_NET_RX_BUFS) {
			/* More than a frame may take: dropped, buffers back. */
			uint32_t len = 1;

			post_rx(KB_NET_RX_BUFS + 1, size);
			ok = kb_net_rx(&net, 0, f, lens[i], NULL) == -EINVAL;
			for (uint32_t k = 0; k < KB_NET_RX_BUFS && ok; k++)
				ok = virtq_get(&vd.vq[0], &len) && !len;
			ok = ok && !virtq_get(&vd.vq[0], &len);
			i++;
			break;
		}
		post_rx(want_bufs, size);
		ok = kb_net_rx(&net, 0, f, lens[i], NULL) == 0;
		kb_net_rx_flush(&net, 0);
		n = recv_frame(&h, got);
		ok = ok && n == lens[i] && h.num_buffers == want_bufs &&
		     !memcmp(got, f, lens[i]);
	}
	verdict(name, layout, ok, "frame of %u bytes: got %ld over %u buffers",
		lens[i - 1], n, h.num_buffers);
}

static void no_mrg(const char *layout, int packed)
{
	static uint8_t f[1514];
	uint32_t len = 0xdead;
	void *b;
	int r;

	if (up(KB_NET_HOST, packed, 0)) {
		verdict("no-mrg", layout, 0, "device not up");
		return;
	}
	post_rx(1, 1024);
	r = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	b = virtq_get(&vd.vq[0], &len);
	verdict("no-mrg", layout, r == -EINVAL && b && len == 0,
		"kb_net_rx %d, buffer %s, len %u", r, b ? "back" : "kept", len);
}

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
	struct virtio_net_hdr_v1 h;
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

/*
 * A receive ring of 2 buffers of 512 bytes can never hold a 1514-byte
 * frame, however long the device waits: it must drop it (and give the
 * buffers back empty), not wait for a third buffer the driver cannot
 * post, which would stop ksnetN's transmit queue for good.
 */
/*
 * A frame that needs more buffers than the receive ring can ever hold at
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

/* One ctrl command; the device's ack or -1. */
static int ctrl(const uint8_t *cmd, uint32_t len)
{
	uint8_t *buf = region + TX_OFF + 8192, *ack = buf + 64;
	struct virtq_buf out = { buf, len }, in = { ack, 1 };
	/* after every pair with MQ, after the first without (5.1.2) */
	struct virtq *q = &vd.vq[vd.features & F(VIRTIO_NET_F_MQ) ?
				 2 * KB_NET_PAIRS_MAX : 2];

	memcpy(buf, cmd, len);
	*ack = 0xff;
	virtq_add(q, &out, 1, &in, 1, buf);
	virtq_publish(q);
	kb_device_poll(&net.dev, 8);
	return virtq_get(q, NULL) == buf ? *ack : -1;
}

static void mq_ctrl(void)
{
	uint8_t set[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET };
	int one, zero, over, without;

	if (up(KB_NET_HOST, 0, F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ))) {
		verdict("mq-ctrl", NULL, 0, "device not up");
		return;
	}
	set[2] = 1;
	one = ctrl(set, 4);
	set[2] = 0;
	zero = ctrl(set, 4);
	set[2] = KB_NET_PAIRS_MAX + 1;
	over = ctrl(set, 4);
	up(KB_NET_HOST, 0, F(VIRTIO_NET_F_CTRL_VQ));
	set[2] = 1;
	without = ctrl(set, 4);
	verdict("mq-ctrl", NULL,
		one == VIRTIO_NET_OK && zero == VIRTIO_NET_ERR &&
		over == VIRTIO_NET_ERR && without == VIRTIO_NET_ERR &&
		slot.num_queues == 2 * KB_NET_PAIRS_MAX + 1,
		"acks: 1 -> %d, 0 -> %d, max+1 -> %d, without MQ -> %d; %u queues",
		one, zero, over, without, slot.num_queues);
}

static uint8_t sink_buf[8][KB_NET_FRAME_MAX];
static struct kb_net_meta sink_meta[8];
static int sunk;

static void *sink_alloc(void *ctx, uint32_t len)
{
	(void)ctx;
	(void)len;
	return sunk < 8 ? sink_buf[sunk] : NULL;
}

static void sink_deliver(void *ctx, void *buf, uint32_t len,
			 const struct kb_net_meta *m)
{
	(void)ctx;
	(void)buf;
	(void)len;
	sink_meta[sunk++] = *m;
}

static void tx_poll_budget(void)
{
	static const struct kb_net_sink sink = { .alloc = sink_alloc,
						 .deliver = sink_deliver };
	static uint8_t f[100];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = 34, .csum_offset = 6 };
	int first, second;

	if (up(KB_NET_HOST, 0, F(VIRTIO_NET_F_CSUM))) {
		verdict("tx-poll-budget", NULL, 0, "device not up");
		return;
	}
	udp_frame(f, sizeof(f));
	for (int i = 0; i < 5; i++) {
		struct virtq_buf out = { region + TX_OFF + i * 256,
					 HDR + sizeof(f) };

		memcpy(out.p, &h, HDR);
		memcpy((uint8_t *)out.p + HDR, f, sizeof(f));
		virtq_add(&vd.vq[1], &out, 1, NULL, 0, out.p);
	}
	virtq_publish(&vd.vq[1]);
	sunk = 0;
	first = kb_net_tx_poll(&net, 0, 3, &sink, NULL);
	second = kb_net_tx_poll(&net, 0, 64, &sink, NULL);
	verdict("tx-poll-budget", NULL,
		first == 3 && second == 2 && sunk == 5 &&
		sink_meta[4].csum == KB_NET_CSUM_PARTIAL &&
		sink_meta[4].csum_start == 34 && !memcmp(sink_buf[4], f, 100),
		"polls took %d and %d, %d delivered", first, second, sunk);
}

int main(void)
{
	static const uint32_t sizes[] = { HDR + 1, 64, 100, 256, 1526, 2048 };

	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		csum_cases(layout, packed);
		hostile_headers(layout, packed);
		for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			mrg(sizes[i], layout, packed);
		no_mrg(layout, packed);
		rx_wait(layout, packed);
		rx_wait_unseen(layout, packed);
		never_fits(layout, packed, 1);
		never_fits(layout, packed, 2);
		may_fit(layout, packed);
	}
	features_refused();
	mq_ctrl();
	tx_poll_budget();
	printf("net_offload: %d failed\n", failures);
	free(region);
	return failures != 0;
}
