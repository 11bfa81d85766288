// SPDX-License-Identifier: GPL-2.0
/*
 * ksnetN: the host's end of a guest's virtio-net in netdev mode.  What the
 * host sends on it becomes a frame in the guest's receive queue; what the
 * guest transmits arrives on it.
 *
 * Receive (the guest's transmit queue): NAPI, in netdev_rx.c.
 *
 * Transmit (the guest's receive queue): copied in ksnet_xmit (a
 * non-linear skb's pieces through the device's scratch frame), its checksum
 * state passed on (partial, or verified: DATA_VALID).  When the guest has
 * posted too few buffers the queue stops and the skb goes back to the
 * qdisc; the backend calls rx_room once buffers come (or at a reset) and
 * the queue wakes.  A batch (xmit_more) is published to the guest once,
 * and BQL counts the bytes queued but not yet published.
 *
 * Multiqueue: one NAPI, XDP receive queue and transmit queue per queue
 * pair of the device (KB_NET_PAIRS_MAX); the real number of transmit
 * queues follows the pairs the guest uses (MQ_VQ_PAIRS_SET: one per guest
 * CPU), set from a work since it needs rtnl; receive queues stay at the
 * maximum, since a guest may send on any pair it set up.  The stack picks
 * a transmit queue by the flow's hash, and its index names the guest's
 * pair, so a flow stays on one pair; the guest's frames come in on every
 * pair's NAPI.
 * One lock (net_lock) still serialises the backend; BQL, stop and wake
 * are per queue.
 *
 * Carrier follows the guest's driver (up once DRIVER_OK was accepted, down
 * at a reset).  The MTU may go up to the one the device offers.
 *
 * Native XDP (netdev_xdp.c): an attached program sees each frame the
 * guest sends before any skb, copied into a page; ndo_xdp_xmit puts
 * frames straight into the guest's receive ring.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "kspawn.h"
#include "io.h"
#include "ksnet.h"

/* The pair a host transmit queue's frames go to (flow hash: the index). */
static unsigned int txq_pair(struct ksnet *kn, unsigned int qidx)
{
	return kb_net_pair_for(&kn->io->net, qidx);
}

/*
 * Frames went into the guest's receive rings (and it was interrupted if
 * it asked).  Its answer rings the doorbell, and NAPI takes it on the
 * doorbell's CPU; only a guest that does not ring (or whose doorbell is
 * masked) needs the device thread to look for it.
 */
void ksnet_sent(struct ksnet *kn)
{
	if (!kspawn_io_doorbell_used(kn->io))
		kspawn_io_kick(kn->io);
}

/*
 * Publish what was copied into the guest's rings, and tell BQL of txq's
 * bytes.  Every dirty pair is flushed: a batch's frames may have gone to
 * another pair than txq's if the guest changed the pairs meanwhile.
 */
static void publish(struct ksnet *kn, unsigned int qidx)
{
	struct ksnet_queue *kq = &kn->q[qidx];
	u32 dirty = kn->dirty;

	if (!kq->unpublished && !dirty)
		return;
	for (unsigned int p = 0; dirty; p++, dirty >>= 1)
		if (dirty & 1)
			kb_net_rx_flush(&kn->io->net, p);
	kn->dirty = 0;
	if (kq->unpublished)
		netdev_tx_completed_queue(netdev_get_tx_queue(kn->dev, qidx),
					  kq->unpublished,
					  kq->unpublished_bytes);
	kq->unpublished = 0;
	kq->unpublished_bytes = 0;
	ksnet_sent(kn);
}

/*
 * The stack picked the transmit queue by the flow's hash (or XPS); that
 * queue's index names the guest's pair, so a flow stays on one pair.
 */
