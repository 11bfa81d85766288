/*
 * Hosted: the guest kernel's virtio-net driver (kern/virtio_net.c and its
 * receive path, kern/virtio_net_rx.c, included here to see its buffers;
 * kern_hosted.c gives it the kernel) against the net device
 * (host/backend/net.c) in loopback mode, one device per case
 * (kern_net_harness.c; kern_net_rx.c and kern_net_tx.c have more).
 *
 *   net-tx-small-queue: a transmit queue of 16 entries, fewer than the
 *     driver's NBUF buffers: 80 frames sent with the device stopped fill
 *     the ring and are refused after that; once the device took them and
 *     the driver reaped, every buffer is free again (none lost to a
 *     refused add) and frames go out as before.
 *   net-mtu: the device's mtu (VIRTIO_NET_F_MTU) of 576 is the netif's,
 *     and a frame of 14 + 577 bytes is refused, unsent; 14 + 576 goes.
 *   net-mtu-small, net-mtu-big: an mtu under 68 (IPv4's least), or one
 *     the driver's receive buffers cannot hold (9000 without mergeable
 *     buffers), is not negotiated (the device then keeps to 1500) and
 *     the link still comes up; 9000 with mergeable buffers is taken.
 *     With mergeable buffers and a receive queue of 8 entries (8 buffers
 *     of 1024 bytes, the vnet header in the first), a frame of 14 + 8166
 *     fits and 14 + 8167 does not: 8166 is taken, 8167 and 9000 not.
 *
 *   net-raw-csum: a UDP frame sent raw keeps the checksum it carries.
 *   net-raw-csum-rx: a frame that comes partial (NEEDS_CSUM) reaches a
 *     raw consumer with its checksum finished; net-raw-csum-rx-edge: one
 *     whose checksum field would end a byte past the frame reaches it
 *     as it came, nothing written past it.
 *   net-mq-no-ctrlq: MQ negotiated, the ctrl queue of size 0: the driver
 *     still sets DRIVER_OK and runs one pair (frames loop back).
 *
 *   net-rx-hostile-*: with mergeable buffers, the device (played here on
 *     receive queue 0) writes a frame whose header names more buffers
 *     than it used (NBUF + 1: more than the driver ever posts; 5 of 3),
 *     none (num_buffers 0), or whose first buffer is longer than posted
 *     or holds the header alone (head-only), or whose other buffers are
 *     longer than posted (rest-too-long: they would be copied from past
 *     their end).
 *     Its other buffers each look like a whole frame of their own.  The
 *     driver must drop it, count it once in rx_bad and not in
 *     rx_frames, deliver nothing of it, have every buffer posted again, and take the frames that loop
 *     back after it whole: a driver that reads the frame's other buffers
 *     as frames' heads delivers them.
 *   net-rx-broken: the device (split rings) writes a used entry naming
 *     no buffer out.  The driver says on the console, once, that the
 *     queue is broken, and its polls come back (they spun on it before
 *     lib/virtq.c marked the queue broken; then stopped without a word).
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_net: N failed" last.
 */
#include "kern/virtio_net.c"
#include "kern/virtio_net_rx.c"

#include <stdio.h>
#include <stdlib.h>

#include "kern_hosted.h"
#include "kern_net_harness.h"
#include "verdict.h"

static void tx_small_queue(void)
{
	struct netif *nif = kn_up(0, 1500, 16, 256);
	int sent = 0, again = 0;

	if (!nif || vnet.dev.vq[TXQ(0)].size != 16) {
		verdict("net-tx-small-queue", NULL, 0,
			"no device, or not a queue of 16");
		return;
	}
	for (int i = 0; i < 80; i++)
		sent += !kn_send_len(nif, 60);
	for (int i = 0; i < 100; i++)
		kb_device_poll(&kn_net.dev, 64);
	nif->poll(nif);
	for (int i = 0; i < 16; i++)
		again += !kn_send_len(nif, 60);
	for (int i = 0; i < 100; i++)
		kb_device_poll(&kn_net.dev, 64);
	nif->poll(nif);
	verdict("net-tx-small-queue", NULL,
		sent == 16 && again == 16 && vnet.p[0].tx_top == NBUF &&
		kn_looped == 32,
		"sent %d of 80 (want 16), then %d of 16; %d of %d buffers free after the device took every frame; %lu came back",
		sent, again, vnet.p[0].tx_top, NBUF, kn_looped);
}

