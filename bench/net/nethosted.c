// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * nethosted: kspawn's network path with no machine around it.  The guest's
 * virtqueue driver (guest/lib/virtq*.c) on CPU 0 sends Ethernet frames to
 * its own MAC; the net backend in loopback mode (host/backend/net.c, as
 * vdpa_sim_net) on CPU 1 takes each from the tx queue and puts it back on
 * the rx queue.  Two threads over one malloc'd region, both polling, as in
 * tests/hosted/net_loopback.c.  The peer is bench/net/udplo.c.
 *
 *   nethosted rtt [size=64] [count=N] [layout=split|packed]
 *   nethosted pps [size=64] [window=32] [count=N] [layout=split|packed]
 *
 * rtt: one frame in flight; stdout "rtt_p50_us X us", "rtt_p99_us X us".
 * pps: window frames in flight; stdout "pps N pkt/s".
 * Both then "warmup N frames": count / 10 more go first, unmeasured.
 * size is the payload after the 14-byte Ethernet header (8 to 1500), as
 * udplo's size is the UDP payload.
 *
 * Every frame carries its sequence number and a pattern made from it and
 * is checked byte for byte when it comes back; a gap in the sequence is a
 * loss, and nothing back for 10 s loses what is in flight.  Any loss or
 * damage: no metrics, exit 1.  To see the checks work, BENCH_CORRUPT=N
 * damages frame N (from 1) after it was made, and BENCH_LOSE=N sends frame
 * N to a MAC the loopback filter drops.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "bench/lib/hostbench.h"
#include "bench/lib/hostregion.h"
#include "host/backend/net.h"
#include "lib/virtq.h"

#define REGION_BYTES (4u << 20)
#define REGION_BASE 0x80000000ULL
#define RING_OFF 0x10000u		/* rx's ring, then tx's */
#define RX_BUF_OFF 0x100000u
#define TX_BUF_OFF 0x200000u
#define QSIZE 256
#define BUF 2048		/* per frame, virtio-net header included */
#define HDR KB_NET_HDR
#define ETH 14
#define MAX_WINDOW (QSIZE / 2)	/* rx always has a buffer for each */

/*
 * Nothing back for this long: what is in flight is lost.  Generous, since
 * on a shared machine either thread can lose its CPU for a quarter second.
 */
#define STALL_NS 10000000000ULL

static const struct hb_net_cmd cmd = {
	.name = "nethosted",
	.usage = "nethosted rtt|pps [size=64] [window=32] [count=N] [layout=split|packed]",
	.choice = "layout",
	.words = { "split", "packed" },
	.max_size = KB_NET_MTU,
	.max_window = MAX_WINDOW,
	.rtt_count = 1000000,
	.pps_count = 4000000,
	.things = "frames",
};

static const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
static const uint8_t stranger[6] = { 0x02, 0, 0, 0, 0, 0x99 };

static struct hostregion hr;
static struct kb_net net;
static struct virtq *rxq = &hr.vd.vq[0], *txq = &hr.vd.vq[1];

/* ---- frames ---- */

