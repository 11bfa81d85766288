/*
 * Hosted: the guest kernel's virtio-net driver's receive path and
 * interrupts (kern/virtio_net.c and kern/virtio_net_rx.c, included here
 * to reach its state and its interrupt handler) against the net device
 * in loopback mode, over kern_net_harness.c, one device per case:
 *
 *   net-rx-frames-mrg, net-rx-frames: 150 frames of 1514 bytes (two
 *     mergeable buffers each, the first full) and 50 of 60 come back
 *     whole, each counted once in rx_frames, none in rx_bad, every buffer
 *     posted again: more frames than the ring's 64 buffers, so a buffer
 *     not posted again starves it; without mergeable buffers too.
 *   net-rx-big: a frame over 10 mergeable buffers of exactly BIG bytes is
 *     delivered whole; one a byte longer is dropped (rx_bad), nothing
 *     written past the driver's BIG bytes.  net-rx-ring-full: a frame
 *     over all 8 buffers of an 8-entry receive queue is delivered whole.
 *   net-rx-num-buffers: without mergeable buffers a frame is one buffer
 *     whatever its header's num_buffers says (0 or 5), as Linux reads it.
 *   net-rx-csum-*: what the device says of a frame's checksum reaches
 *     the stack only with GUEST_CSUM: a UDP datagram with a wrong
 *     checksum marked DATA_VALID or NEEDS_CSUM goes past the check (to
 *     "no port"), unmarked or without GUEST_CSUM it is dropped as bad.
 *   net-raw-csum-fin-*: a partial frame's checksum finished for a raw
 *     consumer when its field is the frame's last two bytes, a zero sum
 *     written 0xffff, a frame of two buffers finished too; without
 *     GUEST_CSUM the device's NEEDS_CSUM leaves the frame as it came.
 *   net-irq: the receive interrupt comes when armed: poll() and the
 *     handler re-arm, busy_poll() disarms, a transmit interrupt reaps the
 *     sent buffers and leaves the receive side as it was, an interrupt
 *     for a pair not set up is ignored.
 *   net-rx-slow-receiver(-mrg, -packed): 300 numbered frames sent, the driver
 *     polling only every 40 (or when send() has no buffer), a receive
 *     queue of 16: the loopback device holds the frames that find no
 *     receive buffer in the transmit ring, and every one comes back, in
 *     order, none dropped (before, all past the 16 were lost); while
 *     frames are held the device may sleep (its kicks on say no work),
 *     and the driver's next buffers kick it.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_net_rx: N failed".
 */
#include "kern/virtio_net.c"
#include "kern/virtio_net_rx.c"

#include <stdio.h>
#include <stdlib.h>

#include "kern_hosted.h"
#include "kern_net_harness.h"
#include "lib/net/stack.h"
#include "verdict.h"

static uint8_t frame[BIG + 64];

static void rx_frames(uint64_t drop, const char *name)
{
	struct netif *nif = kn_up(drop, 1500, 256, 256);
	struct netif_queue_stats st;
	int whole;

	if (!nif) {
		verdict(name, NULL, 0, "no device");
		return;
	}
	whole = kn_frames_whole(nif, 150, 1514) + kn_frames_whole(nif, 50, 60);
	kn_send_len(nif, 60);		/* one more out, not back yet */
	netif_queue_stats(0, &st);
	verdict(name, NULL,
		whole == 200 && st.rx_frames == 200 && !st.rx_bad &&
		st.tx_frames == 201 && kn_posted(0) == NBUF,
		"%d of 200 frames whole; rx_frames %llu (want 200), rx_bad %llu, tx_frames %llu (want 201); %d of %d buffers posted",
		whole, (unsigned long long)st.rx_frames,
		(unsigned long long)st.rx_bad, (unsigned long long)st.tx_frames,
		kn_posted(0), NBUF);
}

