/*
 * Hosted: the net device's queue pairs (VIRTIO_NET_F_MQ, host/backend/net.c)
 * driven by the guest's driver code (lib/virtio.c, lib/virtq.c) and
 * polled by hand.  One line per case, "ok NAME" or "FAIL NAME: why", and
 * "net_mq: N failed" last.
 *
 *   mq-loop-*      loopback, 3 pairs: a frame sent on each pair comes back
 *                  on that pair's receive queue, counted on that pair
 *   mq-ack-*       a command with 4 device-writable bytes: the ack is the
 *                  first (virtio 1.3 5.1.6.5: a command-specific result
 *                  follows it), the rest untouched, used length 1
 *   mq-ctrl-first-*  a command behind a transmit queue whose frames take
 *                  every poll's whole budget is still answered
 *   mq-steer-*     host mode, 4 pairs: flow hashes spread over every pair
 *                  in use; kb_net_rx puts a frame on the pair asked for,
 *                  and refuses a pair not in use
 *   mq-change-*    4 pairs, then 2: the platform hears 4, 2, then 1 at a
 *                  reset; a pair leaving use while it waited for buffers
 *                  gets rx_room; frames for it are refused
 *   mq-hostile-*   PAIRS_SET for pairs whose queues were not set up, 0,
 *                  max + 1, 0xffff, a short and a long command: refused,
 *                  pairs unchanged; without MQ, a guest that sets up
 *                  queue 3 too gets nothing served there (queue 2 is
 *                  ctrl), and MAC_ADDR_SET a byte long or without a
 *                  byte for its ack is not done
 *   mq-unserved-kicks-*  host mode without MQ, a frame waiting on queue 3:
 *                  asking for kicks on pair 1's transmit queue never says
 *                  "more" (a NAPI poll that re-arms and reschedules on it
 *                  would spin for ever, taking nothing), nor does pair
 *                  1's poll take the frame; pair 0's does say "more"
 *   mq-kicks-match-work-*  host and loopback: a transmit queue set up
 *                  without its receive queue, a receive queue alone
 *                  waited on and refilled, queue 16 without MQ: asking
 *                  for kicks never says "pending" round after round while
 *                  the poll does nothing (the device thread would never
 *                  sleep)
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
#define QSIZE 64
#define TX_OFF 0x200000
#define RX_OFF 0x400000
#define HDR KB_NET_HDR
#define CTRLQ (2 * KB_NET_PAIRS_MAX)
#define F(bit) (1ULL << (bit))

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_net net;
static struct virtio_dev vd;
static unsigned int rx_rooms;		/* bit p: rx_room(p) came */
static unsigned int changes[8], nchanges;
static const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };

static int tx_ready_says;		/* frames tx_ready() claims it took */

static int tx_ready(void *ctx, unsigned int pair)
{
	(void)ctx;
	(void)pair;
	return tx_ready_says;
}

static void rx_room(void *ctx, unsigned int pair)
{
	(void)ctx;
	rx_rooms |= 1U << pair;
}

static void pairs_changed(void *ctx, unsigned int pairs)
{
	(void)ctx;
	if (nchanges < 8)
		changes[nchanges++] = pairs;
}

static const struct kb_net_ops host_ops = { .tx_ready = tx_ready,
					    .rx_room = rx_room,
					    .pairs_changed = pairs_changed };

/* Bring the device up with these features and the nq queues qs[] set up. */
static int up_queues(enum kb_net_mode mode, int packed, uint64_t want,
		     const unsigned int *qs, unsigned int nq)
{
	uint64_t all = want | F(VIRTIO_F_VERSION_1) |
		       F(VIRTIO_RING_F_EVENT_IDX) | F(VIRTIO_NET_F_MAC) |
		       F(VIRTIO_NET_F_CTRL_VQ) |
		       (packed ? F(VIRTIO_F_RING_PACKED) : 0);

	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	rx_rooms = 0;
	nchanges = 0;
	kb_net_init(&net, &slot, &kr, &no_notify_ops, NULL, mode, &host_ops, NULL, mac);
	vh_region(region, BASE, REGION_BYTES, 0);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	if (virtio_start(&vd, all) || vd.features != all)
		return -1;
	for (uint32_t i = 0; i < nq; i++)
		if (virtio_queue(&vd, qs[i], QSIZE, NULL))
			return -1;
	virtio_ready(&vd);
	kb_device_poll(&net.dev, 1);
	return net.dev.live && !virtio_broken(&vd) ? 0 : -1;
}

