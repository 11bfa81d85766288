// SPDX-License-Identifier: GPL-2.0
/*
 * ksnetN: the host's end of a guest's virtio-net in netdev mode.  What the
 * host sends on it becomes a frame in the guest's receive queue; what the
 * guest transmits arrives on it.
 *
 * Receive (the guest's transmit queue): the device thread, finding frames
 * there, schedules NAPI (tx_ready); the poll copies at most budget frames
 * into skbs under net_lock and hands them to GRO after dropping it, since
 * the stack may answer at once through ksnet_xmit, which takes net_lock.
 * A partial checksum from the guest (VIRTIO_NET_F_CSUM) stays partial
 * (CHECKSUM_PARTIAL), as virtio_net and tun leave it.
 *
 * Transmit (the guest's receive queue): copied in ksnet_xmit, its checksum
 * state passed on (partial, or verified: DATA_VALID).  When the guest has
 * posted too few buffers the queue stops and the skb goes back to the
 * qdisc; the backend calls rx_room once buffers come (or at a reset) and
 * the queue wakes.  A batch (xmit_more) is published to the guest once,
 * and BQL counts the bytes queued but not yet published.
 *
 * Carrier follows the guest's driver (up once DRIVER_OK was accepted, down
 * at a reset).  The MTU may go up to the one the device offers.
 *
 * Native XDP (netdev_xdp.c): an attached program sees each frame the guest sends
 * before any skb, copied into a page; ndo_xdp_xmit puts frames straight
 * into the guest's receive ring.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "kspawn.h"
#include "io.h"
#include "ksnet.h"

/* Publish what was copied into the guest's ring, and tell BQL. */
static void publish(struct ksnet *kn, struct netdev_queue *txq)
{
	if (!kn->unpublished)
		return;
	kb_net_rx_flush(&kn->io->net, 0);
	netdev_tx_completed_queue(txq, kn->unpublished, kn->unpublished_bytes);
	kn->unpublished = 0;
	kn->unpublished_bytes = 0;
	kspawn_io_kick(kn->io);
}

static netdev_tx_t ksnet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ksnet *kn = netdev_priv(dev);
	struct netdev_queue *txq = netdev_get_tx_queue(dev, 0);
	struct kb_net_meta m = { .csum = KB_NET_CSUM_NONE };
	unsigned int len = skb->len;
	int err = -EINVAL;

	if (skb_linearize(skb))
		goto drop;
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		m.csum = KB_NET_CSUM_PARTIAL;
		m.csum_start = skb_checksum_start_offset(skb);
		m.csum_offset = skb->csum_offset;
	} else if (skb->ip_summed == CHECKSUM_UNNECESSARY) {
		m.csum = KB_NET_CSUM_VALID;
	}
	spin_lock_bh(&kn->io->net_lock);
	err = kb_net_rx(&kn->io->net, 0, skb->data, len, &m);
	if (err == -ENOSPC) {
		/* Nothing taken: rx_room wakes us, the qdisc keeps the skb. */
		netif_tx_stop_queue(txq);
		kn->stops++;
		publish(kn, txq);
		spin_unlock_bh(&kn->io->net_lock);
		return NETDEV_TX_BUSY;
	}
	if (!err) {
		kn->unpublished++;
		kn->unpublished_bytes += len;
		if (__netdev_tx_sent_queue(txq, len, netdev_xmit_more()))
			publish(kn, txq);
	} else {
		publish(kn, txq);
	}
	spin_unlock_bh(&kn->io->net_lock);
	if (!err) {
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
		consume_skb(skb);
		return NETDEV_TX_OK;
	}
drop:
	dev->stats.tx_dropped++;
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static void *batch_alloc(void *ctx, u32 len)
{
	struct ksnet_batch *b = ctx;

	if (b->prog)
		return ksnet_xdp_alloc(b, len);
	b->skb = napi_alloc_skb(&b->kn->napi, len);
	if (!b->skb) {
		b->kn->dev->stats.rx_dropped++;
		return NULL;
	}
	return skb_put(b->skb, len);
}

static void batch_deliver(void *ctx, void *buf, u32 len,
			  const struct kb_net_meta *m)
{
	struct ksnet_batch *b = ctx;
	struct net_device *dev = b->kn->dev;
	struct sk_buff *skb = b->skb;

	if (b->prog) {
		ksnet_xdp_run(b, buf, len, m);
		return;
	}
	/* Before eth_type_trans: start is from the MAC header. */
	if (m->csum == KB_NET_CSUM_PARTIAL &&
	    !skb_partial_csum_set(skb, m->csum_start, m->csum_offset)) {
		dev->stats.rx_errors++;
		kfree_skb(skb);
		return;
	}
	skb->protocol = eth_type_trans(skb, dev);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
	__skb_queue_tail(&b->q, skb);
}