/* A frame over n mergeable buffers, lens[], data after MACs a pattern. */
static int rx_over(const uint32_t *lens, int n, size_t *len)
{
	struct virtio_net_hdr_v1 h = { .num_buffers = (uint16_t)n };

	*len = 0;
	for (int k = 0; k < n; k++)
		*len += lens[k] - (k ? 0 : HDR);
	for (size_t k = 0; k < *len; k++)
		frame[k] = (uint8_t)(k * 13 + 1);
	kn_plain_frame(frame, 0x77);
	kn_looped = 0;
	kn_last_len = 0;
	return kn_dev_rx(&h, frame, lens, n);
}

static void rx_big(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	uint32_t lens[10];
	unsigned long delivered;
	size_t len;
	int n, ok_big, whole;
	uint8_t canary;

	if (!nif || !vnet.mrg) {
		verdict("net-rx-big", NULL, 0, "no device, or no mergeable buffers");
		return;
	}
	/* 1012 + 8 * 1024 + 12: BIG bytes exactly. */
	for (int k = 0; k < 9; k++)
		lens[k] = MRG_BUF;
	lens[9] = BIG - (MRG_BUF - HDR) - 8 * MRG_BUF;
	n = rx_over(lens, 10, &len);
	nif->poll(nif);
	ok_big = n == 10 && len == BIG && kn_looped == 1 &&
		 kn_last_len == BIG && !memcmp(kn_last, frame, BIG);
	verdict("net-rx-big", "exact", ok_big && !vnet.p[0].st.rx_bad,
		"%d buffers, a frame of %zu bytes (BIG %d): %lu delivered, %zu bytes, %s; rx_bad %llu",
		n, len, BIG, kn_looped, kn_last_len,
		kn_last_len == BIG && !memcmp(kn_last, frame, BIG) ? "whole" : "not whole",
		(unsigned long long)vnet.p[0].st.rx_bad);
	canary = vnet.p[0].big[BIG] = 0xa5;
	lens[9]++;
	n = rx_over(lens, 10, &len);
	nif->poll(nif);
	delivered = kn_looped;
	whole = kn_frames_whole(nif, 3, 60);
	verdict("net-rx-big", "one-over",
		n == 10 && !delivered && vnet.p[0].st.rx_bad == 1 &&
		vnet.p[0].big[BIG] == canary && kn_posted(0) == NBUF && whole == 3,
		"a frame of %zu bytes: %lu delivered (want 0), rx_bad %llu (want 1), the byte past big %#x (want %#x), %d buffers posted, %d of 3 after it whole",
		len, delivered, (unsigned long long)vnet.p[0].st.rx_bad,
		vnet.p[0].big[BIG], canary, kn_posted(0), whole);
}

static void rx_ring_full(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 8);
	uint32_t lens[8];
	size_t len;
	int n, whole;

	if (!nif || !vnet.mrg || vnet.dev.vq[RXQ(0)].size != 8) {
		verdict("net-rx-ring-full", NULL, 0,
			"no device, no mergeable buffers, or not a queue of 8");
		return;
	}
	for (int k = 0; k < 8; k++)
		lens[k] = MRG_BUF;
	n = rx_over(lens, 8, &len);
	nif->poll(nif);
	verdict("net-rx-ring-full", NULL,
		n == 8 && kn_looped == 1 && kn_last_len == len &&
		!memcmp(kn_last, frame, len) && !vnet.p[0].st.rx_bad &&
		(whole = kn_frames_whole(nif, 3, 60)) == 3,
		"a frame over all %d buffers (%zu bytes): %lu delivered (want 1) of %zu bytes, rx_bad %llu",
		n, len, kn_looped, kn_last_len,
		(unsigned long long)vnet.p[0].st.rx_bad);
}

