/*
 * Hosted: the guest kernel's virtio-net driver's sending, batches, kicks
 * and queue pairs (kern/virtio_net.c and kern/virtio_net_rx.c, included
 * here to reach its state and its interrupt handler) against the net
 * device in loopback mode, over kern_net_harness.c, one device per case:
 *
 *   net-tx-reclaim-*: send() takes back sent buffers itself when it has
 *     none free, and when the ring (of 16) is full of sent ones.
 *   net-tx-header: a frame sent raw after a partial one in the same
 *     buffer goes with a zeroed header, not the last one's NEEDS_CSUM.
 *   net-tx-no-csum: without CSUM nothing is sent partial.
 *   net-kicks: every kick counted (tx_kicks is the device's count), a
 *     publish per frame and none for an empty batch; the receive queue is
 *     kicked when its buffers come back to a device waiting for them.
 *   net-tx-hold: a held batch reaches the device at its release or once
 *     NBUF / 2 wait; a reply sent from the receive interrupt goes at once.
 *   net-tx-broken: a broken transmit used ring said once, as receive's.
 *   net-mq-*: a pair per CPU (at most max_virtqueue_pairs, PAIRS_MAX
 *     with more CPUs), frames on every pair and the device told the
 *     pairs in use; a max_virtqueue_pairs past PAIRS_MAX not taken (MQ
 *     dropped, one pair); no ctrl queue: one pair; an mtu every pair's
 *     receive queue cannot take (pair 1's of 8 buffers) not taken.  net-mq-ack-*: the
 *     device takes MQ_VQ_PAIRS_SET but its ack is neither OK nor ERR, or
 *     left unwritten: the driver keeps to one pair for sending and still
 *     takes frames on every pair it set up, which the device uses.
 *   net-mq-ctrl-page: three bring-ups with two pairs each hold their
 *     pairs' pages and no more (MQ_VQ_PAIRS_SET's page given back once
 *     the device returned it); -deaf: a device that never answers keeps
 *     that page, which it may still write.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_net_tx: N failed".
 */
#include "kern/virtio_net.c"
#include "kern/virtio_net_rx.c"

#include <stdio.h>
#include <stdlib.h>

#include "kern_hosted.h"
#include "kern_net_harness.h"
#include "verdict.h"

static uint8_t frame[BIG + 64];

static void tx_reclaim(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	int sent = 0;

	if (!nif) {
		verdict("net-tx-reclaim", "free", 0, "no device");
		return;
	}
	/* Every buffer sent and taken by the device, none reaped yet. */
	for (int i = 0; i < NBUF; i++) {
		sent += !kn_send_len(nif, 60);
		kn_device(2);
	}
	sent += !kn_send_len(nif, 60);
	verdict("net-tx-reclaim", "free", sent == NBUF + 1,
		"%d of %d frames sent", sent, NBUF + 1);

	nif = kn_up(0, 1500, 16, 256);
	sent = 0;
	for (int i = 0; i < 16; i++)
		sent += !kn_send_len(nif, 60);
	kn_device(10);
	for (int i = 0; i < 16; i++)
		sent += !kn_send_len(nif, 60);
	verdict("net-tx-reclaim", "ring", sent == 32,
		"%d of 32 frames sent on a ring of %u, the device taking the first 16",
		sent, vnet.dev.vq[TXQ(0)].size);
}

static void tx_header(void)
{
	struct netif *nif = kn_up(F(VIRTIO_NET_F_GUEST_CSUM), 1500, 256, 256);
	static uint8_t raw[60];
	uint8_t *udp;

	if (!nif || !nif->tx_csum_partial) {
		verdict("net-tx-header", NULL, 0, "no device, or no CSUM");
		return;
	}
	udp = kn_udp_frame(frame, 4, NULL);
	net_put16(udp + 6, (uint16_t)~csum_fold(csum_pseudo(SRC_IP, DST_IP,
							    17, 12)));
	nif->send(nif, frame, 60, NET_TX_CSUM_PARTIAL);
	kn_device(10);
	nif->poll(nif);
	udp = kn_udp_frame(raw, 4, NULL);
	net_put16(udp + 6, 0x1234);
	kn_looped = 0;
	nif->send(nif, raw, 60, 0);
	kn_device(10);
	nif->poll(nif);
	verdict("net-tx-header", NULL,
		kn_looped == 1 && !memcmp(kn_last, raw, 60),
		"%lu frames back (want 1), its UDP checksum %02x%02x (sent 1234)",
		kn_looped, kn_last[40], kn_last[41]);
}

