/*
 * What the hosted net device cases share (net_offload.c, net_rx_wait.c):
 * one device over a 16 MiB region, brought up by up() with the features
 * a case names and driven by the guest's own driver code, frames sent and
 * received by hand, and receive buffers posted in one or two descriptors.
 * Static: each case is one program, built alone.
 */
#ifndef TESTS_HOSTED_NET_HARNESS_H
#define TESTS_HOSTED_NET_HARNESS_H

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
#define QSIZE 256
#define TX_OFF 0x200000
#define RX_OFF 0x400000
#define HDR KB_NET_HDR
#define F(bit) (1ULL << (bit))

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_net net;
static struct virtio_dev vd;
static int rx_rooms;
static uint16_t rx_qsize = QSIZE;	/* queue 0's size, for up() */
static int no_indirect;		/* up() without INDIRECT_DESC */
static const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };

static inline int tx_ready(void *ctx, unsigned int pair)
{
	(void)ctx;
	(void)pair;
	return 0;
}

static inline void rx_room(void *ctx, unsigned int pair)
{
	(void)ctx;
	(void)pair;
	rx_rooms++;
}

static const struct kb_net_ops host_ops = { .tx_ready = tx_ready,
					    .rx_room = rx_room };

/* Bring the device up with these features (and the transport's). */
static inline int up(enum kb_net_mode mode, int packed, uint64_t want)
{
	uint64_t transport = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |
			     (no_indirect ? 0 : F(VIRTIO_RING_F_INDIRECT_DESC));

	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	kb_net_init(&net, &slot, &kr, &no_notify_ops, NULL, mode, &host_ops, NULL, mac);
	vh_region(region, BASE, REGION_BYTES, 0);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	if (virtio_start(&vd, want | transport |
			 (packed ? F(VIRTIO_F_RING_PACKED) : 0)))
		return -1;
	if (vd.features != (want | transport | (packed ? F(VIRTIO_F_RING_PACKED) : 0)))
		return -1;
	for (uint32_t q = 0; q < slot.num_queues; q++)
		if (virtio_queue(&vd, q, q ? QSIZE : rx_qsize, NULL))
			return -1;
	virtio_ready(&vd);
	kb_device_poll(&net.dev, 1);
	return net.dev.live && !virtio_broken(&vd) ? 0 : -1;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The checksum over p[0..len) is right if it sums to 0xffff. */
static inline int sum_ok(const uint8_t *p, size_t len, uint32_t pseudo)
{
	uint64_t s = pseudo;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/*
 * A UDP/IPv4 frame to our MAC of len bytes, its UDP checksum partial: the
 * pseudo-header's sum in the field, to be completed from byte 34.
 */
static inline uint32_t udp_frame(uint8_t *f, size_t len)
{
	uint32_t pseudo, ulen = (uint32_t)len - 34;

	memset(f, 0, len);
	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[23] = 17;
	memcpy(f + 26, "\xa9\xfe\x01\x01\xa9\xfe\x01\x02", 8);
	f[38] = (uint8_t)(ulen >> 8);
	f[39] = (uint8_t)ulen;
	for (size_t i = 42; i < len; i++)
		f[i] = (uint8_t)(i * 7);
	pseudo = 0xa9fe + 0x0101 + 0xa9fe + 0x0102 + 17 + ulen;
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	f[40] = (uint8_t)(pseudo >> 8);
	f[41] = (uint8_t)pseudo;
	return 0;
}

/* Send hdr + frame on pair 0; poll; 0 once the chain came back. */
static inline int send(const struct virtio_net_hdr_v1 *h,
		       const uint8_t *frame, size_t len)
{
	uint8_t *buf = region + TX_OFF;
	struct virtq_buf out = { buf, (uint32_t)(HDR + len) };

	memcpy(buf, h, HDR);
	memcpy(buf + HDR, frame, len);
	if (virtq_add(&vd.vq[1], &out, 1, NULL, 0, buf))
		return -1;
	virtq_publish(&vd.vq[1]);
	kb_device_poll(&net.dev, 64);
	return virtq_get(&vd.vq[1], NULL) == buf ? 0 : -1;
}

/* Post n receive buffers of size bytes each from RX_OFF. */
static inline void post_rx(unsigned int n, uint32_t size)
{
	for (unsigned int i = 0; i < n; i++) {
		struct virtq_buf in = { region + RX_OFF + (size_t)i * size,
					size };

		virtq_add(&vd.vq[0], NULL, 0, &in, 1, in.p);
	}
	virtq_publish(&vd.vq[0]);
}

/* Post n receive buffers of 512 bytes as two descriptors of 256 each. */
static inline void post_rx_2desc(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *b = region + RX_OFF + (size_t)i * 512;
		struct virtq_buf in[2] = { { b, 256 }, { b + 256, 256 } };

		virtq_add(&vd.vq[0], NULL, 0, in, 2, b);
	}
	virtq_publish(&vd.vq[0]);
}

/*
 * The next received frame, put together from num_buffers buffers into
 * out; its header in *h.  Returns its length or -1.
 */
static inline long recv_frame(struct virtio_net_hdr_v1 *h, uint8_t *out)
{
	uint32_t len;
	uint8_t *b = virtq_get(&vd.vq[0], &len);
	long got;

	if (!b || len < HDR)
		return -1;
	memcpy(h, b, HDR);
	got = len - HDR;
	memcpy(out, b + HDR, got);
	for (unsigned int i = 1; i < h->num_buffers; i++) {
		b = virtq_get(&vd.vq[0], &len);
		if (!b)
			return -1;
		memcpy(out + got, b, len);
		got += len;
	}
	return got;
}

#endif