/*
 * net-raw-csum: with CSUM (the device finishes partial checksums) and
 * without GUEST_CSUM (so the loopback device finishes one before the
 * frame comes back), a UDP/IPv4 frame sent raw (flags 0, as l2fwd
 * forwards one) with a whole checksum of its own must come back as it
 * went: the driver may not mark it NEEDS_CSUM, which would have the
 * device sum it again over its finished field.
 */
static void raw_csum(void)
{
	struct netif *nif = kn_up(F(VIRTIO_NET_F_GUEST_CSUM), 1500, 256, 256);
	static uint8_t frame[60];
	uint8_t *udp;

	if (!nif || !nif->tx_csum_partial) {
		verdict("net-raw-csum", NULL, 0, "no device, or no CSUM");
		return;
	}
	udp = kn_udp_frame(frame, 4, NULL);
	udp[6] = 0x12;			/* a checksum of its own, whole */
	udp[7] = 0x34;
	kn_looped = 0;
	kn_last_len = 0;
	nif->send(nif, frame, sizeof(frame), 0);
	for (int i = 0; i < 10; i++)
		kb_device_poll(&kn_net.dev, 64);
	nif->poll(nif);
	verdict("net-raw-csum", NULL,
		kn_looped == 1 && kn_last_len == sizeof(frame) &&
		!memcmp(kn_last, frame, sizeof(frame)),
		"%lu frames came back (want 1), %zu bytes, UDP checksum %02x%02x (sent 1234)",
		kn_looped, kn_last_len, kn_last_len >= 42 ? kn_last[40] : 0,
		kn_last_len >= 42 ? kn_last[41] : 0);
}

/*
 * net-raw-csum-rx: with CSUM and GUEST_CSUM, a datagram the stack left
 * partial (NET_TX_CSUM_PARTIAL) comes back from the loopback device still
 * partial (NEEDS_CSUM); a raw consumer (l2fwd, forwarding it as it is)
 * must get it with its checksum finished, one that verifies.
 */
static void raw_csum_rx(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	static uint8_t frame[60];
	uint16_t partial, check = 0xdead;
	uint8_t *udp;

	if (!nif || !vnet.guest_csum) {
		verdict("net-raw-csum-rx", NULL, 0, "no device, or no GUEST_CSUM");
		return;
	}
	udp = kn_udp_frame(frame, 4, NULL);
	partial = (uint16_t)~csum_fold(csum_pseudo(SRC_IP, DST_IP, 17, 8 + 4));
	net_put16(udp + 6, partial);
	kn_looped = 0;
	kn_last_len = 0;
	nif->send(nif, frame, sizeof(frame), NET_TX_CSUM_PARTIAL);
	for (int i = 0; i < 10; i++)
		kb_device_poll(&kn_net.dev, 64);
	nif->poll(nif);
	if (kn_last_len == sizeof(frame))
		check = csum_fold(csum_add(csum_pseudo(SRC_IP, DST_IP, 17,
						       8 + 4),
					   kn_last + ETH_HLEN + 20, 8 + 4));
	verdict("net-raw-csum-rx", NULL, kn_looped == 1 && check == 0,
		"%lu frames came back (want 1); their UDP checksum %02x%02x %s (sent partial %04x)",
		kn_looped, kn_last[40], kn_last[41], check ? "does not verify" : "verifies",
		partial);
}

/*
 * The device's features less drop, a receive queue of rx_max: is its mtu
 * want taken as it should?
 */