static void tx_no_csum(void)
{
	struct netif *nif = kn_up(F(VIRTIO_NET_F_CSUM), 1500, 256, 256);
	int marked = 0;

	if (!nif) {
		verdict("net-tx-no-csum", NULL, 0, "no device");
		return;
	}
	kn_udp_frame(frame, 4, NULL);
	nif->send(nif, frame, 60, NET_TX_CSUM_PARTIAL);
	for (int b = 0; b < NBUF; b++)
		marked += ((struct virtio_net_hdr_v1 *)(vnet.p[0].tx + b * BUF))->flags != 0;
	verdict("net-tx-no-csum", NULL, !nif->tx_csum_partial && !marked,
		"without CSUM: tx_csum_partial %d (want 0), %d headers with flags (want 0)",
		nif->tx_csum_partial, marked);
}

static void kicks(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 8);
	struct netif_queue_stats st;
	uint32_t rx_kicks, tx_notes;

	if (!nif) {
		verdict("net-kicks", NULL, 0, "no device");
		return;
	}
	for (int i = 0; i < 5; i++) {
		kn_send_len(nif, 60);
		kn_device(10);
	}
	netif_tx_hold();
	netif_tx_release();
	netif_queue_stats(0, &st);
	tx_notes = __atomic_load_n(&kn_slot.queues[TXQ(0)].notify, __ATOMIC_RELAXED);
	verdict("net-kicks", "tx",
		st.tx_frames == 5 && st.tx_publishes == 5 && st.tx_kicks &&
		st.tx_kicks == tx_notes,
		"5 frames one by one: tx_frames %llu, tx_publishes %llu (want 5), tx_kicks %llu, the device counted %u",
		(unsigned long long)st.tx_frames,
		(unsigned long long)st.tx_publishes,
		(unsigned long long)st.tx_kicks, tx_notes);

	/*
	 * Its 8 receive buffers full (a ninth frame finds none), taken and
	 * posted again: then a frame sent comes back.
	 */
	for (int i = 0; i < 4; i++) {
		kn_send_len(nif, 60);
		kn_device(10);
	}
	rx_kicks = __atomic_load_n(&kn_slot.queues[RXQ(0)].notify, __ATOMIC_RELAXED);
	kn_looped = 0;
	nif->poll(nif);
	kn_send_len(nif, 60);
	kn_device(10);
	nif->poll(nif);
	verdict("net-kicks", "rx",
		kn_looped >= 9 &&
		__atomic_load_n(&kn_slot.queues[RXQ(0)].notify, __ATOMIC_RELAXED) > rx_kicks,
		"%lu frames back (want 8 and the one sent after them); receive queue kicks %u before its buffers came back, %u after",
		kn_looped, rx_kicks,
		__atomic_load_n(&kn_slot.queues[RXQ(0)].notify, __ATOMIC_RELAXED));
}

static int replies;

static void reply(void)
{
	if (!replies++)
		kn_send_len(&vnet.nif, 60);
}

static void tx_hold(void)
{
	struct netif *nif = kn_up(0, 1500, 256, 256);
	unsigned long held, released, half, irq_reply;
	uint32_t len = HDR + 60;
	struct virtio_net_hdr_v1 h = { .num_buffers = 1 };
	int unpublished;

	if (!nif) {
		verdict("net-tx-hold", NULL, 0, "no device");
		return;
	}
	kn_looped = 0;
	netif_tx_hold();
	for (int i = 0; i < 10; i++)
		kn_send_len(nif, 60);
	kn_device(10);
	nif->poll(nif);
	held = kn_looped;
	netif_tx_release();
	kn_device(10);
	nif->poll(nif);
	released = kn_looped;

	kn_looped = 0;
	netif_tx_hold();
	for (int i = 0; i < NBUF / 2; i++)
		kn_send_len(nif, 60);
	kn_device(10);
	nif->poll(nif);
	half = kn_looped;
	netif_tx_release();

	/* A frame in, its reply sent by the interrupt under a hold. */
	kn_device(10);
	nif->poll(nif);
	kn_looped = 0;
	replies = 0;
	kn_rx_hook = reply;
	netif_tx_hold();
	kn_plain_frame(frame, 0x61);
	kn_dev_rx(&h, frame, &len, 1);
	on_irq(&vnet.dev, RXQ(0));
	unpublished = vnet.p[0].tx_unpublished;
	kn_device(10);
	nif->poll(nif);
	irq_reply = kn_looped;
	netif_tx_release();
	kn_rx_hook = NULL;
	verdict("net-tx-hold", NULL,
		!held && released == 10 && half == NBUF / 2 && !unpublished &&
		irq_reply == 2,
		"10 held frames back %lu (want 0), after the release %lu (want 10); %d held %lu (want %d); the interrupt's reply unpublished %d (want 0), frames back %lu (want 2)",
		held, released, NBUF / 2, half, NBUF / 2, unpublished, irq_reply);
}

