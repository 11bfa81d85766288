/*
 * The hosted net driver's test bench (kern_net_harness.h): the driver as
 * the kernel brings it up, the net device in loopback mode.
 */
#include <stdlib.h>
#include <string.h>

#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"
#include "kern_net_harness.h"
#include "lib/net/bytes.h"
#include "lib/net/csum.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (8u << 20)
#define VECTOR0 32			/* queue q interrupts at VECTOR0 + q */

static uint8_t *region;
static struct kb_region kr;
struct kspawn_device kn_slot;
struct kb_net kn_net;
const uint8_t kn_mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
int kn_no_ctrlq;
uint16_t kn_max_pairs;
uint16_t kn_rx_other_max;
unsigned long kn_looped;
uint8_t kn_last[BIG];
size_t kn_last_len;
unsigned long kn_irqs[KSPAWN_MAX_QUEUES];
void (*kn_rx_hook)(void);

static void count_rx(struct netif *nif, const void *frame, size_t len)
{
	(void)nif;
	kn_looped++;
	kn_last_len = len < sizeof(kn_last) ? len : sizeof(kn_last);
	memcpy(kn_last, frame, kn_last_len);
	if (kn_rx_hook)
		kn_rx_hook();
}

static void count_irq(void *ctx, uint32_t vector)
{
	(void)ctx;
	if (vector >= VECTOR0 && vector < VECTOR0 + KSPAWN_MAX_QUEUES)
		kn_irqs[vector - VECTOR0]++;
}

static const struct kb_device_ops irq_ops = { .notify = count_irq };

struct netif *kn_up(uint64_t drop, uint16_t mtu, uint16_t tx_max,
		    uint16_t rx_max)
{
	struct netif *nif;

	if (!region)
		region = aligned_alloc(4096, REGION_BYTES);
	memset(&vnet, 0, sizeof(vnet));
	memset(region, 0, REGION_BYTES);
	memset(&kn_slot, 0, sizeof(kn_slot));
	memset(kn_irqs, 0, sizeof(kn_irqs));
	kn_looped = 0;
	kn_last_len = 0;
	kr = (struct kb_region){ .va = region, .base = BASE,
				 .size = REGION_BYTES };
	kb_net_init(&kn_net, &kn_slot, &kr, &irq_ops, NULL, KB_NET_LOOPBACK,
		    NULL, NULL, kn_mac);
	kn_slot.device_features &= ~drop;
	memcpy(kn_slot.config + offsetof(struct virtio_net_config, mtu), &mtu,
	       sizeof(mtu));
	if (kn_max_pairs)
		memcpy(kn_slot.config +
		       offsetof(struct virtio_net_config, max_virtqueue_pairs),
		       &kn_max_pairs, sizeof(kn_max_pairs));
	kn_slot.queues[TXQ(0)].size_max = tx_max;
	kn_slot.queues[RXQ(0)].size_max = rx_max;
	for (unsigned int p = 1; kn_rx_other_max && p < KB_NET_PAIRS_MAX; p++)
		kn_slot.queues[RXQ(p)].size_max = kn_rx_other_max;
	if (kn_no_ctrlq)
		kn_slot.queues[2 * KB_NET_PAIRS_MAX].size_max = 0;
	vh_region(region, BASE, REGION_BYTES, 0);
	vh_poll(&kn_net.dev);
	kh_slot = &kn_slot;
	nif = netif_first();
	if (nif)
		nif->raw_rx = count_rx;
	/*
	 * The hosted platform names no vectors: the device's, by hand, in
	 * the slot for its set-up to come and in what it took already.
	 */
	for (unsigned int q = 0; q < KSPAWN_MAX_QUEUES; q++) {
		kn_slot.queues[q].vector = VECTOR0 + q;
		kn_net.dev.vector[q] = VECTOR0 + q;
	}
	kn_device(10);
	return nif;
}

void kn_device(int turns)
{
	kb_device_kicks_off(&kn_net.dev);
	for (int i = 0; i < turns; i++)
		kb_device_poll(&kn_net.dev, 64);
	kb_device_kicks_on(&kn_net.dev);
}

int kn_posted(unsigned int pair)
{
	struct virtq *vq = &vnet.dev.vq[RXQ(pair)];

	return vq->size - vq->num_free;
}

int kn_dev_rx(const struct virtio_net_hdr_v1 *h, const uint8_t *f,
	      const uint32_t *lens, int n)
{
	struct kb_vq *vq = &kn_net.dev.vq[RXQ(0)];
	struct kb_buf b[NBUF];
	size_t at = 0;
	int got = kb_vq_pop_bufs(vq, b, n);

	for (int k = 0; k < got; k++) {
		size_t off = k ? 0 : HDR;

		if (!k)
			memcpy(b[0].p, h, HDR);
		memcpy(b[k].p + off, f + at, lens[k] - off);
		at += lens[k] - off;
	}
	if (got > 0) {
		kb_vq_push_bufs(vq, b, lens, got);
		kb_vq_publish(vq);
	}
	return got;
}

void *kn_va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

int kn_send_len(struct netif *nif, size_t len)
{
	static uint8_t frame[BUF];

	memset(frame, 0, len);
	memcpy(frame, kn_mac, 6);
	memcpy(frame + 6, kn_mac, 6);
	frame[12] = 0x08;
	return nif->send(nif, frame, len, 0);
}

void kn_plain_frame(uint8_t *f, uint8_t mark)
{
	memset(f, mark, 60);
	memcpy(f, kn_mac, 6);
	memcpy(f + 6, kn_mac, 6);
	f[12] = 0x08;
	f[13] = 0;
}

uint8_t *kn_udp_frame(uint8_t *frame, size_t payload, size_t *len)
{
	uint8_t *ip = frame + ETH_HLEN, *udp = ip + 20;
	uint32_t src = SRC_IP, dst = DST_IP;
	size_t all = ETH_HLEN + 20 + 8 + payload;

	if (all < 60)
		all = 60;
	memset(frame, 0, all);
	memcpy(frame, kn_mac, 6);
	memcpy(frame + 6, kn_mac, 6);
	frame[12] = 0x08;
	ip[0] = 0x45;
	net_put16(ip + 2, (uint16_t)(20 + 8 + payload));	/* total length */
	ip[8] = 64;
	ip[9] = 17;			/* UDP */
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	net_put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	udp[1] = 7;
	udp[3] = 9;
	net_put16(udp + 4, (uint16_t)(8 + payload));
	for (size_t k = 0; k < payload; k++)
		udp[8 + k] = (uint8_t)('a' + k % 26);
	if (len)
		*len = all;
	return udp;
}

int kn_frames_whole(struct netif *nif, int n, size_t len)
{
	static uint8_t f[BUF];
	int whole = 0;

	for (int i = 0; i < n; i++) {
		/* Bytes of their own per frame: no stale copy passes. */
		for (size_t k = 0; k < len; k++)
			f[k] = (uint8_t)(0x10 + 7 * i + k);
		kn_plain_frame(f, (uint8_t)(0x10 + i));
		kn_looped = 0;
		kn_last_len = 0;
		if (nif->send(nif, f, len, 0))
			continue;
		kn_device(10);
		nif->poll(nif);
		whole += kn_looped == 1 && kn_last_len == len &&
			 !memcmp(kn_last, f, len);
	}
	return whole;
}
