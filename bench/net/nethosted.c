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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/hostbench.h"
#include "host/backend/net.h"
#include "lib/virtq.h"

#define REGION_BYTES (4u << 20)
#define REGION_BASE 0x80000000ULL
#define RX_RING_OFF 0x10000u
#define TX_RING_OFF 0x20000u
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
#define DEFAULT_RTT_COUNT 1000000L
#define DEFAULT_PPS_COUNT 4000000L

#define USAGE "nethosted rtt|pps [size=64] [window=32] [count=N] [layout=split|packed]"

static const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
static const uint8_t stranger[6] = { 0x02, 0, 0, 0, 0, 0x99 };

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_net net;
static struct virtq rxq, txq;
static void *rx_cookies[QSIZE], *tx_cookies[QSIZE];
static atomic_int dev_ready, dev_stop;
static int packed;
static long corrupt_at, lose_at;

struct run {
	int rtt_mode;
	long size, window, count;
	struct hb_stream st;
	uint64_t sent_at;		/* rtt mode: of the one in flight */
	uint64_t *rtt;			/* rtt mode: ns, per frame back */
	long nrtt;
	uint64_t t0, t1;
};

static uint64_t gpa(const void *va)
{
	return REGION_BASE + (uint64_t)((const uint8_t *)va - region);
}

static void no_notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;	/* both sides poll: nobody to interrupt */
}

static const struct kb_device_ops dev_ops = { .notify = no_notify };

/* ---- frames ---- */