static void rx_num_buffers(void)
{
	struct netif *nif = kn_up(F(VIRTIO_NET_F_MRG_RXBUF), 1500, 256, 256);
	uint32_t len = HDR + 60;
	unsigned long got = 0;

	if (!nif || vnet.mrg) {
		verdict("net-rx-num-buffers", NULL, 0, "no device, or mergeable buffers");
		return;
	}
	for (uint16_t nb = 0; nb <= 5; nb += 5) {
		struct virtio_net_hdr_v1 h = { .num_buffers = nb };

		kn_plain_frame(frame, (uint8_t)(0x30 + nb));
		kn_looped = 0;
		kn_dev_rx(&h, frame, &len, 1);
		nif->poll(nif);
		got += kn_looped == 1 && kn_last_len == 60 &&
		       !memcmp(kn_last, frame, 60);
	}
	verdict("net-rx-num-buffers", NULL,
		got == 2 && !vnet.p[0].st.rx_bad && kn_posted(0) == NBUF,
		"%lu of 2 frames (num_buffers 0, 5) delivered, rx_bad %llu, %d buffers posted",
		got, (unsigned long long)vnet.p[0].st.rx_bad, kn_posted(0));
}

/*
 * A datagram with a wrong checksum to a port nobody bound, from the
 * device with hflags, into the stack: dropped as bad (1) or past the
 * check to no port (0).
 */
static int rx_csum_bad(uint64_t drop, uint8_t hflags)
{
	static struct net_stack stack;
	struct netif *nif = kn_up(drop, 1500, 256, 256);
	struct virtio_net_hdr_v1 h = { .flags = hflags, .num_buffers = 1 };
	uint64_t bad, none;
	uint32_t len;
	size_t flen;
	uint8_t *udp;

	if (!nif)
		return -1;
	nif->raw_rx = NULL;
	nif->ip = DST_IP;
	net_stack_init(&stack, NULL);
	net_stack_attach(&stack, nif);
	udp = kn_udp_frame(frame, 4, &flen);
	net_put16(udp + 6, 0x1234);		/* wrong */
	bad = nif->stats.udp_bad_checksum;
	none = nif->stats.udp_no_port;
	len = (uint32_t)(HDR + flen);
	kn_dev_rx(&h, frame, &len, 1);
	nif->poll(nif);
	if (nif->stats.udp_bad_checksum == bad + 1 &&
	    nif->stats.udp_no_port == none)
		return 1;
	if (nif->stats.udp_no_port == none + 1 &&
	    nif->stats.udp_bad_checksum == bad)
		return 0;
	return -1;
}

static void rx_csum(void)
{
	int valid = rx_csum_bad(0, VIRTIO_NET_HDR_F_DATA_VALID);
	int needs = rx_csum_bad(0, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	int plain = rx_csum_bad(0, 0);
	int no_guest = rx_csum_bad(F(VIRTIO_NET_F_GUEST_CSUM),
				   VIRTIO_NET_HDR_F_DATA_VALID);

	verdict("net-rx-csum", NULL,
		!valid && !needs && plain == 1 && no_guest == 1,
		"a wrong checksum marked DATA_VALID %d, NEEDS_CSUM %d, unmarked %d, DATA_VALID without GUEST_CSUM %d (1: dropped as bad, 0: taken as checked; want 0 0 1 1)",
		valid, needs, plain, no_guest);
}

/*
 * A 60-byte frame from the device marked NEEDS_CSUM, its field the last
 * two bytes (start 34), to the raw consumer: what came, and what a
 * finished field holds.
 */
static int raw_tail(uint64_t drop, int zero, uint16_t *field, uint16_t *want)
{
	struct netif *nif = kn_up(drop, 1500, 256, 256);
	struct virtio_net_hdr_v1 h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .num_buffers = 1,
		.csum_start = 34, .csum_offset = 60 - 2 - 34,
	};
	uint32_t len = HDR + 60;
	uint16_t sum;

	if (!nif)
		return 0;
	kn_plain_frame(frame, 0x42);
	if (zero) {			/* the range sums to 0xffff: fold 0 */
		memset(frame + 34, 0, 26);
		net_put16(frame + 58, 0xffff);
	}
	sum = csum_fold(csum_add(0, frame + 34, 26));
	*want = sum ? sum : 0xffff;
	kn_looped = 0;
	kn_dev_rx(&h, frame, &len, 1);
	nif->poll(nif);
	*field = net_get16(kn_last + 58);
	return kn_looped == 1 && kn_last_len == 60 &&
	       !memcmp(kn_last, frame, 58);
}

