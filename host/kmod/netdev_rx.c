// SPDX-License-Identifier: GPL-2.0
/*
 * ksnetN's receive side: the frames a guest transmits, from its transmit
 * queues (netdev.c has the rest).  The guest's kick on one, through
 * the doorbell's handler (kspawn_netdev_tx_rung), or the device thread
 * finding frames there (tx_ready), schedules NAPI.  The poll turns the
 * queue's kicks off while it runs and on when it completes; it copies at
 * most budget frames into skbs under net_lock and hands them to GRO after
 * dropping it, since the stack may answer at once through ksnet_xmit,
 * which takes net_lock.  All of an instance's polls run where its
 * doorbell lands (CPU 0) unless ksnetN's NAPI is threaded
 * (/sys/class/net/ksnetN/threaded).
 * A partial checksum from the guest (VIRTIO_NET_F_CSUM) stays partial
 * (CHECKSUM_PARTIAL), as virtio_net and tun leave it.  While ksnetN is
 * down the device thread takes the frames and drops them, as a NIC does.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "kspawn.h"
#include "io.h"
#include "ksnet.h"

static void *batch_alloc(void *ctx, u32 len)
{
	struct ksnet_batch *b = ctx;

	if (b->prog)
		return ksnet_xdp_alloc(b, len);
	b->skb = napi_alloc_skb(&b->kq->napi, len);
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
		ksnet_xdp_hold(b, len, m);
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
	skb_record_rx_queue(skb, b->kq - b->kn->q);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
	__skb_queue_tail(&b->q, skb);
}

static const struct kb_net_sink batch_sink = {
	.alloc = batch_alloc,
	.deliver = batch_deliver,
};

/*
 * One pair's NAPI: the frames the guest sent on that pair.  Scheduled by
 * the doorbell (kspawn_netdev_tx_rung), or by the device thread when it
 * finds frames.  While it runs the guest is asked not to kick that queue;
 * once it completes, to kick it again for the next frame, as a NIC's
 * driver unmasks its interrupt.
 */
int ksnet_poll(struct napi_struct *napi, int budget)
{
	struct ksnet_queue *kq = container_of(napi, struct ksnet_queue, napi);
	struct ksnet_batch b = { .kn = kq->kn, .kq = kq };
	unsigned int index = kq - kq->kn->q;
	struct kspawn_io *io = b.kn->io;
	bool rung, empty = false;
	struct sk_buff *skb;
	int done, more;

	__skb_queue_head_init(&b.q);
	/* kq->held has room for a poll's frames (NAPI's weight). */
	budget = min(budget, NAPI_POLL_WEIGHT);
	rcu_read_lock();
	b.prog = rcu_dereference(b.kn->xdp_prog);
	spin_lock(&io->net_lock);
	kb_net_tx_kicks_off(&io->net, index);
	b.pair = kb_net_pair_for(&io->net, index);
	done = kb_net_tx_poll(&io->net, index, budget, &batch_sink, &b);
	/* After the look: a ring that came during it brought these frames. */
	rung = test_and_clear_bit(0, &kq->rung);
	kq->polls++;
	kspawn_io_net_unlock(io);
	/*
	 * Unlocked: a redirect may come back to us through ndo_xdp_xmit,
	 * even before the flush (a device's bulk queue sends when full).
	 */
	if (b.nheld)
		ksnet_xdp_run(&b);
	rcu_read_unlock();
	while ((skb = __skb_dequeue(&b.q)))
		napi_gro_receive(napi, skb);
	/*
	 * A ring is empty only if no frame came since the ring before: an
	 * earlier poll may have taken the frame its ring announced.
	 */
	kq->worked |= done > 0;
	if (rung) {
		empty = !kq->worked;
		kq->worked = false;
	}
	/*
	 * The next kick, unless the device thread polls: it asks for them
	 * itself before it sleeps, and meanwhile schedules us when it finds
	 * frames, which spares the doorbell's CPU an interrupt per burst.
	 */
	if (done)
		set_bit(0, &io->napi_worked);
	if (done < budget && napi_complete_done(napi, done) &&
	    READ_ONCE(io->thread_at) != THREAD_POLLS) {
		spin_lock(&io->net_lock);
		more = kb_net_tx_kicks_on(&io->net, index);
		kspawn_io_net_unlock(io);
		if (more)
			napi_schedule(napi);
	}
	if (empty)
		kspawn_io_empty_ring(io);
	return done;
}

/*
 * From the doorbell (hard irq): the guest kicked these transmit queues
 * (bit 2p + 1: pair p).  Their NAPI polls them on this CPU, as a NIC's
 * would.  False if there is no NAPI to run (no ksnetN, or down): then the
 * thread takes the frames, and drops them.
 */
bool kspawn_netdev_tx_rung(struct kspawn_io *io, u32 queues)
{
	struct net_device *dev = READ_ONCE(io->netdev);
	struct ksnet *kn;

	/*
	 * Here if the ring woke this CPU from idle (a reply someone waits
	 * for, likely), or the thread is stuck in blk work: a busy CPU (a
	 * sender, say) leaves the frames to the device thread, which polls
	 * them elsewhere while they keep coming, and the host's receive
	 * path runs beside the sender.
	 */
	if (!dev || !netif_running(dev))
		return false;
	if ((!is_idle_task(current) || in_serving_softirq()) &&
	    READ_ONCE(io->thread_at) != THREAD_BLOCKS)
		return false;
	kn = netdev_priv(dev);
	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++) {
		if (!(queues & BIT(2 * p + 1)))
			continue;
		set_bit(0, &kn->q[p].rung);
		napi_schedule(&kn->q[p].napi);
	}
	return true;
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
int ksnet_guest_tx_ready(void *ctx, unsigned int pair)
{
	struct kspawn_io *io = ctx;
	struct net_device *dev = io->netdev;
	struct ksnet *kn;

	if (!dev || pair >= KB_NET_PAIRS_MAX)
		return 0;
	kn = netdev_priv(dev);
	if (!netif_running(dev))
		return kb_net_tx_poll(&io->net, pair, NAPI_POLL_WEIGHT,
				      &drop_sink, dev);
	if (napi_schedule_prep(&kn->q[pair].napi)) {
		__napi_schedule(&kn->q[pair].napi);
		io->tx_handed = true;	/* a ring that brought this: not empty */
	}
	/*
	 * With the doorbell, NAPI asks for the next kick when it is done
	 * and the guest's ring brings it back: not the thread's work.
	 * Without, the thread keeps polling, and yielding, until the poll
	 * took the frames.  It must not take them for pending kicks and
	 * spin without yielding: the poll may have been left to ksoftirqd
	 * on this very CPU.
	 */
	return !kspawn_io_doorbell_used(io);
}
