/*
 * Hosted: the net device's offloads, mergeable buffers and queue pairs
 * (host/backend/net.c; the receive queue's wait for buffers is
 * net_rx_wait.c's), driven by
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
 *                      the frame, GSO, DATA_VALID or RSC_INFO on transmit,
 *                      a short frame, one a byte longer than
 *                      KB_NET_FRAME_MAX): each dropped and counted, device
 *                      live; flag bits the device does not know are
 *                      ignored, the frame sent (virtio 1.2, 5.1.6.2.2)
 *   features-refused   MQ without CTRL_VQ: FEATURES_OK refused
 *   mrg-B-*            MRG_RXBUF, receive buffers of B bytes: frames of
 *                      14..9018 bytes arrive whole over num_buffers
 *   no-mrg-*           without: a frame bigger than the buffer is dropped,
 *                      the buffer returned empty
 *   mrg-short-first-*  MRG_RXBUF, a first buffer as long as the header
 *                      or shorter: the frame dropped, the buffer back
 *                      with nothing written
 *   mq-ctrl            MQ_VQ_PAIRS_SET: 1 OK, 0 and max+1 refused
 *   tx-poll-budget     host mode: kb_net_tx_poll takes at most budget
 *                      frames and hands each with its checksum state
 *   tx-held-rewritten-* a frame held back, and the guest rewrites a
 *                      chain before it (its descriptor, its available
 *                      entry): NEEDS_RESET, no frame delivered twice
 */
#include "tests/hosted/net_harness.h"

static void csum_cases(const char *layout, int packed)
{
	static uint8_t f[1500], got[KB_NET_FRAME_MAX];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = 34, .csum_offset = 6 };
	struct virtio_net_hdr_v1 rh = { 0 };
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
		{ .flags = VIRTIO_NET_HDR_F_RSC_INFO },
	};
	static const struct virtio_net_hdr_v1 unknown = { .flags = 0xf8 };
	static const struct virtio_net_hdr_v1 none = { 0 };
	static uint8_t big[KB_NET_FRAME_MAX + 1];
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
	/* Shorter than a MAC header; no NEEDS_CSUM, which refuses it too. */
	send(&none, f, 13);
	send(&none, big, sizeof(big));	/* longer than any frame */
	/* The last two bytes as the field: just inside; num_buffers ignored. */
	send(&ok, f, sizeof(f));
	send(&unknown, f, sizeof(f));
	kb_net_totals(&net, &t);
	verdict("hostile-hdr", layout,
		t.tx_errors == i + 2 && t.tx_packets == 2 &&
		t.rx_packets == 2 && net.dev.live && !net.dev.broken,
		"tx_errors %llu of %u, tx %llu rx %llu, live %d broken %d",
		(unsigned long long)t.tx_errors, i + 2,
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
static void mrg(uint32_t size, const char *layout, int packed, int in_order)
{
	static uint8_t f[KB_NET_FRAME_MAX], got[KB_NET_FRAME_MAX];
	static const uint32_t lens[] = { 14, 60, 61, 1514, 1518, 4000,
					 KB_NET_FRAME_MAX };
	struct virtio_net_hdr_v1 h = { 0 };
	char name[32];
	int ok = 1;
	uint32_t i, want_bufs;
	long n = 0;

	snprintf(name, sizeof(name), "mrg-%u%s", size, in_order ? "-in-order" : "");
	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF) |
	       (in_order ? F(VIRTIO_F_IN_ORDER) : 0))) {
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

/*
 * VIRTIO_F_IN_ORDER: the device leaves a receive buffer it wrote in full
 * unnamed when a later one in the same batch is named, and the driver
 * takes such a buffer as full.  Each buffer is judged by its own size: a
 * frame of 1024 bytes with its header in one 2048-byte buffer, after a
 * frame whose last buffer held 1024, is not a full buffer.
 */
static void in_order_rx(const char *layout, int packed)
{
	static uint8_t f[1500], got[KB_NET_FRAME_MAX];
	struct virtio_net_hdr_v1 h = { 0 };
	long n1, n2, n3;
	int r1, r2, r3;

	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF) |
	       F(VIRTIO_F_IN_ORDER))) {
		verdict("in-order-rx-lengths", layout, 0, "device not up");
		return;
	}
	memset(f, 0x5a, sizeof(f));
	post_rx(2, 1024);
	r1 = kb_net_rx(&net, 0, f, sizeof(f), NULL);
	kb_net_rx_flush(&net, 0);
	n1 = recv_frame(&h, got);
	/* Two frames, one publish: the first buffer is named only if not full. */
	post_rx(2, 2048);
	r2 = kb_net_rx(&net, 0, f, 1024 - HDR, NULL);
	r3 = kb_net_rx(&net, 0, f, 100, NULL);
	kb_net_rx_flush(&net, 0);
	n2 = recv_frame(&h, got);
	n3 = recv_frame(&h, got);
	verdict("in-order-rx-lengths", layout,
		!r1 && n1 == sizeof(f) && !r2 && n2 == 1024 - HDR && !r3 &&
		n3 == 100 && h.num_buffers == 1 && !memcmp(got, f, 100),
		"frames of %zu, %u and 100 bytes: got %ld, %ld and %ld",
		sizeof(f), 1024 - HDR, n1, n2, n3);
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
 * MRG_RXBUF lets a frame span buffers, but the first must hold the
 * header and some of the frame: one as long as the header, or shorter,
 * takes nothing and is given back empty, never reported written past
 * its end.
 */