static void mtu_taken(uint64_t drop, uint16_t rx_max, uint16_t want,
		      int taken, const char *test, const char *name)
{
	struct netif *nif = kn_up(drop, want, 256, rx_max);
	int f_mtu = nif && virtio_has(&vnet.dev, VIRTIO_NET_F_MTU);

	verdict(test, name,
		nif && vnet.mrg == !(drop & F(VIRTIO_NET_F_MRG_RXBUF)) &&
		vnet.dev.vq[RXQ(0)].size == (rx_max < NBUF ? rx_max : NBUF) &&
		f_mtu == taken && nif->mtu == (taken ? want : 0),
		"mtu %u, mergeable buffers %s, a receive queue of %u: F_MTU %s (want %s), netif mtu %u",
		want, nif && vnet.mrg ? "on" : "off",
		nif ? vnet.dev.vq[RXQ(0)].size : 0,
		f_mtu ? "negotiated" : "not negotiated",
		taken ? "negotiated" : "not", nif ? nif->mtu : 0);
}

static void mtu(void)
{
	struct netif *nif = kn_up(0, 576, 256, 256);
	int big, fits;

	if (!nif) {
		verdict("net-mtu", NULL, 0, "no device");
		return;
	}
	big = kn_send_len(nif, ETH_HLEN + 577);
	fits = kn_send_len(nif, ETH_HLEN + 576);
	verdict("net-mtu", NULL,
		virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) && nif->mtu == 576 &&
		big && !fits,
		"F_MTU %s, netif mtu %u (want 576), a frame of 14 + 577 %s, of 14 + 576 %s",
		virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) ? "negotiated" : "not negotiated",
		nif->mtu, big ? "refused" : "sent",
		fits ? "refused" : "sent");

	nif = kn_up(0, 40, 256, 256);
	verdict("net-mtu-small", NULL,
		nif && !virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) && !nif->mtu &&
		!(kn_net.dev.features & F(VIRTIO_NET_F_MTU)) &&
		!kn_send_len(nif, ETH_HLEN + 1500),
		"mtu 40: F_MTU %s, netif mtu %u, a full frame %s",
		nif && virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) ? "negotiated" : "not negotiated",
		nif ? nif->mtu : 0,
		nif && !kn_send_len(nif, ETH_HLEN + 1500) ? "sent" : "refused");

	nif = kn_up(F(VIRTIO_NET_F_MRG_RXBUF), 9000, 256, 256);
	verdict("net-mtu-big", NULL,
		nif && !virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) && !nif->mtu &&
		!(kn_net.dev.features & F(VIRTIO_NET_F_MTU)),
		"mtu 9000 without mergeable buffers: F_MTU %s (the device: %s), netif mtu %u",
		nif && virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) ? "negotiated" : "not negotiated",
		kn_net.dev.features & F(VIRTIO_NET_F_MTU) ? "negotiated" : "not negotiated",
		nif ? nif->mtu : 0);
	nif = kn_up(0, 9000, 256, 256);
	verdict("net-mtu-big", "mrg",
		nif && virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) &&
		nif->mtu == 9000 && !kn_send_len(nif, ETH_HLEN + 1500),
		"mtu 9000 with mergeable buffers: F_MTU %s, netif mtu %u",
		nif && virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) ? "negotiated" : "not negotiated",
		nif ? nif->mtu : 0);
	mtu_taken(0, 8, 8166, 1, "net-mtu-big", "mrg-rx8-fits");
	mtu_taken(0, 8, 8167, 0, "net-mtu-big", "mrg-rx8-too-big");
	mtu_taken(0, 8, 9000, 0, "net-mtu-big", "mrg-rx8-9000");
	/* One buffer of BUF: its header and 14 + 2022 bytes. */
	mtu_taken(F(VIRTIO_NET_F_MRG_RXBUF), 256, BUF - HDR - ETH_HLEN, 1,
		  "net-mtu-big", "one-buf-fits");
	mtu_taken(F(VIRTIO_NET_F_MRG_RXBUF), 256, BUF - HDR - ETH_HLEN + 1, 0,
		  "net-mtu-big", "one-buf-too-big");
	mtu_taken(0, 256, ETH_MIN_MTU, 1, "net-mtu-small", "68");
	mtu_taken(0, 256, ETH_MIN_MTU - 1, 0, "net-mtu-small", "67");
}