/*
 * Bring the device up with these features, queues 0..nq-1 set up and,
 * with MQ, ctrl (the last queue).
 */
static int up(enum kb_net_mode mode, int packed, uint64_t want,
	      unsigned int nq)
{
	unsigned int qs[2 * KB_NET_PAIRS_MAX + 1], n = 0;

	while (n < nq)
		qs[n] = n, n++;
	if (want & F(VIRTIO_NET_F_MQ))
		qs[n++] = CTRLQ;
	return up_queues(mode, packed, want, qs, n);
}

/*
 * One ctrl command of len bytes with in_len device-writable bytes (each
 * 0xff before) at ack; the ack (its first byte) or -1, and the used
 * length in *used.
 */
static int ctrl_in(const uint8_t *cmd, uint32_t len, uint8_t *ack,
		   uint32_t in_len, uint32_t *used)
{
	uint8_t *buf = region + TX_OFF + 0x100000;
	struct virtq_buf out = { buf, len }, in = { ack, in_len };
	struct virtq *q = &vd.vq[virtio_has(&vd, VIRTIO_NET_F_MQ) ? CTRLQ : 2];

	memcpy(buf, cmd, len);
	memset(ack, 0xff, in_len);
	virtq_add(q, &out, 1, &in, 1, buf);
	virtq_publish(q);
	kb_device_poll(&net.dev, 8);
	return virtq_get(q, used) == buf ? *ack : -1;
}

/* One ctrl command of len bytes; the device's ack or -1. */
static int ctrl(const uint8_t *cmd, uint32_t len)
{
	uint32_t used;

	return ctrl_in(cmd, len, region + TX_OFF + 0x100000 + 64, 1, &used);
}

/* The same with no device-writable byte for the ack. */
static void ctrl_noack(const uint8_t *cmd, uint32_t len)
{
	uint8_t *buf = region + TX_OFF + 0x100000;
	struct virtq_buf out = { buf, len };
	struct virtq *q = &vd.vq[virtio_has(&vd, VIRTIO_NET_F_MQ) ? CTRLQ : 2];

	memcpy(buf, cmd, len);
	virtq_add(q, &out, 1, NULL, 0, buf);
	virtq_publish(q);
	kb_device_poll(&net.dev, 8);
	virtq_get(q, NULL);
}

static int set_pairs(uint16_t pairs)
{
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET };

	memcpy(cmd + 2, &pairs, 2);
	return ctrl(cmd, 4);
}

/* A frame to our MAC whose first payload byte is tag, len bytes. */
static void frame(uint8_t *f, size_t len, uint8_t tag)
{
	memset(f, 0, len);
	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = tag;
}

/* Queue (not publish) a frame tagged tag on queue q's ring, slot i. */
static void send_on(unsigned int q, unsigned int i, uint8_t tag)
{
	uint8_t *buf = region + TX_OFF + (size_t)(q * 16 + i) * 256;
	struct virtq_buf out = { buf, HDR + 64 };

	memset(buf, 0, HDR);
	frame(buf + HDR, 64, tag);
	virtq_add(&vd.vq[q], &out, 1, NULL, 0, buf);
	virtq_publish(&vd.vq[q]);
}

static void post_rx(unsigned int pair, unsigned int n)
{
	struct virtq *vq = &vd.vq[2 * pair];

	for (unsigned int i = 0; i < n; i++) {
		struct virtq_buf in = {
			region + RX_OFF + (size_t)(pair * 16 + i) * 2048, 2048
		};

		virtq_add(vq, NULL, 0, &in, 1, in.p);
	}
	virtq_publish(vq);
}

