// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Hosted interop: Linux's virtio driver ring (virtio_ring.c of Debian's
 * 6.1, through linux_ring.c) drives our net device (host/backend/net.c)
 * in loopback mode, polled on a second thread, over one region.  First
 * the ctrl queue sets the MAC as virtnet_send_command() lays a command
 * out (header, data, ack: three buffers) and an unknown command is
 * refused.  Then N frames of random sizes, in turn to the device's MAC,
 * broadcast, a multicast group and a stranger, go out on tx (header and
 * frame in one to three buffers); all but the strangers' must come back
 * on rx (header and data in two device-writable buffers) in order and
 * byte for byte, and no receive buffer may be missing.  The driver
 * sleeps on rx and tx interrupts when idle.  One case per ring layout
 * and event idx setting.
 *
 *   linux_ring_net [N]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "host/backend/net.h"
#include "linux_ring.h"

#define REGION_BYTES (16u << 20)
#define QSIZE 256
#define RX_BUFS 128
#define TX_BUFS 64
#define INFLIGHT 32		/* frames on their way back, at most */
#define BUF 1536
#define HDR sizeof(struct virtio_net_hdr_v1)
#define IRQ_TIMEOUT_MS 20000

enum { RX, TX, CTRL };

static struct kspawn_device slot;
static struct kb_net net;
static struct lr_dev *_Atomic cur;
static atomic_int stop;
static const uint8_t mac0[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
static uint8_t mac[6];
static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void notify(void *ctx, uint32_t vector)
{
	struct lr_dev *d = atomic_load(&cur);

	(void)ctx;
	if (d)
		lr_notify(d, vector);
}

static const struct kb_device_ops ops = { .notify = notify };

static void *device_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		kb_device_poll(&net.dev, 64);
	return NULL;
}

/* Frame i: destination by i % 4 (3: a stranger), sequence, pattern. */
static uint32_t make_frame(uint8_t *f, uint64_t i, uint64_t seed)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	const uint8_t *dst[4] = { mac, bcast, mcast, other };
	uint32_t len = 14 + 8 + (uint32_t)(seed % (KB_NET_MTU - 8));
	uint64_t x = seed;

	memcpy(f, dst[i % 4], 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, &i, 8);
	for (uint32_t k = 22; k < len; k++) {
		x = x * 6364136223846793005ULL + 1;
		f[k] = (uint8_t)(x >> 56);
	}
	return len;
}

/* Wait for a used buffer on q: by interrupt when there is none yet. */
static void *wait_get(struct lr_dev *d, struct lr_vq *q, uint32_t *len)
{
	void *p;

	while (!(p = lr_get(q, len))) {
		if (lr_broken(q) || (lr_enable_cb(q, 0) &&
				     !lr_wait_irq(d, IRQ_TIMEOUT_MS)))
			return NULL;
	}
	return p;
}

/* One command laid out as virtnet_send_command() does; the ack or -1. */
static int ctrl_cmd(struct lr_dev *d, struct lr_vq *q, uint8_t class,
		    uint8_t cmd, const void *data, uint32_t len)
{
	struct virtio_net_ctrl_hdr *h = lr_mem_alloc(sizeof(*h));
	uint8_t *buf = lr_mem_alloc(len), *ack = lr_mem_alloc(1);
	struct lr_buf out[2] = { { h, sizeof(*h) }, { buf, len } };
	struct lr_buf in = { ack, 1 };
	int r = -1;

	h->class = class;
	h->cmd = cmd;
	memcpy(buf, data, len);
	*ack = 0xff;
	if (!lr_add(q, out, 2, &in, 1, h)) {
		lr_kick(q);
		if (wait_get(d, q, NULL) == h)
			r = *ack;
	}
	lr_mem_free(h);
	lr_mem_free(buf);
	lr_mem_free(ack);
	return r;
}

static int ctrl_mac(struct lr_dev *d, struct lr_vq *q, char *why, size_t n)
{
	static const uint8_t set[6] = { 0x02, 0x6b, 0x73, 0, 0, 2 };
	int r = ctrl_cmd(d, q, VIRTIO_NET_CTRL_MAC,
			 VIRTIO_NET_CTRL_MAC_ADDR_SET, set, 6);

	if (r != VIRTIO_NET_OK || memcmp(slot.config, set, 6)) {
		snprintf(why, n, "MAC_ADDR_SET: ack %d, config %s", r,
			 memcmp(slot.config, set, 6) ? "unchanged" : "changed");
		return -1;
	}
	r = ctrl_cmd(d, q, 9, 9, set, 1);
	if (r != VIRTIO_NET_ERR) {
		snprintf(why, n, "an unknown ctrl command was answered %d", r);
		return -1;
	}
	memcpy(mac, set, 6);
	return 0;
}