static void mrg_short_first(const char *layout, int packed)
{
	static const uint32_t sizes[] = { HDR, HDR - 4 };
	static uint8_t f[60];
	uint32_t size = 0, len = 0;
	void *b = NULL;
	int ok = 1, r = 0;

	for (unsigned int i = 0; i < 2 && ok; i++) {
		size = sizes[i];
		if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MRG_RXBUF))) {
			verdict("mrg-short-first", layout, 0, "device not up");
			return;
		}
		post_rx(1, size);
		len = 0xdead;
		r = kb_net_rx(&net, 0, f, sizeof(f), NULL);
		kb_net_rx_flush(&net, 0);
		b = virtq_get(&vd.vq[0], &len);
		ok = r == -EINVAL && b && len == 0;
	}
	verdict("mrg-short-first", layout, ok,
		"first buffer of %u bytes: kb_net_rx %d, buffer %s, len %u",
		size, r, b ? "back" : "kept", len);
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
static uint32_t sink_len[8];
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
	sink_len[sunk] = len;
	sink_meta[sunk++] = *m;
}

/*
 * The transmit poll takes frames of one buffer in batches and a longer
 * chain alone: a queue that mixes them (and holds a device-writable
 * buffer, refused) gives every frame to the sink in ring order, intact,
 * each once, and every buffer back to the driver in order with 0 bytes
 * written (in order, the writable one must be named: not written full).
 */
static void tx_mixed(const char *layout, int packed, int in_order)
{
	static const struct kb_net_sink sink = { .alloc = sink_alloc,
						 .deliver = sink_deliver };
	static const uint32_t lens[5] = { 60, 70, 80, 90, 100 };
	static uint8_t f[5][128];
	uint8_t *p = region + TX_OFF;
	struct virtio_net_hdr_v1 h = { 0 };
	struct kb_net_pair_stats before, after;
	char name[32];
	int ok, polled, back = 0;
	uint32_t used;

	snprintf(name, sizeof(name), "tx-mixed%s", in_order ? "-in-order" : "");
	if (up(KB_NET_HOST, packed, in_order ? F(VIRTIO_F_IN_ORDER) : 0)) {
		verdict(name, layout, 0, "device not up");
		return;
	}
	kb_net_totals(&net, &before);
	for (int i = 0; i < 5; i++) {
		uint8_t *b = p + i * 256;
		struct virtq_buf one = { b, HDR + lens[i] };
		struct virtq_buf two[2] = { { b, HDR }, { b + 128, lens[i] } };

		udp_frame(f[i], lens[i]);
		f[i][50] = (uint8_t)i;		/* which frame */
		memcpy(b, &h, HDR);
		memcpy(i == 1 ? b + 128 : b + HDR, f[i], lens[i]);
		if (i == 1)		/* header and frame apart: a chain */
			virtq_add(&vd.vq[1], two, 2, NULL, 0, b);
		else if (i == 3)	/* writable: no frame to send */
			virtq_add(&vd.vq[1], NULL, 0, &one, 1, b);
		else
			virtq_add(&vd.vq[1], &one, 1, NULL, 0, b);
	}
	virtq_publish(&vd.vq[1]);
	sunk = 0;
	polled = kb_net_tx_poll(&net, 0, 64, &sink, NULL);
	kb_net_totals(&net, &after);
	ok = polled == 5 && sunk == 4 &&
	     after.tx_errors == before.tx_errors + 1;
	for (int i = 0, j = 0; i < 5 && ok; i++) {
		if (i == 3)
			continue;
		ok = sink_len[j] == lens[i] && !memcmp(sink_buf[j], f[i], lens[i]);
		j++;
	}
	/* Nothing written into any: 0 bytes each, the writable one too. */
	for (void *c; (c = virtq_get(&vd.vq[1], &used)); back++)
		ok = ok && c == p + back * 256 && !used;
	verdict(name, layout, ok && back == 5,
		"%d polled, %d delivered, %llu errors more, %d buffers back",
		polled, sunk,
		(unsigned long long)(after.tx_errors - before.tx_errors), back);
}