static const struct kb_net_sink batch_sink = {
	.alloc = batch_alloc,
	.deliver = batch_deliver,
};

static int ksnet_poll(struct napi_struct *napi, int budget)
{
	struct ksnet_batch b = { .kn = container_of(napi, struct ksnet, napi) };
	struct kspawn_io *io = b.kn->io;
	struct sk_buff *skb;
	int done;

	__skb_queue_head_init(&b.q);
	rcu_read_lock();
	b.prog = rcu_dereference(b.kn->xdp_prog);
	spin_lock(&io->net_lock);
	done = kb_net_tx_poll(&io->net, 0, budget, &batch_sink, &b);
	b.kn->polls++;
	if (b.xdp_tx) {
		kb_net_rx_flush(&io->net, 0);
		kspawn_io_kick(io);
	}
	spin_unlock(&io->net_lock);
	/* Unlocked: a redirect may come back to us (ndo_xdp_xmit). */
	if (b.redirected)
		xdp_do_flush();
	rcu_read_unlock();
	while ((skb = __skb_dequeue(&b.q)))
		napi_gro_receive(napi, skb);
	/*
	 * Frames that come after this poll's last look are the device
	 * thread's to see: it polls the ring, or sleeps with kicks on.
	 */
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

/* The interface is down: the guest's frames are dropped, as a NIC does. */
static void *drop_alloc(void *ctx, u32 len)
{
	((struct net_device *)ctx)->stats.rx_dropped++;
	return NULL;
}

static void drop_deliver(void *ctx, void *buf, u32 len,
			 const struct kb_net_meta *m)
{
}

static const struct kb_net_sink drop_sink = {
	.alloc = drop_alloc,
	.deliver = drop_deliver,
};

/* From kb_device_poll() in the device thread, net_lock held, BH off. */
static int guest_tx_ready(void *ctx, unsigned int pair)
{
	struct kspawn_io *io = ctx;
	struct net_device *dev = io->netdev;
	struct ksnet *kn;

	if (!dev || pair)
		return 0;
	kn = netdev_priv(dev);
	if (!netif_running(dev))
		return kb_net_tx_poll(&io->net, pair, NAPI_POLL_WEIGHT,
				      &drop_sink, dev);
	if (napi_schedule_prep(&kn->napi))
		__napi_schedule(&kn->napi);
	/*
	 * Work, scheduled now or before: the thread keeps polling, and
	 * yielding, until the poll took the frames.  It must not take them
	 * for pending kicks and spin without yielding: the poll may have
	 * been left to ksoftirqd on this very CPU.
	 */
	return 1;
}

/* The guest posted receive buffers after -ENOSPC, or reset; net_lock held. */
static void guest_rx_room(void *ctx, unsigned int pair)
{
	struct kspawn_io *io = ctx;
	struct ksnet *kn;

	if (!io->netdev || pair)
		return;
	kn = netdev_priv(io->netdev);
	kn->wakes++;
	netif_tx_wake_queue(netdev_get_tx_queue(io->netdev, pair));
}

const struct kb_net_ops kspawn_netdev_ops = {
	.tx_ready = guest_tx_ready,
	.rx_room = guest_rx_room,
};

static int ksnet_open(struct net_device *dev)
{
	struct ksnet *kn = netdev_priv(dev);

	napi_enable(&kn->napi);
	netif_start_queue(dev);
	/* Frames the guest sent while we were down: the thread looks again. */
	spin_lock_bh(&kn->io->net_lock);
	kspawn_io_kick(kn->io);
	spin_unlock_bh(&kn->io->net_lock);
	return 0;
}

static int ksnet_stop(struct net_device *dev)
{
	struct ksnet *kn = netdev_priv(dev);

	netif_tx_disable(dev);
	napi_disable(&kn->napi);
	return 0;
}

static const struct net_device_ops ksnet_ops = {
	.ndo_open = ksnet_open,
	.ndo_stop = ksnet_stop,
	.ndo_start_xmit = ksnet_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_change_mtu = ksnet_change_mtu,
	.ndo_bpf = ksnet_bpf,
	.ndo_xdp_xmit = ksnet_xdp_xmit,
};

static void ksnet_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	struct ksnet *kn = netdev_priv(dev);

	strscpy(info->driver, "kspawn", sizeof(info->driver));
	snprintf(info->bus_info, sizeof(info->bus_info), "kspawn-%u", kn->id);
}