static void raw_csum_fin(void)
{
	uint16_t field, want, sent;
	size_t flen;
	uint8_t *udp;
	int ok;

	ok = raw_tail(0, 0, &field, &want);
	verdict("net-raw-csum-fin", "tail", ok && field == want,
		"frame %s, its last two bytes %04x (want %04x, finished)",
		ok ? "delivered" : "not delivered", field, want);
	ok = raw_tail(0, 1, &field, &want);
	verdict("net-raw-csum-fin", "zero", ok && field == 0xffff,
		"frame %s, a zero sum written %04x (want ffff)",
		ok ? "delivered" : "not delivered", field);
	ok = raw_tail(F(VIRTIO_NET_F_GUEST_CSUM), 0, &field, &want);
	sent = net_get16(frame + 58);
	verdict("net-raw-csum-fin", "no-guest-csum", ok && field == sent,
		"without GUEST_CSUM: frame %s, its last two bytes %04x (want %04x, as sent)",
		ok ? "delivered" : "not delivered", field, sent);

	/* A partial datagram of 1514 bytes back over two buffers. */
	if (!kn_up(0, 1500, 256, 256) || !vnet.mrg || !vnet.guest_csum) {
		verdict("net-raw-csum-fin", "mrg", 0, "no device, mrg or GUEST_CSUM");
		return;
	}
	udp = kn_udp_frame(frame, 1514 - 42, &flen);
	net_put16(udp + 6, (uint16_t)~csum_fold(csum_pseudo(SRC_IP, DST_IP,
							    17, 1514 - 34)));
	kn_looped = 0;
	kn_last_len = 0;
	vnet.nif.send(&vnet.nif, frame, flen, NET_TX_CSUM_PARTIAL);
	kn_device(10);
	vnet.nif.poll(&vnet.nif);
	field = 0xdead;
	if (kn_last_len == flen)
		field = csum_fold(csum_add(csum_pseudo(SRC_IP, DST_IP, 17,
						       1514 - 34),
					   kn_last + 34, 1514 - 34));
	verdict("net-raw-csum-fin", "mrg", kn_looped == 1 && !field,
		"%lu frames of %zu bytes (want 1 of %zu), UDP checksum %s",
		kn_looped, kn_last_len, flen,
		field ? "does not verify" : "verifies");
}

/* One frame out and through the device: the receive interrupts it made. */
static unsigned long rx_irqs_of_one(struct netif *nif)
{
	unsigned long before = kn_irqs[RXQ(0)];

	kn_send_len(nif, 60);
	kn_device(10);
	return kn_irqs[RXQ(0)] - before;
}

static void irq(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	unsigned long armed, again, busy, busy2, txirq, rearmed, handled;
	int tx_free, other;

	if (!nif) {
		verdict("net-irq", NULL, 0, "no device");
		return;
	}
	nif->poll(nif);
	armed = rx_irqs_of_one(nif);
	kn_looped = 0;
	on_irq(&vnet.dev, RXQ(0));	/* as the interrupt would */
	handled = kn_looped;
	again = rx_irqs_of_one(nif);
	nif->poll(nif);
	nif->busy_poll(nif);
	busy = rx_irqs_of_one(nif);
	nif->busy_poll(nif);
	busy2 = rx_irqs_of_one(nif);
	on_irq(&vnet.dev, TXQ(0));
	tx_free = vnet.p[0].tx_top;
	txirq = rx_irqs_of_one(nif);
	nif->poll(nif);
	rearmed = rx_irqs_of_one(nif);
	kn_looped = 0;
	on_irq(&vnet.dev, RXQ(1));	/* no pair 1 */
	on_irq(&vnet.dev, TXQ(1));
	other = kn_looped;
	verdict("net-irq", NULL,
		armed == 1 && handled == 1 && vnet.p[0].st.rx_irqs == 1 &&
		again == 1 && !busy && !busy2 && tx_free == NBUF && !txirq &&
		rearmed == 1 && !other,
		"receive interrupts for a frame: after poll %lu (want 1), after the handler (which took %lu, rx_irqs %llu) %lu, after busy_poll %lu and %lu (want 0), after a transmit interrupt %lu (want 0; %d of %d buffers reaped), after poll again %lu; pair 1's queues' interrupts took %d frames",
		armed, handled, (unsigned long long)vnet.p[0].st.rx_irqs, again,
		busy, busy2, txirq, tx_free, NBUF, rearmed, other);
}

