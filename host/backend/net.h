/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * virtio-net device with vdpa_sim_net's behaviour: queues rx (0), tx (1)
 * and ctrl (2); MAC, MTU and link status in the config; the ctrl queue's
 * MAC_ADDR_SET.  In loopback mode a frame the guest sends to its own MAC,
 * to broadcast or to a multicast address comes back on its rx queue, as
 * vdpa_sim_net does; others are dropped and counted.  In host mode frames
 * go to ops.xmit (the module's ksnet0) and kb_net_rx() brings frames in.
 */
#ifndef KB_NET_H
#define KB_NET_H

#include <linux/virtio_net.h>

#include "device.h"

#define KB_NET_HDR ((uint32_t)sizeof(struct virtio_net_hdr_v1))
#define KB_NET_MTU 1500
#define KB_NET_FRAME_MAX (KB_NET_MTU + 14 + 4)

enum kb_net_mode { KB_NET_LOOPBACK, KB_NET_HOST };

struct kb_net_ops {
	/* A frame from the guest, in host mode. */
	void (*xmit)(void *ctx, const uint8_t *frame, uint32_t len);
};

struct kb_net {
	struct kb_device dev;
	enum kb_net_mode mode;
	const struct kb_net_ops *nops;
	void *nctx;
	uint8_t mac[6];
	struct kb_chain rx_chain;	/* scratch for receiving */
	uint8_t frame[KB_NET_FRAME_MAX];
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	uint64_t tx_dropped, rx_dropped;
};

void kb_net_init(struct kb_net *n, struct kspawn_device *slot,
		 const struct kb_region *r, const struct kb_device_ops *ops,
		 void *ctx, enum kb_net_mode mode, const struct kb_net_ops *nops,
		 void *nctx, const uint8_t mac[6]);

/*
 * A frame for the guest: 0, or -1 if it has posted no receive buffer big
 * enough (the frame is dropped and counted; a buffer taken but too small,
 * or with nothing device-writable, goes back to the guest empty).
 * Callers serialise it with kb_device_poll() on the same device.
 */
int kb_net_rx(struct kb_net *n, const uint8_t *frame, uint32_t len);

/* Is the guest's driver up (DRIVER_OK accepted)? */
int kb_net_up(const struct kb_net *n);

#endif