static void tx_broken(void)
{
	struct netif *nif = kn_up(F(VIRTIO_F_RING_PACKED), 1500, 256, 256);
	struct virtq *vq = &vnet.dev.vq[TXQ(0)];
	uint16_t idx;
	int said, again;

	if (!nif || vq->packed) {
		verdict("net-tx-broken", NULL, 0, "no device, or packed rings");
		return;
	}
	idx = vq->used->idx;
	vq->used->ring[idx & (vq->size - 1)].id = 0xffff;
	vq->used->ring[idx & (vq->size - 1)].len = 0;
	__atomic_store_n(&vq->used->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	kh_last_line[0] = 0;
	nif->poll(nif);
	said = strstr(kh_last_line, "broke queue 1") != NULL;
	kh_last_line[0] = 0;
	nif->poll(nif);
	again = kh_last_line[0] != 0;
	verdict("net-tx-broken", NULL, vq->broken && said && !again,
		"queue broken %d, said %d (want 1), said again %d (want 0)",
		vq->broken, said, again);
}

/* cpus CPUs, the device's max pairs (0: its own): pairs in use, or -1. */
static int mq_up(unsigned int cpus, uint16_t max, int no_ctrlq)
{
	struct netif *nif;

	kh_ncpus = cpus;
	kn_max_pairs = max;
	kn_no_ctrlq = no_ctrlq;
	nif = kn_up(0, 1500, 256, 256);
	kh_ncpus = 1;
	kn_max_pairs = 0;
	kn_no_ctrlq = 0;
	return nif ? (int)netif_queue_pairs() : -1;
}

/* 16 flows from each CPU: how many came back, on how many pairs. */
static unsigned long mq_frames(unsigned int cpus, unsigned int *rx_pairs)
{
	size_t len;
	uint8_t *udp;

	kn_looped = 0;
	for (unsigned int c = 0; c < cpus; c++) {
		kh_cpu = c;
		for (int i = 0; i < 16; i++) {
			udp = kn_udp_frame(frame, 4, &len);
			net_put16(udp, (uint16_t)(1000 + 16 * c + i));
			vnet.nif.send(&vnet.nif, frame, len, 0);
		}
		kn_device(10);
		vnet.nif.poll(&vnet.nif);
	}
	kh_cpu = 0;
	*rx_pairs = 0;
	for (unsigned int i = 0; i < vnet.ready; i++)
		*rx_pairs += vnet.p[i].st.rx_frames != 0;
	return kn_looped;
}

/*
 * The ctrl queue's device while the driver waits for its ack: the device
 * takes MQ_VQ_PAIRS_SET (and uses the pairs), then its ack is made what
 * ack_as says: a byte neither OK nor ERR, or left unwritten.
 */
static enum { ACK_GARBAGE, ACK_UNWRITTEN } ack_as;
static int ack_done;

static void ack_device(void)
{
	struct virtq *vq = &vnet.dev.vq[2 * PAIRS_MAX];
	uint8_t *ack = NULL, before = 0;

	for (unsigned int i = 0; vq->desc && i < vq->size; i++)
		if ((vq->desc[i].flags & VRING_DESC_F_WRITE) && vq->desc[i].len == 1)
			ack = kn_va(vq->desc[i].addr);
	if (ack)
		before = *ack;
	kb_device_poll(&kn_net.dev, 64);
	if (ack && !ack_done && kn_net.pairs_sets) {
		*ack = ack_as == ACK_GARBAGE ? 0x55 : before;
		ack_done = 1;
	}
}

static void mq_ack(const char *name)
{
	unsigned int rx_pairs;
	unsigned long back;
	int pairs, host;

	ack_done = 0;
	kh_sleep_hook = ack_device;
	pairs = mq_up(2, 0, 0);
	kh_sleep_hook = NULL;
	back = mq_frames(2, &rx_pairs);
	/* The host steers a flow to pair 1, in use by the device. */
	kn_plain_frame(frame, 0x71);
	kn_looped = 0;
	host = kb_net_rx(&kn_net, 1, frame, 60, NULL);
	kb_net_rx_flush(&kn_net, 1);
	vnet.nif.poll(&vnet.nif);
	verdict("net-mq-ack", name,
		ack_done && pairs == 1 && vnet.ready == 2 &&
		kb_net_pairs(&kn_net) == 2 && back == 32 && !host &&
		kn_looped == 1 && vnet.p[1].st.rx_frames == 1,
		"ack rewritten %d: %d pairs in use (want 1), %u set up, the device uses %u; %lu of 32 frames back; a frame on pair 1 (%d) taken %lu times (want 1)",
		ack_done, pairs, vnet.ready, kb_net_pairs(&kn_net), back,
		host, kn_looped);
}

/* A device whose ctrl queue is never served while the driver waits. */
static void deaf_device(void)
{
}

/*
 * The pages a bring-up of two pairs leaves held beyond its pairs' own:
 * the ctrl command's page is given back once the device returned it,
 * kept while the device may still write its ack.
 */
static void ctrl_page(void)
{
	const long pair = (2 * NBUF * BUF + BIG + PAGE_SIZE - 1) / PAGE_SIZE;
	long extra[3], deaf;
	int pairs[3], ok = 1;

	for (int i = 0; i < 3; i++) {
		long before = kh_pages_held;

		pairs[i] = mq_up(2, 0, 0);
		extra[i] = kh_pages_held - before - 2 * pair;
		ok &= pairs[i] == 2 && !extra[i];
	}
	verdict("net-mq-ctrl-page", NULL, ok,
		"three bring-ups of %d, %d, %d pairs: %ld, %ld, %ld pages held past the pairs' (want 0)",
		pairs[0], pairs[1], pairs[2], extra[0], extra[1], extra[2]);
	kh_sleep_hook = deaf_device;
	deaf = kh_pages_held;
	pairs[0] = mq_up(2, 0, 0);
	deaf = kh_pages_held - deaf - 2 * pair;
	kh_sleep_hook = NULL;
	verdict("net-mq-ctrl-page", "deaf", pairs[0] == 1 && deaf == 1,
		"a device that never answers: %d pairs in use (want 1), %ld pages held past the pairs' (want 1: the command's, which the device may still write)",
		pairs[0], deaf);
}

static void mq(void)
{
	struct netif_queue_stats past;
	unsigned int rx_pairs;
	unsigned long back;
	int pairs;

	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "%s", "");
	pairs = mq_up(2, 0, 0);
	back = mq_frames(2, &rx_pairs);
	verdict("net-mq", "2cpus",
		pairs == 2 && vnet.ready == 2 && kb_net_pairs(&kn_net) == 2 &&
		back == 32 && rx_pairs == 2 && vnet.p[1].st.tx_frames == 16,
		"%d pairs (want 2), %u set up, the device uses %u; %lu of 32 frames back, received on %u pairs (want 2), %llu sent on pair 1 (want 16)",
		pairs, vnet.ready, kb_net_pairs(&kn_net), back, rx_pairs,
		(unsigned long long)vnet.p[1].st.tx_frames);
	pairs = mq_up(PAIRS_MAX + 1, 0, 0);
	back = mq_frames(PAIRS_MAX + 1, &rx_pairs);
	netif_queue_stats(PAIRS_MAX, &past);
	verdict("net-mq", "more-cpus",
		pairs == PAIRS_MAX && kb_net_pairs(&kn_net) == PAIRS_MAX &&
		back == 16 * (PAIRS_MAX + 1) && !past.tx_frames,
		"%d CPUs: %d pairs (want %d), the device uses %u, %lu of %d frames back",
		PAIRS_MAX + 1, pairs, PAIRS_MAX, kb_net_pairs(&kn_net), back,
		16 * (PAIRS_MAX + 1));
	pairs = mq_up(2, PAIRS_MAX + 1, 0);
	back = mq_frames(2, &rx_pairs);
	verdict("net-mq", "max-too-big",
		pairs == 1 && !virtio_has(&vnet.dev, VIRTIO_NET_F_MQ) && back == 32,
		"max %d: %d pairs (want 1), MQ %s (want not), %lu of 32 frames back",
		PAIRS_MAX + 1, pairs,
		virtio_has(&vnet.dev, VIRTIO_NET_F_MQ) ? "negotiated" : "not negotiated",
		back);
	pairs = mq_up(2, 0, 1);
	back = mq_frames(2, &rx_pairs);
	verdict("net-mq", "no-ctrlq-2cpus", pairs == 1 && back == 32,
		"%d pairs (want 1), %lu of 32 frames back", pairs, back);
	/* Pair 1's receive queue of 8 cannot take what pair 0's could. */
	kh_ncpus = 2;
	kn_rx_other_max = 8;
	kn_up(0, 9000, 256, 256);
	kh_ncpus = 1;
	kn_rx_other_max = 0;
	verdict("net-mq", "small-rx1",
		!virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) && !vnet.nif.mtu &&
		vnet.dev.vq[RXQ(1)].size == 8,
		"mtu 9000, pair 1's receive queue of %u: F_MTU %s (want not), netif mtu %u",
		vnet.dev.vq[RXQ(1)].size,
		virtio_has(&vnet.dev, VIRTIO_NET_F_MTU) ? "negotiated" : "not negotiated",
		vnet.nif.mtu);
	ack_as = ACK_GARBAGE;
	mq_ack("garbage");
	ack_as = ACK_UNWRITTEN;
	mq_ack("unwritten");
	ctrl_page();
	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "netmq=off");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "netmq=off");
	tx_reclaim();
	tx_header();
	tx_no_csum();
	kicks();
	tx_hold();
	tx_broken();
	mq();
	printf("kern_net_tx: %d failed\n", failures);
	return failures != 0;
}