/* The tag of the next frame on pair's receive queue, or -1. */
static int recv_tag(unsigned int pair)
{
	uint32_t len;
	uint8_t *b = virtq_get(&vd.vq[2 * pair], &len);

	return b && len >= HDR + 15 ? b[HDR + 14] : -1;
}

static void loop_pairs(const char *layout, int packed)
{
	int ack, got[3] = { -1, -1, -1 }, ok = 1;

	if (up(KB_NET_LOOPBACK, packed, F(VIRTIO_NET_F_MQ), 6)) {
		verdict("mq-loop", layout, 0, "device not up");
		return;
	}
	ack = set_pairs(3);
	for (unsigned int p = 0; p < 3; p++) {
		post_rx(p, 4);
		send_on(2 * p + 1, 0, (uint8_t)(0x10 + p));
	}
	kb_device_poll(&net.dev, 64);
	for (unsigned int p = 0; p < 3; p++) {
		got[p] = recv_tag(p);
		ok &= got[p] == (int)(0x10 + p) && recv_tag(p) == -1 &&
		      net.stats[p].tx_packets == 1 &&
		      net.stats[p].rx_packets == 1;
	}
	verdict("mq-loop", layout,
		ack == VIRTIO_NET_OK && kb_net_pairs(&net) == 3 && ok,
		"ack %d, pairs %u, tags back %#x %#x %#x", ack,
		kb_net_pairs(&net), got[0], got[1], got[2]);
}

static void ack_place(const char *layout, int packed)
{
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
			   2, 0 };
	uint8_t *in = region + TX_OFF + 0x100000 + 64;
	uint32_t used = 0;
	int ack;

	if (up(KB_NET_LOOPBACK, packed, F(VIRTIO_NET_F_MQ), 6)) {
		verdict("mq-ack", layout, 0, "device not up");
		return;
	}
	ack = ctrl_in(cmd, 4, in, 4, &used);
	verdict("mq-ack", layout,
		ack == VIRTIO_NET_OK && used == 1 && in[1] == 0xff &&
		in[2] == 0xff && in[3] == 0xff && kb_net_pairs(&net) == 2,
		"writable bytes %02x %02x %02x %02x, used %u, pairs %u",
		in[0], in[1], in[2], in[3], used, kb_net_pairs(&net));
}

/*
 * A transmit queue that is never empty and whose frames take the whole
 * budget every poll (ksnetN down drops them, up to 64 a poll) does not
 * starve the ctrl queue: a command is answered within its poll.
 */
static void ctrl_first(const char *layout, int packed)
{
	int ack = -1;

	if (!up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MQ), 2)) {
		send_on(1, 0, 0x47);
		tx_ready_says = 64;
		ack = set_pairs(1);
		tx_ready_says = 0;
	}
	verdict("mq-ctrl-first", layout, ack == VIRTIO_NET_OK,
		"ack %d behind a transmit queue that takes the whole budget",
		ack);
}

/*
 * An idle device with receive buffers posted on pair 1 (queue 2, ctrl's
 * place without MQ) has no work: the thread may sleep.  Without MQ a
 * ctrl command waiting in queue 2 is work.
 */
static void idle(const char *layout, int packed)
{
	uint8_t *buf = region + TX_OFF + 0x100000;
	struct virtq_buf out = { buf, 4 }, in = { buf + 64, 1 };
	int mq_idle = -1, ctrl_pending = -1;

	if (!up(KB_NET_LOOPBACK, packed, F(VIRTIO_NET_F_MQ), 4) &&
	    set_pairs(2) == VIRTIO_NET_OK) {
		post_rx(0, 4);
		post_rx(1, 4);
		kb_device_poll(&net.dev, 64);
		mq_idle = kb_device_kicks_on(&net.dev);
		kb_device_kicks_off(&net.dev);
	}
	if (!up(KB_NET_LOOPBACK, packed, 0, 3)) {
		kb_device_poll(&net.dev, 64);
		memset(buf, 0, 4);	/* not run: the device is not polled */
		virtq_add(&vd.vq[2], &out, 1, &in, 1, buf);
		virtq_publish(&vd.vq[2]);
		ctrl_pending = kb_device_kicks_on(&net.dev);
		kb_device_kicks_off(&net.dev);
	}
	verdict("mq-idle", layout, mq_idle == 0 && ctrl_pending == 1,
		"MQ idle with rx posted: kicks_on %d (want 0); no MQ, ctrl command waiting: %d (want 1)",
		mq_idle, ctrl_pending);
}