static int post_rx(struct lr_vq *q, uint8_t *b)
{
	struct lr_buf in[2] = { { b, HDR }, { b + HDR, BUF - HDR } };

	return lr_add(q, NULL, 0, in, 2, b);
}

static int send_frame(struct lr_vq *q, uint8_t *f, long i, uint64_t seed)
{
	uint32_t len = make_frame(f + HDR, (uint64_t)i, seed), a, b;
	struct lr_buf out[3];
	unsigned int n = 0;

	memset(f, 0, HDR);
	/* Header alone or with the frame; the frame whole or in two. */
	a = rnd() & 1 ? (uint32_t)HDR : (uint32_t)HDR + len;
	out[n++] = (struct lr_buf){ f, a };
	if (a < HDR + len) {
		b = rnd() & 1 ? a + 1 + (uint32_t)(rnd() % (len - 1)) :
				 HDR + len;
		out[n++] = (struct lr_buf){ f + a, b - a };
		if (b < HDR + len)
			out[n++] = (struct lr_buf){ f + b, HDR + len - b };
	}
	return lr_add(q, out, n, NULL, 0, f);
}

static int drive(struct lr_dev *d, struct lr_vq **q, long n, char *why,
		 size_t wn)
{
	uint64_t *seeds = calloc((size_t)n, sizeof(*seeds));
	uint8_t *txfree[TX_BUFS], want[BUF];
	long sent = 0, got = 0, expect = 0, inflight = 0, waits = 0;
	long back = n - n / 4;
	int ntx = 0, r = -1;

	for (int i = 0; i < TX_BUFS; i++)
		txfree[ntx++] = lr_mem_alloc(BUF);
	while (got < back || sent < n) {
		int progress = 0, kick = 0;
		uint32_t len;
		uint8_t *b;

		while ((b = lr_get(q[TX], NULL))) {
			txfree[ntx++] = b;
			progress = 1;
		}
		while (sent < n && inflight < INFLIGHT && ntx) {
			seeds[sent] = rnd();
			if (send_frame(q[TX], txfree[ntx - 1], sent,
				       seeds[sent])) {
				snprintf(why, wn, "tx add refused");
				goto out;
			}
			ntx--;
			inflight += sent % 4 != 3;
			sent++;
			kick = 1;
		}
		if (kick)
			lr_kick(q[TX]);
		kick = 0;
		while ((b = lr_get(q[RX], &len))) {
			uint64_t seq;

			while (expect % 4 == 3)
				expect++;	/* strangers never come back */
			memcpy(&seq, b + HDR + 14, 8);
			if (seq != (uint64_t)expect ||
			    len != HDR + make_frame(want, seq, seeds[seq]) ||
			    memcmp(b + HDR, want, len - HDR) ||
			    ((struct virtio_net_hdr_v1 *)b)->num_buffers != 1) {
				snprintf(why, wn, "frame %ld: got seq %llu, used length %u",
					 expect, (unsigned long long)seq, len);
				goto out;
			}
			got++;
			expect++;
			inflight--;
			progress = kick = 1;
			if (post_rx(q[RX], b)) {
				snprintf(why, wn, "rx add refused");
				goto out;
			}
		}
		if (kick)
			lr_kick(q[RX]);
		if (lr_broken(q[RX]) || lr_broken(q[TX])) {
			snprintf(why, wn, "Linux marked a ring broken (see its message above)");
			goto out;
		}
		if (__atomic_load_n(&slot.status, __ATOMIC_ACQUIRE) &
		    VIRTIO_CONFIG_S_NEEDS_RESET) {
			snprintf(why, wn, "device needs reset");
			goto out;
		}
		if (progress || (sent < n && inflight < INFLIGHT && ntx))
			continue;
		/* Idle: callbacks on both queues, then sleep. */
		if (!lr_enable_cb(q[RX], (int)(waits & 1)) |
		    !lr_enable_cb(q[TX], (int)(waits & 1)))
			continue;
		waits++;
		if (!lr_wait_irq(d, IRQ_TIMEOUT_MS)) {
			struct kb_net_pair_stats t;

			kb_net_totals(&net, &t);
			snprintf(why, wn, "no interrupt in %d s: %ld frames on their way back, %d tx buffers free, callbacks enabled; device: %llu received, %llu dropped, %llu found no buffer",
				 IRQ_TIMEOUT_MS / 1000, inflight, ntx,
				 (unsigned long long)t.rx_packets,
				 (unsigned long long)t.rx_dropped,
				 (unsigned long long)t.rx_no_buf);
			goto out;
		}
	}
	r = 0;
out:
	/* Those still queued come back through virtqueue_detach_unused_buf. */
	for (int i = 0; i < ntx; i++)
		lr_mem_free(txfree[i]);
	while (!r && ntx < TX_BUFS) {
		uint8_t *b = wait_get(d, q[TX], NULL);

		if (!b)
			break;
		lr_mem_free(b);
		ntx++;
	}
	free(seeds);
	return r;
}