static netdev_tx_t ksnet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ksnet *kn = netdev_priv(dev);
	unsigned int qidx = skb_get_queue_mapping(skb), pair;
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qidx);
	struct kb_net_meta m = { .csum = KB_NET_CSUM_NONE };
	struct ksnet_queue *kq = &kn->q[qidx];
	struct kb_net *net = &kn->io->net;
	unsigned int len = skb->len;
	const u8 *frame = skb->data;
	int err;

	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		m.csum = KB_NET_CSUM_PARTIAL;
		m.csum_start = skb_checksum_start_offset(skb);
		m.csum_offset = skb->csum_offset;
	} else if (skb->ip_summed == CHECKSUM_UNNECESSARY) {
		m.csum = KB_NET_CSUM_VALID;
	}
	spin_lock_bh(&kn->io->net_lock);
	pair = txq_pair(kn, qidx);
	/*
	 * Fragments are copied into the device's scratch frame (net_lock's,
	 * and kb_net_rx takes it as its source): the skb is left alone.  It
	 * may be shared (pktgen's, with its own reference), which
	 * skb_linearize() must not touch.
	 */
	if (skb_is_nonlinear(skb)) {
		frame = NULL;
		if (len <= sizeof(net->frame) &&
		    !skb_copy_bits(skb, 0, net->frame, len))
			frame = net->frame;
	}
	err = frame ? kb_net_rx(net, pair, frame, len, &m) : -EINVAL;
	if (err == -ENOSPC) {
		/*
		 * Nothing taken: rx_room wakes us, the qdisc keeps the skb.
		 * The thread asks the guest to kick for the buffers before
		 * it sleeps again (or sees them as it polls): wake it.
		 */
		netif_tx_stop_queue(txq);
		kq->txq_held = true;
		kn->stops++;
		publish(kn, qidx);
		kspawn_io_kick(kn->io);
		kspawn_io_net_unlock_bh(kn->io);
		return NETDEV_TX_BUSY;
	}
	if (!err) {
		/* Counted under the lock: queues transmit on several CPUs. */
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
		kn->dirty |= 1U << pair;
		kq->unpublished++;
		kq->unpublished_bytes += len;
		if (__netdev_tx_sent_queue(txq, len, netdev_xmit_more()))
			publish(kn, qidx);
	} else {
		dev->stats.tx_dropped++;
		publish(kn, qidx);
	}
	kspawn_io_net_unlock_bh(kn->io);
	if (!err) {
		consume_skb(skb);
		return NETDEV_TX_OK;
	}
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

/*
 * Net_lock held: host queue i, if ksnet_xmit() stopped it for want of
 * buffers, goes again, counted once (tx_queue_wakes against
 * tx_queue_stops).  Not while ksnetN is down: ksnet_stop() stopped every
 * queue, and ksnet_open() lets them all go, counting the held ones then.
 */
static void txq_let_go(struct ksnet *kn, unsigned int i)
{
	struct ksnet_queue *kq = &kn->q[i];

	if (!kq->txq_held || !netif_running(kn->dev))
		return;
	kq->txq_held = false;
	kn->wakes++;
	netif_tx_wake_queue(netdev_get_tx_queue(kn->dev, i));
}

/*
 * The guest posted receive buffers after -ENOSPC, or reset, or the pair
 * left use; net_lock held.  Every host queue that sends to the pair and
 * was held goes again.  One call may let several queues go or none: the
 * wait may have been XDP's (XDP_TX, ndo_xdp_xmit), which holds no queue.
 */
static void guest_rx_room(void *ctx, unsigned int pair)
{
	struct kspawn_io *io = ctx;
	struct ksnet *kn;

	if (!io->netdev)
		return;
	kn = netdev_priv(io->netdev);
	for (unsigned int i = 0; i < io->netdev->num_tx_queues; i++)
		if (i == pair || txq_pair(kn, i) == pair)
			txq_let_go(kn, i);
}

/*
 * MQ_VQ_PAIRS_SET or a reset; net_lock held: rtnl is for the work, which
 * reads the pairs when it runs, so a change while it waits is not lost.
 */
static void guest_pairs_changed(void *ctx, unsigned int pairs)
{
	struct kspawn_io *io = ctx;
	unsigned long now = jiffies, due;
	struct ksnet *kn;

	if (!io->netdev)
		return;
	kn = netdev_priv(io->netdev);
	due = READ_ONCE(kn->pairs_ran) + KSNET_PAIRS_INTERVAL;
	schedule_delayed_work(&kn->pairs_work,
			      time_before(now, due) ? due - now : 0);
}