/* The netif's MAC is the device's config's. */
static void mac(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);

	verdict("net-mac", NULL, nif && !memcmp(nif->mac, kn_mac, 6),
		"netif MAC %02x:%02x:%02x:%02x:%02x:%02x",
		nif ? nif->mac[0] : 0, nif ? nif->mac[1] : 0,
		nif ? nif->mac[2] : 0, nif ? nif->mac[3] : 0,
		nif ? nif->mac[4] : 0, nif ? nif->mac[5] : 0);
}

/*
 * MQ negotiated but the ctrl queue cannot be set up: the driver must still
 * set DRIVER_OK and run its one pair (it once left the device without it,
 * yet called itself up: a silent, dead network).
 */
static void mq_no_ctrlq(void)
{
	struct netif *nif;
	uint8_t status;

	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "%s", "");
	kn_no_ctrlq = 1;
	nif = kn_up(0, 1500, 256, 256);
	kn_no_ctrlq = 0;
	status = __atomic_load_n(&kn_slot.status, __ATOMIC_ACQUIRE);
	kn_looped = 0;
	if (nif && !kn_send_len(nif, 60)) {
		for (int i = 0; i < 100; i++)
			kb_device_poll(&kn_net.dev, 64);
		nif->poll(nif);
	}
	verdict("net-mq-no-ctrlq", NULL,
		nif && virtio_has(&vnet.dev, VIRTIO_NET_F_MQ) && vnet.pairs == 1 &&
		(status & VIRTIO_CONFIG_S_DRIVER_OK) && kn_looped == 1,
		"device %s, MQ %d, %u pair(s), status %#x, %lu frame(s) back",
		nif ? "up" : "not up", virtio_has(&vnet.dev, VIRTIO_NET_F_MQ),
		vnet.pairs, status, kn_looped);
	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "netmq=off");
}

/*
 * The device's side: a frame over used of the driver's receive buffers,
 * its header naming named, the first reported head_len long and the
 * others rest_len (0: as written).  The others are each written as a whole frame (a header
 * naming one buffer, then a frame to our MAC), so that a driver reading
 * one as a frame's head delivers it.  Returns the buffers used.
 */
static int hostile_rx(uint16_t named, int used, uint32_t head_len,
		      uint32_t rest_len)
{
	struct kb_vq *vq = &kn_net.dev.vq[RXQ(0)];
	struct kb_buf b[NBUF];
	uint32_t len[NBUF];
	int n = kb_vq_pop_bufs(vq, b, used);

	for (int k = 0; k < n; k++) {
		struct virtio_net_hdr_v1 h = { .num_buffers = k ? 1 : named };

		memcpy(b[k].p, &h, HDR);
		kn_plain_frame(b[k].p + HDR, 0xb0);
		len[k] = k && rest_len ? rest_len : HDR + 60;
	}
	if (n > 0 && head_len)
		len[0] = head_len;
	if (n > 0) {
		kb_vq_push_bufs(vq, b, len, n);
		kb_vq_publish(vq);
	}
	return n;
}

static void rx_hostile(const char *name, uint16_t named, int used,
		       uint32_t head_len, uint32_t rest_len)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	struct virtq *vq = &vnet.dev.vq[RXQ(0)];
	unsigned long delivered;
	uint64_t bad, frames;
	int n, whole, posted;

	if (!nif || !vnet.mrg || vq->size - vq->num_free != NBUF) {
		verdict("net-rx-hostile", name, 0,
			"no device, no mergeable buffers, or not %d buffers posted",
			NBUF);
		return;
	}
	kn_looped = 0;
	frames = vnet.p[0].st.rx_frames;
	n = hostile_rx(named, used, head_len, rest_len);
	nif->poll(nif);
	delivered = kn_looped;
	frames = vnet.p[0].st.rx_frames - frames;
	bad = vnet.p[0].st.rx_bad;
	posted = vq->size - vq->num_free;
	whole = kn_frames_whole(nif, 3, 60);
	verdict("net-rx-hostile", name,
		n == used && !delivered && bad == 1 && !frames &&
		posted == NBUF && whole == 3 && vnet.p[0].st.rx_bad == 1,
		"%d buffers used (want %d) naming %u: %lu frame(s) of them delivered (want 0), rx_bad %llu (want 1), rx_frames +%llu (want 0), %d of %d buffers posted again, %d of 3 frames after it whole",
		n, used, named, delivered, (unsigned long long)bad,
		(unsigned long long)frames, posted, NBUF, whole);
}

