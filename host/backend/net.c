// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <linux/virtio_ids.h>

#include "net.h"

#define Q_RX 0
#define Q_TX 1
#define Q_CTRL 2

static void set_config(struct kb_net *n)
{
	struct virtio_net_config cfg = { .status = VIRTIO_NET_S_LINK_UP,
					 .max_virtqueue_pairs = 1,
					 .mtu = KB_NET_MTU };

	memcpy(cfg.mac, n->mac, 6);
	memcpy(n->dev.slot->config, &cfg, sizeof(cfg));
	KB_WRITE(n->dev.slot->config_generation,
		 KB_READ(n->dev.slot->config_generation) + 1);
}

int kb_net_up(const struct kb_net *n)
{
	return n->dev.live && !n->dev.broken;
}

int kb_net_rx(struct kb_net *n, const uint8_t *frame, uint32_t len)
{
	static const struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	struct kb_chain *c = &n->rx_chain;

	if (!kb_net_up(n) || len > KB_NET_FRAME_MAX ||
	    kb_device_pop(&n->dev, Q_RX, c) <= 0) {
		n->rx_dropped++;
		return -1;
	}
	if (c->in_len < KB_NET_HDR + len) {
		/*
		 * Taken, so it goes back, empty: too small for this frame, or
		 * nothing in it the device may write at all.
		 */
		n->rx_dropped++;
		kb_device_push(&n->dev, Q_RX, c, 0);
		kb_device_kick(&n->dev, Q_RX);
		return -1;
	}
	kb_chain_write(c, 0, &hdr, KB_NET_HDR);
	kb_chain_write(c, KB_NET_HDR, frame, len);
	kb_device_push(&n->dev, Q_RX, c, KB_NET_HDR + len);
	kb_device_kick(&n->dev, Q_RX);
	n->rx_packets++;
	n->rx_bytes += len;
	return 0;
}

/* vdpa_sim_net's loopback filter: ours, broadcast or multicast. */
static int loops_back(const struct kb_net *n, const uint8_t *frame)
{
	return !memcmp(frame, n->mac, 6) || (frame[0] & 1);
}

static void transmit(struct kb_net *n, const struct kb_chain *c)
{
	uint32_t len;

	if (c->out_len <= KB_NET_HDR ||
	    c->out_len - KB_NET_HDR > KB_NET_FRAME_MAX ||
	    c->out_len - KB_NET_HDR < 14) {
		n->tx_dropped++;
		return;
	}
	len = kb_chain_read(c, KB_NET_HDR, n->frame, c->out_len - KB_NET_HDR);
	n->tx_packets++;
	n->tx_bytes += len;
	if (n->mode == KB_NET_HOST)
		n->nops->xmit(n->nctx, n->frame, len);
	else if (loops_back(n, n->frame))
		kb_net_rx(n, n->frame, len);
	else
		n->tx_dropped++;
}

static uint8_t control(struct kb_net *n, const struct kb_chain *c)
{
	uint8_t cmd[2 + 6];

	if (c->out_len < 2 || kb_chain_read(c, 0, cmd, sizeof(cmd)) < 2)
		return VIRTIO_NET_ERR;
	if (cmd[0] == VIRTIO_NET_CTRL_MAC &&
	    cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET &&
	    c->out_len == 8) {
		memcpy(n->mac, cmd + 2, 6);
		set_config(n);
		return VIRTIO_NET_OK;
	}
	return VIRTIO_NET_ERR;
}

static int net_work(struct kb_device *d, int budget)
{
	struct kb_net *n = d->priv;
	int done = 0;

	while (done < budget && kb_device_pop(d, Q_TX, &d->chain) > 0) {
		transmit(n, &d->chain);
		kb_device_push(d, Q_TX, &d->chain, 0);
		done++;
	}
	if (done)
		kb_device_kick(d, Q_TX);
	while (done < budget && kb_device_pop(d, Q_CTRL, &d->chain) > 0) {
		uint8_t ack = d->chain.in_len ? control(n, &d->chain) :
				       VIRTIO_NET_ERR;

		if (d->chain.in_len)
			kb_chain_write(&d->chain, d->chain.in_len - 1, &ack, 1);
		kb_device_push(d, Q_CTRL, &d->chain, d->chain.in_len ? 1 : 0);
		kb_device_kick(d, Q_CTRL);
		done++;
	}
	return done;
}

static const struct kb_device_class net_class = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 3,
	.queue_size_max = 256,
	.kick_queues = (1U << Q_TX) | (1U << Q_CTRL),
	.features = (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_MAC) |
		    (1ULL << VIRTIO_NET_F_STATUS) |
		    (1ULL << VIRTIO_NET_F_CTRL_VQ) |
		    (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR),
	.work = net_work,
};

void kb_net_init(struct kb_net *n, struct kspawn_device *slot,
		 const struct kb_region *r, const struct kb_device_ops *ops,
		 void *ctx, enum kb_net_mode mode, const struct kb_net_ops *nops,
		 void *nctx, const uint8_t mac[6])
{
	memset(n, 0, sizeof(*n));
	n->mode = mode;
	n->nops = nops;
	n->nctx = nctx;
	memcpy(n->mac, mac, 6);
	kb_device_init(&n->dev, slot, r, &net_class, n, ops, ctx);
	set_config(n);
}