const struct kb_net_ops kspawn_netdev_ops = {
	.tx_ready = ksnet_guest_tx_ready,
	.rx_room = guest_rx_room,
	.pairs_changed = guest_pairs_changed,
};

/*
 * ksnetN has as many queues of each kind as the guest has pairs in use,
 * so that the stack spreads flows over those only.  Queues held for a
 * pair that changed go again: their next frame finds its pair.
 */
static void ksnet_pairs_work(struct work_struct *work)
{
	struct ksnet *kn = container_of(to_delayed_work(work), struct ksnet,
					pairs_work);
	struct net_device *dev = kn->dev;
	unsigned int pairs;

	/*
	 * Stamped first: a set while this runs (the pending bit is clear
	 * already) waits the interval from here, and the pairs are read
	 * after it, so it is not lost either.
	 */
	WRITE_ONCE(kn->pairs_ran, jiffies);
	rtnl_lock();
	if (dev->reg_state == NETREG_REGISTERED) {
		spin_lock_bh(&kn->io->net_lock);
		pairs = kb_net_pairs(&kn->io->net);
		spin_unlock_bh(&kn->io->net_lock);
		if (pairs != dev->real_num_tx_queues) {
			if (netif_set_real_num_tx_queues(dev, pairs))
				netdev_warn(dev, "cannot use %u queues\n",
					    pairs);
			else
				WRITE_ONCE(kn->pairs_resizes,
					   kn->pairs_resizes + 1);
		}
		spin_lock_bh(&kn->io->net_lock);
		for (unsigned int i = 0; i < dev->num_tx_queues; i++)
			txq_let_go(kn, i);
		spin_unlock_bh(&kn->io->net_lock);
	}
	rtnl_unlock();
}

static int ksnet_open(struct net_device *dev)
{
	struct ksnet *kn = netdev_priv(dev);

	for (int i = 0; i < KB_NET_PAIRS_MAX; i++)
		napi_enable(&kn->q[i].napi);
	spin_lock_bh(&kn->io->net_lock);
	/* Held ones too: each stops again if its pair still has no room. */
	for (int i = 0; i < KB_NET_PAIRS_MAX; i++) {
		kn->wakes += kn->q[i].txq_held;
		kn->q[i].txq_held = false;
	}
	netif_tx_start_all_queues(dev);
	/* Frames the guest sent while we were down: the thread looks again. */
	kspawn_io_kick(kn->io);
	spin_unlock_bh(&kn->io->net_lock);
	return 0;
}