static int hold_at, rewrite_avail;

/*
 * The sink holds the frame delivered when hold_at were taken, and the
 * guest, at that moment, rewrites the second chain it made available:
 * its descriptor now goes on (NEXT) or its available entry names the
 * fourth buffer instead.
 */
static int sink_held_rewriting(void *ctx)
{
	struct virtq *vq = &vd.vq[1];
	uint16_t second = vq->avail->ring[1];

	(void)ctx;
	if (sunk != hold_at)
		return 0;
	sunk--;			/* not taken: the sink has no room */
	if (rewrite_avail)
		vq->avail->ring[1] = vq->avail->ring[3];
	else
		vq->desc[second].flags |= VRING_DESC_F_NEXT;
	return 1;
}

/*
 * A frame held back (loopback's full receive ring) gives its take back
 * to the ring and takes the frames before it again to return them: a
 * guest that rewrote one of those meanwhile would leave it in the ring,
 * and its frame, already delivered, would go out a second time.  The
 * device must see the rewrite and stop (NEEDS_RESET), duplicating
 * nothing.
 */
static void tx_held_rewritten(int by_avail)
{
	static const struct kb_net_sink sink = {
		.alloc = sink_alloc, .deliver = sink_deliver,
		.held = sink_held_rewriting };
	const char *name = by_avail ? "tx-held-rewritten-avail" :
				      "tx-held-rewritten-desc";
	static uint8_t f[4][80];
	struct virtio_net_hdr_v1 h = { 0 };
	int first, second;

	if (up(KB_NET_HOST, 0, 0)) {
		verdict(name, NULL, 0, "device not up");
		return;
	}
	for (int i = 0; i < 4; i++) {
		struct virtq_buf out = { region + TX_OFF + i * 256,
					 HDR + sizeof(f[i]) };

		udp_frame(f[i], sizeof(f[i]));
		f[i][50] = (uint8_t)i;
		memcpy(out.p, &h, HDR);
		memcpy((uint8_t *)out.p + HDR, f[i], sizeof(f[i]));
		virtq_add(&vd.vq[1], &out, 1, NULL, 0, out.p);
	}
	virtq_publish(&vd.vq[1]);
	sunk = 0;
	hold_at = 3;
	rewrite_avail = by_avail;
	first = kb_net_tx_poll(&net, 0, 64, &sink, NULL);
	hold_at = -1;
	second = kb_net_tx_poll(&net, 0, 64, &sink, NULL);
	verdict(name, NULL,
		net.dev.broken && sunk == 2 && first == 0 && second == 0,
		"polls took %d and %d, %d delivered, device %s", first,
		second, sunk, net.dev.broken ? "broken" : "not broken");
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
		for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			mrg(sizes[i], layout, packed, 0);
			mrg(sizes[i], layout, packed, 1);
		}
		in_order_rx(layout, packed);
		no_mrg(layout, packed);
		mrg_short_first(layout, packed);
		tx_mixed(layout, packed, 0);
		tx_mixed(layout, packed, 1);
	}
	features_refused();
	mq_ctrl();
	tx_poll_budget();
	tx_held_rewritten(0);
	tx_held_rewritten(1);
	printf("net_offload: %d failed\n", failures);
	free(region);
	return failures != 0;
}