static void steer(const char *layout, int packed)
{
	unsigned int hits[KB_NET_PAIRS_MAX] = { 0 }, spread = 1;
	uint8_t f[64];
	int ack, ok = 1, beyond;

	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MQ), 2 * KB_NET_PAIRS_MAX)) {
		verdict("mq-steer", layout, 0, "device not up");
		return;
	}
	ack = set_pairs(4);
	for (uint32_t h = 0; h < 1000; h++) {
		uint32_t hash = h * 2654435761u;
		unsigned int p = kb_net_pair_for(&net, hash);

		if (p < KB_NET_PAIRS_MAX)
			hits[p]++;
		else
			spread = 0;
	}
	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++)
		spread &= p < 4 ? hits[p] > 0 : hits[p] == 0;
	for (unsigned int p = 0; p < 4; p++) {
		post_rx(p, 2);
		frame(f, sizeof(f), (uint8_t)(0x20 + p));
		ok &= kb_net_rx(&net, p, f, sizeof(f), NULL) == 0;
		kb_net_rx_flush(&net, p);
	}
	for (unsigned int p = 0; p < 4; p++)
		ok &= recv_tag(p) == (int)(0x20 + p);
	post_rx(4, 2);
	beyond = kb_net_rx(&net, 4, f, sizeof(f), NULL);
	verdict("mq-steer", layout,
		ack == VIRTIO_NET_OK && spread && ok && beyond == -EINVAL &&
		!net.stats[4].rx_packets,
		"ack %d, hits %u %u %u %u %u, on their pairs %d, pair 4 -> %d",
		ack, hits[0], hits[1], hits[2], hits[3], hits[4], ok, beyond);
}

static void change(const char *layout, int packed)
{
	uint8_t f[64];
	int a4, a2, wait3, gone3;
	unsigned int rooms;

	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MQ), 8)) {
		verdict("mq-change", layout, 0, "device not up");
		return;
	}
	frame(f, sizeof(f), 0x33);
	a4 = set_pairs(4);
	wait3 = kb_net_rx(&net, 3, f, sizeof(f), NULL);	/* no buffers */
	a2 = set_pairs(2);
	rooms = rx_rooms;
	post_rx(3, 2);
	gone3 = kb_net_rx(&net, 3, f, sizeof(f), NULL);
	vd.ops->set_status(&vd, 0);			/* a reset */
	kb_device_poll(&net.dev, 1);
	verdict("mq-change", layout,
		a4 == VIRTIO_NET_OK && a2 == VIRTIO_NET_OK &&
		wait3 == -ENOSPC && rooms == 1U << 3 && gone3 == -EINVAL &&
		nchanges == 3 && changes[0] == 4 && changes[1] == 2 &&
		changes[2] == 1 && kb_net_pairs(&net) == 1,
		"acks %d %d, pair 3 %d then %d, rx_room %#x, changes %u: %u %u %u, pairs %u",
		a4, a2, wait3, gone3, rooms, nchanges, changes[0], changes[1],
		changes[2], kb_net_pairs(&net));
}

/*
 * A host transmit leaves frames on a receive queue for the next flush
 * (xmit_more); if the guest then takes that pair out of use, the flush
 * (which serves only pairs in use) would never come: the change
 * publishes them.
 */