/* The slow receiver's count: frames in order, and those out of it. */
static unsigned int slow_next, slow_gaps;

static void slow_seen(void)
{
	unsigned int seq = (unsigned int)kn_last[14] << 8 | kn_last[15];

	if (seq == slow_next)
		slow_next++;
	else
		slow_gaps++;
}

/*
 * A receiver slower than its sender: 300 frames, numbered, the driver
 * polling only every 40 sent (or when send() has no buffer left), on a
 * receive queue of 16.  The loopback device holds what finds no buffer
 * (a real device's link would): every frame comes back, in order.
 */
static void rx_slow(uint64_t drop, const char *name)
{
	struct netif *nif = kn_up(drop, 1500, 256, 16);
	struct kb_net_pair_stats *st = &kn_net.stats[0];
	const unsigned int n = 300;
	unsigned int sent = 0, turns = 0;
	int idle = -1, kicked = 0;
	uint32_t notify = 0;

	if (!nif || vnet.dev.vq[TXQ(0)].packed != !!kh_want) {
		verdict(name, NULL, 0, "no device, or not the ring layout asked");
		return;
	}
	slow_next = slow_gaps = 0;
	kn_rx_hook = slow_seen;
	while (sent < n && turns < 10000) {
		kn_plain_frame(frame, 0x5a);
		frame[14] = (uint8_t)(sent >> 8);
		frame[15] = (uint8_t)sent;
		if (!nif->send(nif, frame, 60, 0) && ++sent % 40)
			continue;
		kn_device(4);
		if (!turns) {
			/* Frames held: nothing to do until buffers come. */
			kb_device_kicks_off(&kn_net.dev);
			idle = !kb_device_kicks_on(&kn_net.dev);
			notify = kn_slot.queues[RXQ(0)].notify;
		}
		nif->poll(nif);
		if (!turns)
			kicked = kn_slot.queues[RXQ(0)].notify != notify;
		turns++;
	}
	for (int i = 0; i < 100 && slow_next < n; i++) {
		kn_device(4);
		nif->poll(nif);
	}
	kn_rx_hook = NULL;
	verdict(name, NULL,
		sent == n && slow_next == n && !slow_gaps && !st->rx_dropped &&
		!st->tx_dropped && st->rx_no_buf && idle == 1 && kicked,
		"%u of %u sent; %u back in order (want all), %u out of order (want 0); the device's rx_dropped %llu, tx_dropped %llu (want 0), rx_no_buf %llu (want some: the receiver was slow); with frames held the device may sleep %d (want 1) and the driver's new buffers kick it %d (want 1)",
		sent, n, slow_next, slow_gaps,
		(unsigned long long)st->rx_dropped,
		(unsigned long long)st->tx_dropped,
		(unsigned long long)st->rx_no_buf, idle, kicked);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "netmq=off");
	rx_frames(0, "net-rx-frames-mrg");
	rx_frames(F(VIRTIO_NET_F_MRG_RXBUF), "net-rx-frames");
	rx_big();
	rx_ring_full();
	rx_num_buffers();
	rx_csum();
	raw_csum_fin();
	irq();
	rx_slow(0, "net-rx-slow-receiver-mrg");
	rx_slow(F(VIRTIO_NET_F_MRG_RXBUF), "net-rx-slow-receiver");
	kh_want = F(VIRTIO_F_RING_PACKED);
	rx_slow(0, "net-rx-slow-receiver-packed");
	kh_want = 0;
	printf("kern_net_rx: %d failed\n", failures);
	return failures != 0;
}