/* Ethernet header and payload of frame seq, after the virtio-net header. */
static void make_frame(uint8_t *f, uint64_t seq, long size)
{
	memcpy(f, seq + 1 == (uint64_t)lose_at ? stranger : mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;		/* local experimental EtherType */
	f[13] = 0xb5;
	hb_payload_make(f + ETH, seq, size);
	if (seq + 1 == (uint64_t)corrupt_at) {
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

/* ---- the device: the backend's polling thread on CPU 1 ---- */

static void *device_thread(void *arg)
{
	(void)arg;
	hb_pin(1);
	atomic_store(&dev_ready, 1);
	while (!atomic_load_explicit(&dev_stop, memory_order_relaxed))
		kb_device_poll(&net.dev, 64);
	return NULL;
}

static void init_queue(struct virtq *q, int idx, uint32_t off, void **cookies)
{
	if (packed)
		virtq_init_packed(q, QSIZE, region + off, cookies, gpa);
	else
		virtq_init(q, QSIZE, region + off, cookies, gpa, 1);
	slot.queues[idx].size = QSIZE;
	slot.queues[idx].desc_addr = q->desc_addr;
	slot.queues[idx].driver_addr = q->avail_addr;
	slot.queues[idx].device_addr = q->used_addr;
	slot.queues[idx].ready = 1;
}

/* The driver's handshake, then every rx buffer posted. */
static int bring_up(void)
{
	uint64_t want = slot.device_features;

	if (!packed)
		want &= ~KB_F_RING_PACKED;
	slot.status = KB_S_ACKNOWLEDGE | KB_S_DRIVER;
	slot.driver_features = want;
	__atomic_store_n(&slot.status, slot.status | KB_S_FEATURES_OK,
			 __ATOMIC_RELEASE);
	kb_device_poll(&net.dev, 1);
	if (!(slot.status & KB_S_FEATURES_OK))
		return fprintf(stderr, "features refused\n"), -1;
	init_queue(&rxq, 0, RX_RING_OFF, rx_cookies);
	init_queue(&txq, 1, TX_RING_OFF, tx_cookies);
	for (int i = 0; i < QSIZE; i++) {
		struct virtq_buf b = { region + RX_BUF_OFF + i * BUF, BUF };

		virtq_add(&rxq, NULL, 0, &b, 1, b.p);
	}
	virtq_publish(&rxq);
	__atomic_store_n(&slot.status, slot.status | KB_S_DRIVER_OK,
			 __ATOMIC_RELEASE);
	kb_device_poll(&net.dev, 1);
	if (!kb_net_up(&net))
		return fprintf(stderr, "device did not go live (status %#x)\n",
			       slot.status), -1;
	return 0;
}

/* ---- the driver on CPU 0 ---- */

/* Frame s->sent onto tx (not yet published); 0, or -1 if tx is full. */
static int send_one(struct run *s)
{
	uint8_t *f = region + TX_BUF_OFF + (size_t)(s->st.sent % QSIZE) * BUF;
	struct virtq_buf out = { f, (uint32_t)(HDR + ETH + s->size) };

	/*
	 * Slot reuse is safe: frame n's slot is next used by n + QSIZE, sent
	 * only once n is back (window <= QSIZE / 2), so copied by the device.
	 */
	make_frame(f + HDR, (uint64_t)s->st.sent, s->size);
	if (s->rtt_mode)
		s->sent_at = hb_now_ns();
	if (virtq_add(&txq, &out, 1, NULL, 0, f))
		return -1;
	s->st.sent++;
	return 0;
}

/* Keep window frames in flight; tx buffers come back as the device reads. */
static void fill_window(struct run *s)
{
	int added = 0;

	while (virtq_get(&txq, NULL))
		;
	while (s->st.sent < s->count && s->st.sent - s->st.next < s->window &&
	       !send_one(s))
		added++;
	if (added)
		virtq_publish(&txq);
}

/* One frame back (len: after the virtio-net header). */
static void take(struct run *s, const uint8_t *f, uint32_t len, uint64_t now)
{
	uint64_t seq = hb_payload_seq(f + ETH);

	if (hb_stream_back(&s->st, seq, frame_ok(f, len, s->size)) &&
	    s->rtt_mode)
		s->rtt[s->nrtt++] = now - s->sent_at;
}

/* Every frame on rx, their buffers posted again; returns how many. */
static int receive(struct run *s)
{
	uint8_t *b;
	uint32_t len;
	int n = 0;

	while ((b = virtq_get(&rxq, &len))) {
		struct virtq_buf back = { b, BUF };

		take(s, b + HDR, len - HDR, s->rtt_mode ? hb_now_ns() : 0);
		virtq_add(&rxq, NULL, 0, &back, 1, b);
		n++;
	}
	if (n)
		virtq_publish(&rxq);
	return n;
}

static void measure(struct run *s)
{
	struct hb_wait w = { 0 };

	s->t0 = hb_now_ns();
	while (s->st.next < s->count) {
		fill_window(s);
		if (receive(s)) {
			hb_busy(&w);
			continue;
		}
		if (__atomic_load_n(&slot.status, __ATOMIC_RELAXED) &
		    KB_S_NEEDS_RESET) {
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

static void parse(int argc, char **argv, struct run *s)
{
	static const char *const keys[] = { "size", "window", "count",
					    "layout", NULL };
	const char *layout = hb_opt(argc, argv, 2, "layout", "split");
	const char *count = hb_opt(argc, argv, 2, "count", NULL);

	if (argc < 2 || (strcmp(argv[1], "rtt") && strcmp(argv[1], "pps")) ||
	    (strcmp(layout, "split") && strcmp(layout, "packed"))) {
		fprintf(stderr, "usage: %s\n", USAGE);
		exit(2);
	}
	hb_check_args(argc, argv, 2, keys, USAGE);
	s->rtt_mode = !strcmp(argv[1], "rtt");
	packed = !strcmp(layout, "packed");
	s->size = hb_num("size", hb_opt(argc, argv, 2, "size", "64"), 8,
			 KB_NET_MTU);
	s->window = s->rtt_mode ? 1 :
		    hb_num("window", hb_opt(argc, argv, 2, "window", "32"), 1,
			   MAX_WINDOW);
	s->count = s->rtt_mode ? DEFAULT_RTT_COUNT : DEFAULT_PPS_COUNT;
	if (count)
		s->count = hb_num("count", count, 1, 1L << 28);
	s->count = hb_scale(s->count);
	corrupt_at = hb_env_num("BENCH_CORRUPT");
	lose_at = hb_env_num("BENCH_LOSE");
}

/* The metrics, unless a frame was lost or damaged: then none at all. */
static int report(struct run *s)
{
	double secs = (s->t1 - s->t0) / 1e9;
	int failed = s->st.lost || s->st.damaged ||
		     (slot.status & KB_S_NEEDS_RESET);

	fprintf(stderr, "nethosted: %s size=%ld window=%ld layout=%s: %ld frames in %.3f s, %ld lost, %ld damaged%s\n",
		s->rtt_mode ? "rtt" : "pps", s->size, s->window,
		packed ? "packed" : "split", s->count, secs, s->st.lost,
		s->st.damaged, failed ? ": FAIL" : "");
	if (failed)
		return 1;
	if (!s->rtt_mode) {
		hb_metric("pps", s->count / secs, 0, "pkt/s");
		return 0;
	}
	hb_sort(s->rtt, s->nrtt);
	hb_metric("rtt_p50_us", hb_pct_us(s->rtt, s->nrtt, 50), 2, "us");
	hb_metric("rtt_p99_us", hb_pct_us(s->rtt, s->nrtt, 99), 2, "us");
	return 0;
}

int main(int argc, char **argv)
{
	struct run s = { 0 };
	pthread_t dev;
	int err;

	parse(argc, argv, &s);
	region = aligned_alloc(4096, REGION_BYTES);
	s.rtt = s.rtt_mode ? malloc(sizeof(*s.rtt) * (size_t)s.count) : NULL;
	if (!region || (s.rtt_mode && !s.rtt))
		return fprintf(stderr, "out of memory\n"), 1;
	memset(region, 0, REGION_BYTES);
	kr = (struct kb_region){ region, REGION_BASE, REGION_BYTES };
	kb_net_init(&net, &slot, &kr, &dev_ops, NULL, KB_NET_LOOPBACK, NULL,
		    NULL, mac);
	if (bring_up())
		return 1;
	hb_pin(0);
	if (pthread_create(&dev, NULL, device_thread, NULL)) {
		fprintf(stderr, "nethosted: cannot start the second thread\n");
		return 1;
	}
	while (!atomic_load(&dev_ready))
		;
	measure(&s);
	atomic_store(&dev_stop, 1);
	pthread_join(dev, NULL);
	err = report(&s);
	free(s.rtt);
	free(region);
	return err;
}
