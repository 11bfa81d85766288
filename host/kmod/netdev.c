// SPDX-License-Identifier: GPL-2.0
/*
 * ksnetN: the host's end of a guest's virtio-net in netdev mode.  What the
 * host sends on it becomes a frame in the guest's receive queue; what the
 * guest transmits arrives on it.  Its carrier follows the guest's driver
 * (up once DRIVER_OK was accepted).  An ordinary Ethernet device: it has
 * statistics, generic XDP works on it, and it can be bridged.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "kspawn.h"
#include "io.h"

struct ksnet {
	struct kspawn_io *io;
};

static netdev_tx_t ksnet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct kspawn_io *io = ((struct ksnet *)netdev_priv(dev))->io;
	int err = -1;

	if (!skb_linearize(skb)) {
		spin_lock_bh(&io->net_lock);
		err = kb_net_rx(&io->net, skb->data, skb->len);
		if (!err)
			kspawn_io_kick(io);
		spin_unlock_bh(&io->net_lock);
	}
	if (err) {
		dev->stats.tx_dropped++;
	} else {
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += skb->len;
	}
	consume_skb(skb);
	return NETDEV_TX_OK;
}

static int ksnet_open(struct net_device *dev)
{
	netif_start_queue(dev);
	return 0;
}

static int ksnet_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	return 0;
}

static const struct net_device_ops ksnet_ops = {
	.ndo_open = ksnet_open,
	.ndo_stop = ksnet_stop,
	.ndo_start_xmit = ksnet_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* From the I/O thread, net_lock held with bottom halves off. */
static void guest_xmit(void *ctx, const u8 *frame, u32 len)
{
	struct kspawn_io *io = ctx;
	struct net_device *dev = io->netdev;
	struct sk_buff *skb;

	if (!dev || !netif_running(dev))
		return;
	skb = netdev_alloc_skb_ip_align(dev, len);
	if (!skb) {
		dev->stats.rx_dropped++;
		return;
	}
	skb_put_data(skb, frame, len);
	skb->protocol = eth_type_trans(skb, dev);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
	netif_rx(skb);
}

const struct kb_net_ops kspawn_netdev_ops = { .xmit = guest_xmit };

void kspawn_netdev_carrier(struct kspawn_io *io)
{
	bool up = kb_net_up(&io->net);

	if (!io->netdev || up == io->carrier)
		return;
	io->carrier = up;
	if (up)
		netif_carrier_on(io->netdev);
	else
		netif_carrier_off(io->netdev);
}

int kspawn_netdev_create(struct kspawn_instance *in)
{
	struct net_device *dev = alloc_etherdev(sizeof(struct ksnet));
	u8 mac[ETH_ALEN] = { 0x02, 'k', 's', 'h', 0, in->id & 0xff };
	int err;

	if (!dev)
		return -ENOMEM;
	((struct ksnet *)netdev_priv(dev))->io = in->io;
	strscpy(dev->name, "ksnet%d", sizeof(dev->name));
	dev->netdev_ops = &ksnet_ops;
	dev->mtu = KB_NET_MTU;
	dev->max_mtu = KB_NET_MTU;
	eth_hw_addr_set(dev, mac);
	netif_carrier_off(dev);
	err = register_netdev(dev);
	if (err) {
		free_netdev(dev);
		return err;
	}
	in->io->netdev = dev;
	kspawn_count(KSPAWN_CNT_NETDEVS, 1);
	return 0;
}

void kspawn_netdev_destroy(struct kspawn_io *io)
{
	if (!io->netdev)
		return;
	unregister_netdev(io->netdev);
	free_netdev(io->netdev);
	io->netdev = NULL;
	kspawn_count(KSPAWN_CNT_NETDEVS, -1);
}