/* Ethernet header and payload of frame seq, after the virtio-net header. */
static void make_frame(uint8_t *f, const struct hb_net *s, uint64_t seq)
{
	long size = s->size;

	memcpy(f, seq + 1 == (uint64_t)s->lose_at ? stranger : mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;		/* local experimental EtherType */
	f[13] = 0xb5;
	hb_payload_make(f + ETH, seq, size);
	if (seq + 1 == (uint64_t)s->corrupt_at) {
		f[ETH + size - 1] ^= 0x40;
		fprintf(stderr, "BENCH_CORRUPT: frame %llu damaged\n",
			(unsigned long long)seq + 1);
	}
}

static int frame_ok(const uint8_t *f, uint32_t len, long size)
{
	return len == ETH + size && !memcmp(f, mac, 6) &&
	       !memcmp(f + 6, mac, 6) && f[12] == 0x88 && f[13] == 0xb5 &&
	       hb_payload_ok(f + ETH, size);
}

/* ---- the driver on CPU 0 ---- */

/* The driver's handshake, with every rx buffer posted before DRIVER_OK. */
static int bring_up(int packed)
{
	if (hr_negotiate(&hr, &net.dev, packed, 2, QSIZE))
		return -1;
	for (int i = 0; i < QSIZE; i++) {
		struct virtq_buf b = { hr.mem + RX_BUF_OFF + i * BUF, BUF };

		virtq_add(rxq, NULL, 0, &b, 1, b.p);
	}
	virtq_publish(rxq);
	return hr_driver_ok(&hr);
}

/* Frame s->sent onto tx (not yet published); 0, or -1 if tx is full. */
static int send_one(struct hb_net *s)
{
	uint8_t *f = hr.mem + TX_BUF_OFF + (size_t)(s->st.sent % QSIZE) * BUF;
	struct virtq_buf out = { f, (uint32_t)(HDR + ETH + s->size) };

	/*
	 * Slot reuse is safe: frame n's slot is next used by n + QSIZE, sent
	 * only once n is back (window <= QSIZE / 2), so copied by the device.
	 */
	make_frame(f + HDR, s, (uint64_t)s->st.sent);
	if (s->rtt_mode)
		s->sent_at = hb_now_ns();
	if (virtq_add(txq, &out, 1, NULL, 0, f))
		return -1;
	s->st.sent++;
	return 0;
}

/* Keep window frames in flight; tx buffers come back as the device reads. */
static void fill_window(struct hb_net *s)
{
	int added = 0;

	while (virtq_get(txq, NULL))
		;
	while (s->st.sent < s->count && s->st.sent - s->st.next < s->window &&
	       !send_one(s))
		added++;
	if (added)
		virtq_publish(txq);
}

/* One frame back (len: after the virtio-net header). */
static void take(struct hb_net *s, const uint8_t *f, uint32_t len, uint64_t now)
{
	hb_net_back(s, hb_payload_seq(f + ETH), frame_ok(f, len, s->size), now);
}

/* Every frame on rx, their buffers posted again; returns how many. */
static int receive(struct hb_net *s)
{
	uint8_t *b;
	uint32_t len;
	int n = 0;

	while ((b = virtq_get(rxq, &len))) {
		struct virtq_buf back = { b, BUF };

		take(s, b + HDR, len - HDR, s->rtt_mode ? hb_now_ns() : 0);
		virtq_add(rxq, NULL, 0, &back, 1, b);
		n++;
	}
	if (n)
		virtq_publish(rxq);
	return n;
}

static void measure(struct hb_net *s)
{
	struct hb_wait w = { 0 };

	while (s->st.next < s->count) {
		fill_window(s);
		if (receive(s)) {
			hb_net_warmed(s);
			hb_busy(&w);
			continue;
		}
		if (hr_broken(&hr)) {
			fprintf(stderr, "device needs reset: %ld in flight lost\n",
				s->st.sent - s->st.next);
			hb_stream_give_up(&s->st);
			break;
		}
		if (hb_idle(&w, STALL_NS)) {
			fprintf(stderr, "nothing back for %llu s: %ld in flight lost\n",
				STALL_NS / 1000000000ULL,
				s->st.sent - s->st.next);
			hb_stream_give_up(&s->st);
		}
	}
	s->t1 = hb_now_ns();
}

int main(int argc, char **argv)
{
	struct hb_net s;
	int err;

	hb_net_init(&s, &cmd, argc, argv);
	if (hr_alloc(&hr, REGION_BASE, REGION_BYTES, RING_OFF))
		return fprintf(stderr, "out of memory\n"), 1;
	kb_net_init(&net, &hr.slot, &hr.kr, &hr_dev_ops, NULL, KB_NET_LOOPBACK,
		    NULL, NULL, mac);
	if (bring_up(s.alt))
		return 1;
	/* The backend's polling thread on CPU 1. */
	hr_start(&hr, cmd.name);
	measure(&s);
	hr_stop(&hr);
	/* A device that gave up fails the run, whatever came back. */
	err = hb_net_report(&s, hr_broken(&hr));
	hb_net_free(&s);
	hr_free(&hr);
	return err;
}