static int ksnet_stop(struct net_device *dev)
{
	struct ksnet *kn = netdev_priv(dev);

	netif_tx_disable(dev);
	for (int i = 0; i < KB_NET_PAIRS_MAX; i++)
		napi_disable(&kn->q[i].napi);
	/*
	 * A poll that ended on a full budget left the guest's kicks off:
	 * the thread drops what is there and asks for them again.
	 */
	spin_lock_bh(&kn->io->net_lock);
	kspawn_io_kick(kn->io);
	spin_unlock_bh(&kn->io->net_lock);
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

static void set_carrier(struct kspawn_io *io, bool up)
{
	if (!io->netdev || up == io->carrier)
		return;
	WRITE_ONCE(io->carrier, up);
	if (up)
		netif_carrier_on(io->netdev);
	else
		netif_carrier_off(io->netdev);
}

/*
 * The thread's look at the guest's driver, under net_lock: never up once
 * a stop took io->thread away (kspawn_io_silence() downs it after), or
 * the link would come back between the stop's start and its end.
 */
void kspawn_netdev_carrier(struct kspawn_io *io)
{
	set_carrier(io, READ_ONCE(io->thread) && kb_net_up(&io->net));
}

/*
 * The guest is going (a stop began): link down, whatever its driver
 * last said, so that routes and the stack stop sending into a ring no
 * one reads.  An instance left DEAD by a failed stop keeps ksnetN until
 * a later stop frees it.
 */
void kspawn_netdev_carrier_off(struct kspawn_io *io)
{
	set_carrier(io, false);
}

static void ksnet_napi_fini(struct ksnet *kn)
{
	for (int i = 0; i < KB_NET_PAIRS_MAX; i++)
		netif_napi_del(&kn->q[i].napi);
}

static void ksnet_xdp_fini_n(struct ksnet *kn, unsigned int n)
{
	while (n--)
		ksnet_xdp_fini(&kn->q[n]);
}

/* An XDP receive queue per pair (after register_netdev). */
static int ksnet_xdp_init_all(struct ksnet *kn)
{
	for (unsigned int i = 0; i < KB_NET_PAIRS_MAX; i++) {
		int err = ksnet_xdp_init(&kn->q[i], i);

		if (err) {
			ksnet_xdp_fini_n(kn, i);
			return err;
		}
	}
	return 0;
}

int kspawn_netdev_create(struct kspawn_instance *in)
{
	struct net_device *dev = alloc_etherdev_mqs(sizeof(struct ksnet),
						    KB_NET_PAIRS_MAX,
						    KB_NET_PAIRS_MAX);
	u8 mac[ETH_ALEN];
	struct ksnet *kn;
	int err;

	if (!dev)
		return -ENOMEM;
	kn = netdev_priv(dev);
	kn->io = in->io;
	kn->dev = dev;
	kn->id = in->id;
	INIT_DELAYED_WORK(&kn->pairs_work, ksnet_pairs_work);
	kn->pairs_ran = jiffies - KSNET_PAIRS_INTERVAL;
	strscpy(dev->name, "ksnet%d", sizeof(dev->name));
	dev->netdev_ops = &ksnet_ops;
	dev->ethtool_ops = &ksnet_ethtool_ops;
	dev->mtu = KB_NET_MTU;
	dev->max_mtu = KB_NET_MTU_MAX;
	/* The device finishes a partial checksum for a guest without them. */
	dev->hw_features = NETIF_F_HW_CSUM;
	dev->features = NETIF_F_HW_CSUM;
	kspawn_mac(mac, in->id, true);
	eth_hw_addr_set(dev, mac);
	/*
	 * No netpoll (netconsole): it calls ksnet_xmit with interrupts off
	 * and ksnet_poll from any context, and both take net_lock, a plain
	 * spinlock.  A printk on a CPU that holds it (kb_log when the guest
	 * writes a bad descriptor, say) would come back into ksnet_xmit and
	 * spin on it forever.
	 */
	dev->priv_flags |= IFF_DISABLE_NETPOLL;
	/*
	 * One transmit queue until the guest sets more pairs
	 * (ksnet_pairs_work).  The receive queues stay at every pair the
	 * device can have: a guest may send on any pair it set up, whatever
	 * count it set last, and an skb naming a receive queue past
	 * real_num_rx_queues makes RPS and generic XDP warn.
	 */
	netif_set_real_num_tx_queues(dev, 1);
	for (int i = 0; i < KB_NET_PAIRS_MAX; i++) {
		kn->q[i].kn = kn;
		netif_napi_add(dev, &kn->q[i].napi, ksnet_poll);
	}
	netif_carrier_off(dev);
	err = register_netdev(dev);
	if (!err) {
		err = ksnet_xdp_init_all(kn);
		if (err)
			unregister_netdev(dev);
	}
	if (err) {
		ksnet_napi_fini(kn);
		free_netdev(dev);
		return err;
	}
	/* Last: the doorbell may look at it from now on. */
	WRITE_ONCE(in->io->netdev, dev);
	kspawn_count(KSPAWN_CNT_NETDEVS, 1);
	return 0;
}

/* After the device thread stopped: nothing schedules pairs_work again. */
void kspawn_netdev_destroy(struct kspawn_io *io)
{
	struct ksnet *kn;

	if (!io->netdev)
		return;
	kn = netdev_priv(io->netdev);
	cancel_delayed_work_sync(&kn->pairs_work);
	unregister_netdev(io->netdev);
	ksnet_xdp_fini_n(kn, KB_NET_PAIRS_MAX);
	ksnet_napi_fini(kn);
	free_netdev(io->netdev);
	io->netdev = NULL;
	kspawn_count(KSPAWN_CNT_NETDEVS, -1);
}