static void shrink_flush(const char *layout, int packed, int in_order)
{
	uint8_t f[64];
	char name[32];
	int a2, a1, r, tag;

	snprintf(name, sizeof(name), "mq-shrink-flush%s",
		 in_order ? "-in-order" : "");
	if (up(KB_NET_HOST, packed, F(VIRTIO_NET_F_MQ) |
	       (in_order ? F(VIRTIO_F_IN_ORDER) : 0), 4)) {
		verdict(name, layout, 0, "device not up");
		return;
	}
	frame(f, sizeof(f), 0x44);
	a2 = set_pairs(2);
	post_rx(1, 1);
	r = kb_net_rx(&net, 1, f, sizeof(f), NULL);	/* not flushed */
	a1 = set_pairs(1);
	tag = recv_tag(1);
	verdict(name, layout,
		a2 == VIRTIO_NET_OK && a1 == VIRTIO_NET_OK && !r && tag == 0x44,
		"acks %d %d, kb_net_rx %d, pair 1 got %#x", a2, a1, r, tag);
}

static void hostile(const char *layout, int packed)
{
	static const uint16_t bad[] = { 0, KB_NET_PAIRS_MAX + 1, 0xffff };
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
			   2, 0 };
	int half, refused = 1, shortcmd, mac_ok, taken, long_mac, long_pairs;
	uint8_t set_mac[9] = { VIRTIO_NET_CTRL_MAC,
			       VIRTIO_NET_CTRL_MAC_ADDR_SET,
			       0x02, 0, 0, 0, 0, 0x42 };

	/* Pair 0 and half of pair 1 (its receive queue) only. */
	if (up(KB_NET_LOOPBACK, packed, F(VIRTIO_NET_F_MQ), 3)) {
		verdict("mq-hostile", layout, 0, "device not up");
		return;
	}
	half = set_pairs(2);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused &= set_pairs(bad[i]) == VIRTIO_NET_ERR;
	shortcmd = ctrl(cmd, 3);
	long_pairs = ctrl((const uint8_t[5]){ VIRTIO_NET_CTRL_MQ,
			  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1, 0 }, 5);
	refused &= long_pairs == VIRTIO_NET_ERR;
	refused &= kb_net_pairs(&net) == 1 && !nchanges;
	/* Without MQ: queues 0-3 set up, 2 is ctrl, 3 must stay unserved. */
	if (up(KB_NET_LOOPBACK, packed, F(VIRTIO_NET_F_CTRL_MAC_ADDR), 4)) {
		verdict("mq-hostile", layout, 0, "device not up without MQ");
		return;
	}
	post_rx(0, 2);
	send_on(3, 0, 0x44);
	kb_device_poll(&net.dev, 64);
	taken = virtq_get(&vd.vq[3], NULL) != NULL || recv_tag(0) != -1 ||
		net.stats[1].tx_packets != 0;
	/*
	 * A MAC command a byte long, or with nowhere to put its ack: not
	 * done.  Then the right one is.
	 */
	long_mac = ctrl(set_mac, 9);
	ctrl_noack(set_mac, 8);
	refused &= long_mac == VIRTIO_NET_ERR && net.mac[5] == mac[5];
	mac_ok = ctrl(set_mac, 8) == VIRTIO_NET_OK && net.mac[5] == 0x42;
	verdict("mq-hostile", layout,
		half == VIRTIO_NET_ERR && refused &&
		shortcmd == VIRTIO_NET_ERR && !taken && mac_ok &&
		!virtio_broken(&vd),
		"half a pair -> %d, bad counts, long commands and an unacked MAC refused %d, short -> %d, queue 3 served %d, ctrl %d",
		half, refused, shortcmd, taken, mac_ok);
}

static unsigned int sunk;		/* frames the sink was given */

static void *sink_alloc(void *ctx, uint32_t len)
{
	static uint8_t buf[KB_NET_FRAME_MAX];

	(void)ctx;
	(void)len;
	return buf;
}

static void sink_deliver(void *ctx, void *buf, uint32_t len,
			 const struct kb_net_meta *m)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)m;
	sunk++;
}