/*
 * Seen from ksnetN: its transmit ring is the guest's receive queue, its
 * receive ring the guest's transmit queue.  The guest sizes them.
 */
static void ksnet_get_ringparam(struct net_device *dev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct ksnet *kn = netdev_priv(dev);

	ring->rx_max_pending = KB_NET_QUEUE_MAX;
	ring->tx_max_pending = KB_NET_QUEUE_MAX;
	spin_lock_bh(&kn->io->net_lock);
	ring->rx_pending = kb_net_queue_size(&kn->io->net, 1);
	ring->tx_pending = kb_net_queue_size(&kn->io->net, 0);
	spin_unlock_bh(&kn->io->net_lock);
}

static const char ksnet_stat_names[][ETH_GSTRING_LEN] = {
	"guest_tx_packets", "guest_tx_bytes", "guest_tx_errors",
	"guest_rx_packets", "guest_rx_bytes", "guest_rx_dropped",
	"guest_rx_no_buf", "tx_queue_stops", "tx_queue_wakes", "napi_polls",
	"xdp_pass", "xdp_drop", "xdp_tx", "xdp_redirect", "xdp_xmit",
	"xdp_xmit_drops",
};

static int ksnet_get_sset_count(struct net_device *dev, int set)
{
	return set == ETH_SS_STATS ? ARRAY_SIZE(ksnet_stat_names) : -EOPNOTSUPP;
}

static void ksnet_get_strings(struct net_device *dev, u32 set, u8 *buf)
{
	if (set == ETH_SS_STATS)
		memcpy(buf, ksnet_stat_names, sizeof(ksnet_stat_names));
}

static void ksnet_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct ksnet *kn = netdev_priv(dev);
	struct kb_net_pair_stats t;

	spin_lock_bh(&kn->io->net_lock);
	kb_net_totals(&kn->io->net, &t);
	data[0] = t.tx_packets;
	data[1] = t.tx_bytes;
	data[2] = t.tx_errors;
	data[3] = t.rx_packets;
	data[4] = t.rx_bytes;
	data[5] = t.rx_dropped;
	data[6] = t.rx_no_buf;
	data[7] = kn->stops;
	data[8] = kn->wakes;
	data[9] = kn->polls;
	for (int i = 0; i < KSNET_XDP_STATS; i++)
		data[10 + i] = kn->xdp_stats[i];
	spin_unlock_bh(&kn->io->net_lock);
}

static const struct ethtool_ops ksnet_ethtool_ops = {
	.get_drvinfo = ksnet_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_ringparam = ksnet_get_ringparam,
	.get_sset_count = ksnet_get_sset_count,
	.get_strings = ksnet_get_strings,
	.get_ethtool_stats = ksnet_get_ethtool_stats,
};

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
	struct ksnet *kn;
	int err;

	if (!dev)
		return -ENOMEM;
	kn = netdev_priv(dev);
	kn->io = in->io;
	kn->dev = dev;
	kn->id = in->id;
	strscpy(dev->name, "ksnet%d", sizeof(dev->name));
	dev->netdev_ops = &ksnet_ops;
	dev->ethtool_ops = &ksnet_ethtool_ops;
	dev->mtu = KB_NET_MTU;
	dev->max_mtu = KB_NET_MTU_MAX;
	/* The device finishes a partial checksum for a guest without them. */
	dev->hw_features = NETIF_F_HW_CSUM;
	dev->features = NETIF_F_HW_CSUM;
	eth_hw_addr_set(dev, mac);
	netif_napi_add(dev, &kn->napi, ksnet_poll);
	netif_carrier_off(dev);
	err = register_netdev(dev);
	if (!err) {
		err = ksnet_xdp_init(kn);
		if (err)
			unregister_netdev(dev);
	}
	if (err) {
		netif_napi_del(&kn->napi);
		free_netdev(dev);
		return err;
	}
	in->io->netdev = dev;
	kspawn_count(KSPAWN_CNT_NETDEVS, 1);
	return 0;
}

void kspawn_netdev_destroy(struct kspawn_io *io)
{
	struct ksnet *kn;

	if (!io->netdev)
		return;
	kn = netdev_priv(io->netdev);
	unregister_netdev(io->netdev);
	ksnet_xdp_fini(kn);
	netif_napi_del(&kn->napi);
	free_netdev(io->netdev);
	io->netdev = NULL;
	kspawn_count(KSPAWN_CNT_NETDEVS, -1);
}
