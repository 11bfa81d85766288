/*
 * Hosted: the virtqueue driver (guest/lib/virtq.c) and the net backend in
 * loopback mode (host/backend/net.c) on two threads over one region.  N
 * frames of random sizes, addressed in turn to the device's MAC, to
 * broadcast and to a multicast group, must all come back on rx in order,
 * byte for byte; frames to another MAC must not come back at all.  First,
 * the ctrl queue changes the MAC (VIRTIO_NET_CTRL_MAC_ADDR_SET): the config
 * shows it, and the loopback filter follows it.
 *
 *   net_loopback [N]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/net.h"
#include "hosted/virtio_hosted.h"
#include "tests/hosted/verdict.h"

#define REGION_BYTES (4u << 20)
#define BASE 0x80000000ULL
#define QSIZE 64
#define BUF 2048
#define HDR KB_NET_HDR
#define INFLIGHT 32

static uint8_t *region;
static struct kspawn_device slot;
static struct kb_net net;
static atomic_int stop;
static uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };

static void *device(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		kb_device_poll(&net.dev, 64);
	return NULL;
}

static uint64_t rs = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* Frame i: destination by i % 4 (3: a stranger), sequence, pattern. */
static size_t make_frame(uint8_t *f, uint64_t i, uint64_t seed)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	const uint8_t *dst[4] = { mac, bcast, mcast, other };
	size_t len = 14 + 8 + seed % (1500 - 8);
	uint64_t x = seed;

	memcpy(f, dst[i % 4], 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, &i, 8);
	for (size_t k = 22; k < len; k++) {
		x = x * 6364136223846793005ULL + 1;
		f[k] = (uint8_t)(x >> 56);
	}
	return len;
}

/* One ctrl command; returns the device's ack or -1. */
static int ctrl_cmd(struct virtq *q, const uint8_t *cmd, uint32_t len)
{
	uint8_t *buf = region + 0x300000, *ack = buf + 64;
	struct virtq_buf out = { buf, len }, in = { ack, 1 };

	memcpy(buf, cmd, len);
	*ack = 0xff;
	virtq_add(q, &out, 1, &in, 1, buf);
	virtq_publish(q);
	kb_device_poll(&net.dev, 8);
	return virtq_get(q, NULL) == buf ? *ack : -1;
}

static struct virtq *ctrl_q;

static int ctrl_mac(void)
{
	uint8_t set[8] = { 1, 1, 0x02, 0x6b, 0x73, 0, 0, 2 };
	uint8_t bogus[2] = { 9, 9 };

	if (ctrl_cmd(ctrl_q, set, sizeof(set)) != 0 ||
	    memcmp(slot.config, set + 2, 6)) {
		fprintf(stderr, "MAC_ADDR_SET not applied\n");
		return -1;
	}
	if (ctrl_cmd(ctrl_q, bogus, sizeof(bogus)) != 1) {
		fprintf(stderr, "an unknown ctrl command was not refused\n");
		return -1;
	}
	memcpy(mac, set + 2, 6);
	printf("ctrl: MAC set to 02:6b:73:00:00:02, unknown command refused\n");
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	uint64_t *seeds = calloc((size_t)n, sizeof(uint64_t));
	/* one queue pair: the control queue is queue 2 */
	uint64_t no_packed = 1ULL << VIRTIO_F_RING_PACKED |
			     1ULL << VIRTIO_NET_F_MQ;
	static struct virtio_dev vd;
	struct virtq *rx = &vd.vq[0], *tx = &vd.vq[1];
	struct kb_region kr;
	pthread_t dev;
	long sent = 0, got = 0, expect = 0, bad = 0, inflight = 0;
	uint8_t *rxbuf, *txbuf, want[BUF];
	struct kb_net_pair_stats tot;

	region = aligned_alloc(4096, REGION_BYTES);
	memset(region, 0, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	kb_net_init(&net, &slot, &kr, &no_notify_ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac);
	/* The guest's own driver code brings the device up (lib/virtio.c). */
	vh_region(region, BASE, REGION_BYTES, 0x10000);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	if (virtio_start(&vd, ~no_packed))
		return fprintf(stderr, "features refused\n"), 1;
	for (unsigned int q = 0; q < 3; q++)
		virtio_queue(&vd, q, QSIZE, NULL);
	rxbuf = region + 0x100000;
	txbuf = region + 0x200000;
	ctrl_q = &vd.vq[2];
	for (int i = 0; i < QSIZE; i++) {
		struct virtq_buf b = { rxbuf + (size_t)i * BUF, BUF };

		virtq_add(rx, NULL, 0, &b, 1, b.p);
	}
	virtq_publish(rx);
	virtio_ready(&vd);
	kb_device_poll(&net.dev, 1);
	vh_poll(NULL);
	if (ctrl_mac()) {
		free(seeds);
		return 1;
	}
	pthread_create(&dev, NULL, device, NULL);
	while (got < n * 3 / 4 && !bad) {
		uint8_t *b;
		uint32_t len;

		/* Send while rx has room for every frame that may return. */
		if (sent < n && inflight < INFLIGHT) {
			uint8_t *f = txbuf + (size_t)(sent % QSIZE) * BUF;
			struct virtq_buf out;

			while (virtq_get(tx, NULL))
				;
			seeds[sent] = rnd();
			memset(f, 0, HDR);
			out = (struct virtq_buf){ f, (uint32_t)(HDR +
				make_frame(f + HDR, (uint64_t)sent, seeds[sent])) };
			if (!virtq_add(tx, &out, 1, NULL, 0, f)) {
				virtq_publish(tx);
				inflight += sent % 4 != 3;
				sent++;
			}
		}
		while ((b = virtq_get(rx, &len))) {
			uint64_t seq;
			struct virtq_buf back = { b, BUF };

			while (expect % 4 == 3)
				expect++;	/* strangers never come back */
			memcpy(&seq, b + HDR + 14, 8);
			if (seq != (uint64_t)expect ||
			    len != HDR + make_frame(want, seq, seeds[seq]) ||
			    memcmp(b + HDR, want, len - HDR)) {
				fprintf(stderr, "frame %ld: got seq %llu len %u\n",
					expect, (unsigned long long)seq, len);
				bad++;
			}
			got++;
			expect++;
			inflight--;
			virtq_add(rx, NULL, 0, &back, 1, b);
			virtq_publish(rx);
		}
		if (virtio_broken(&vd)) {
			fprintf(stderr, "device needs reset\n");
			bad++;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
	kb_net_totals(&net, &tot);
	bad += tot.rx_dropped + tot.rx_no_buf + tot.tx_errors != 0;
	printf("net_loopback: %ld frames sent, %ld came back in order and intact, %llu strangers dropped, %s\n",
	       sent, got, (unsigned long long)net.tx_filtered,
	       bad ? "FAIL" : "OK");
	free(seeds);
	free(region);
	return bad != 0;
}