static void unserved_kicks(const char *layout, int packed)
{
	static const struct kb_net_sink sink = { .alloc = sink_alloc,
						 .deliver = sink_deliver };
	int pair1 = -1, pair0 = -1, sleep = -1, polled1 = -1;

	sunk = 0;
	if (!up(KB_NET_HOST, packed, 0, 4)) {
		send_on(3, 0, 0x45);
		pair1 = kb_net_tx_kicks_on(&net, 1);
		sleep = kb_device_kicks_on(&net.dev);
		/* Nor does its poll take the frame there. */
		polled1 = kb_net_tx_poll(&net, 1, 64, &sink, NULL);
		send_on(1, 0, 0x46);
		pair0 = kb_net_tx_kicks_on(&net, 0);
	}
	verdict("mq-unserved-kicks", layout,
		pair1 == 0 && sleep == 0 && pair0 == 1 && polled1 == 0 &&
		!sunk && !virtio_broken(&vd),
		"pair 1 (unserved) kicks_on -> %d, device kicks_on -> %d, its poll took %d (%u sunk), pair 0 with a frame -> %d",
		pair1, sleep, polled1, sunk, pair0);
}

/*
 * The device thread's loop: poll, then ask for kicks before sleeping; a
 * "pending" answer sends it round again.  1 if, in 4 rounds, kicks_on
 * said pending twice in a row with no work done in between: a guest
 * holding a host CPU busy for ever.
 */
static int spins(void)
{
	int idle_pending = 0;

	for (int round = 0; round < 4; round++) {
		int work = kb_device_poll(&net.dev, 64);
		int pending = kb_device_kicks_on(&net.dev);

		kb_device_kicks_off(&net.dev);
		idle_pending = pending && !work ? idle_pending + 1 : 0;
		if (idle_pending >= 2)
			return 1;
	}
	return 0;
}

/*
 * Queues set up in ways net_work() does not serve must not say "pending"
 * either: a transmit queue whose pair has no receive queue, with a frame;
 * a receive queue alone, waited on after a full ring, then given buffers;
 * without MQ, queue 16 (ctrl only with MQ) with a command on it.
 */
static void kicks_match_work(const char *layout, int packed)
{
	static const unsigned int tx_only[] = { 1 }, rx_only[] = { 0 },
				  q16[] = { 0, 1, CTRLQ };
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
			   1, 0 };
	int spun[2][3] = { { -1, -1, -1 }, { -1, -1, -1 } };

	for (int m = 0; m < 2; m++) {
		enum kb_net_mode mode = m ? KB_NET_LOOPBACK : KB_NET_HOST;
		uint8_t f[64];

		if (!up_queues(mode, packed, 0, tx_only, 1)) {
			send_on(1, 0, 0x51);
			spun[m][0] = spins();
		}
		if (!up_queues(mode, packed, 0, rx_only, 1)) {
			frame(f, sizeof(f), 0x52);
			kb_net_rx(&net, 0, f, sizeof(f), NULL);
			post_rx(0, 2);
			spun[m][1] = spins();
		}
		if (!up_queues(mode, packed, 0, q16, 3)) {
			uint8_t *buf = region + TX_OFF + 0x100000;
			struct virtq_buf out = { buf, 4 }, in = { buf + 64, 1 };

			memcpy(buf, cmd, sizeof(cmd));
			virtq_add(&vd.vq[CTRLQ], &out, 1, &in, 1, buf);
			virtq_publish(&vd.vq[CTRLQ]);
			spun[m][2] = spins();
		}
	}
	verdict("mq-kicks-match-work", layout,
		!memcmp(spun, (int[2][3]){ { 0 } }, sizeof(spun)),
		"pending with no work, twice in a row (1), or not set up (-1): host %d %d %d, loopback %d %d %d (tx queue alone, rx queue alone, queue 16 without MQ)",
		spun[0][0], spun[0][1], spun[0][2], spun[1][0], spun[1][1],
		spun[1][2]);
}

int main(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		loop_pairs(layout, packed);
		ack_place(layout, packed);
		ctrl_first(layout, packed);
		idle(layout, packed);
		steer(layout, packed);
		change(layout, packed);
		shrink_flush(layout, packed, 0);
		shrink_flush(layout, packed, 1);
		hostile(layout, packed);
		unserved_kicks(layout, packed);
		kicks_match_work(layout, packed);
	}
	printf("net_mq: %d failed\n", failures);
	free(region);
	return failures != 0;
}