static int run_case(const char *name, int packed, int event_idx, long n)
{
	uint8_t *region = aligned_alloc(4096, REGION_BYTES);
	struct kb_region kr = { region, (uint64_t)(uintptr_t)region,
				REGION_BYTES };
	struct lr_opts o = {
		.device_bits = 1ULL << VIRTIO_NET_F_MAC |
			       1ULL << VIRTIO_NET_F_MTU |
			       1ULL << VIRTIO_NET_F_STATUS |
			       1ULL << VIRTIO_NET_F_CTRL_VQ |
			       1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR,
		.packed = packed, .event_idx = event_idx, .indirect = 1,
	};
	struct lr_vq *q[3] = { NULL };
	struct lr_stats rx = { 0 }, tx = { 0 };
	uint8_t *rxbuf[RX_BUFS] = { NULL };
	struct kb_net_pair_stats tot;
	struct lr_dev *d;
	pthread_t dev;
	char why[256] = "";
	int bad = 1;

	memset(region, 0, REGION_BYTES);
	rs = 0x9e3779b97f4a7c15ULL;
	memcpy(mac, mac0, 6);
	lr_mem_init(region, REGION_BYTES);
	kb_net_init(&net, &slot, &kr, &ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac0);
	atomic_store(&stop, 0);
	pthread_create(&dev, NULL, device_thread, NULL);
	d = lr_dev_open(&slot, &o, why, sizeof(why));
	for (int i = 0; d && i < 3; i++) {
		q[i] = lr_vq_setup(d, (unsigned int)i, QSIZE);
		if (!q[i]) {
			snprintf(why, sizeof(why), "vring_create_virtqueue failed");
			goto out;
		}
	}
	if (!d)
		goto out;
	atomic_store(&cur, d);
	for (int i = 0; i < RX_BUFS; i++) {
		rxbuf[i] = lr_mem_alloc(BUF);
		post_rx(q[RX], rxbuf[i]);
	}
	lr_dev_driver_ok(d);
	lr_kick(q[RX]);
	bad = ctrl_mac(d, q[CTRL], why, sizeof(why)) ||
	      drive(d, q, n, why, sizeof(why));
	lr_vq_stats(q[RX], &rx);
	lr_vq_stats(q[TX], &tx);
	atomic_store(&cur, NULL);
	lr_dev_close(d);
	for (int i = 0; i < RX_BUFS; i++)
		lr_mem_free(rxbuf[i]);
	if (!bad && lr_mem_in_use()) {
		snprintf(why, sizeof(why), "%zu bytes of the region still allocated after vring_del_virtqueue",
			 lr_mem_in_use());
		bad = 1;
	}
out:
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
	kb_net_totals(&net, &tot);
	if (!bad && (tot.rx_dropped || tot.rx_no_buf)) {
		snprintf(why, sizeof(why), "%llu frames found no receive buffer",
			 (unsigned long long)(tot.rx_dropped + tot.rx_no_buf));
		bad = 1;
	}
	if (!bad && net.tx_filtered != (uint64_t)n / 4) {
		snprintf(why, sizeof(why), "%llu frames dropped on tx, want the %ld strangers'",
			 (unsigned long long)net.tx_filtered, n / 4);
		bad = 1;
	}
	if (bad)
		printf("FAIL %s: %s\n", name, why);
	else
		printf("ok %s: %ld frames, %llu came back intact and in order, %llu strangers dropped; MAC set by ctrl; interrupts rx %llu tx %llu\n",
		       name, n, (unsigned long long)tot.rx_packets,
		       (unsigned long long)net.tx_filtered,
		       (unsigned long long)(rx.irqs + rx.irqs_none),
		       (unsigned long long)(tx.irqs + tx.irqs_none));
	fflush(stdout);
	free(region);
	return bad;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int failed = 0;

	failed += run_case("split", 0, 0, n);
	failed += run_case("split+event_idx", 0, 1, n);
	failed += run_case("packed", 1, 0, n);
	failed += run_case("packed+event_idx", 1, 1, n);
	printf("linux_ring_net: %d failed\n", failed);
	return failed != 0;
}