/*
 * net-raw-csum-rx-edge: a frame the device marks NEEDS_CSUM with its
 * checksum field's second byte one past the frame (csum_start +
 * csum_offset = len - 1): the driver cannot finish it, and must write
 * neither the frame's last byte nor the one after it.
 */
static void raw_csum_rx_edge(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	struct kb_vq *vq = &kn_net.dev.vq[RXQ(0)];
	struct virtio_net_hdr_v1 h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .num_buffers = 1,
		.csum_start = 34, .csum_offset = 60 - 1 - 34,
	};
	uint8_t want[60], after = 0;
	uint32_t len = HDR + 60;
	struct kb_buf b;

	if (!nif || !vnet.guest_csum || kb_vq_pop_bufs(vq, &b, 1) != 1) {
		verdict("net-raw-csum-rx-edge", NULL, 0,
			"no device, no GUEST_CSUM, or no receive buffer");
		return;
	}
	memcpy(b.p, &h, HDR);
	kn_plain_frame(b.p + HDR, 0xb0);
	b.p[HDR + 60] = 0x5a;
	memcpy(want, b.p + HDR, 60);
	kn_looped = 0;
	kn_last_len = 0;
	kb_vq_push_bufs(vq, &b, &len, 1);
	kb_vq_publish(vq);
	nif->poll(nif);
	after = b.p[HDR + 60];
	verdict("net-raw-csum-rx-edge", NULL,
		kn_looped == 1 && kn_last_len == 60 && !memcmp(kn_last, want, 60) &&
		after == 0x5a,
		"%lu frames (want 1) of %zu bytes (want 60), %s; the byte after it %#x (want 0x5a)",
		kn_looped, kn_last_len,
		memcmp(kn_last, want, 60) ? "changed" : "as sent", after);
}

static void rx_broken(void)
{
	struct netif *nif = kn_up(1ULL << VIRTIO_F_RING_PACKED, 1500, 256, 256);
	struct virtq *vq = &vnet.dev.vq[RXQ(0)];
	uint16_t idx;
	int said, again;

	if (!nif || vq->packed) {
		verdict("net-rx", "broken", 0, "no device, or packed rings");
		return;
	}
	idx = vq->used->idx;
	vq->used->ring[idx & (vq->size - 1)].id = 0xffff;
	vq->used->ring[idx & (vq->size - 1)].len = 60;
	__atomic_store_n(&vq->used->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	kh_last_line[0] = 0;
	nif->poll(nif);
	said = strstr(kh_last_line, "broke queue 0") != NULL;
	kh_last_line[0] = 0;
	nif->poll(nif);
	again = kh_last_line[0] != 0;
	verdict("net-rx", "broken", vq->broken && said && !again,
		"queue broken %d, said %d (want 1), said again %d (want 0): '%s'",
		vq->broken, said, again, kh_last_line);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "netmq=off");
	tx_small_queue();
	mtu();
	mac();
	raw_csum();
	raw_csum_rx();
	raw_csum_rx_edge();
	mq_no_ctrlq();
	rx_hostile("named65-used3", NBUF + 1, 3, 0, 0);
	rx_hostile("named65-used64", NBUF + 1, NBUF, 0, 0);
	rx_hostile("named5-used3", 5, 3, 0, 0);
	rx_hostile("named0", 0, 1, 0, 0);
	rx_hostile("head-too-long", 3, 3, MRG_BUF + 1, 0);
	rx_hostile("head-too-long-named2", 2, 2, MRG_BUF + 1, 0);
	rx_hostile("head-only", 3, 3, HDR, 0);
	rx_hostile("rest-too-long", 3, 3, 0, MRG_BUF + 1);
	rx_broken();
	printf("kern_net: %d failed\n", failures);
	return failures != 0;
}
