// SPDX-License-Identifier: GPL-2.0
/*
 * Native XDP on ksnetN.
 *
 * With a program attached, the NAPI poll copies each frame the guest sends
 * into a page of its own (XDP_PACKET_HEADROOM in front, room for an skb's
 * shared info behind: frames up to KSNET_XDP_FRAME bytes, the MTU held
 * below it) under net_lock, and once the lock is dropped runs the program
 * on each before any skb exists: a redirect may come straight back here
 * through ndo_xdp_xmit, which takes the lock (a device's bulk queue sends
 * as soon as it holds 16 frames, before any flush).  A partial checksum
 * is finished first: programs see whole frames, as virtio_net gives them
 * (it turns GUEST_CSUM off under XDP).  PASS builds the skb around the
 * page; TX puts the frames back into the guest's receive ring, under the
 * lock again, once for the poll (xdp_tx counts verdicts; those that do
 * not fit, xdp_tx_drops, count in tx_dropped too); REDIRECT hands them
 * on; DROP and ABORTED free the page.
 *
 * ndo_xdp_xmit copies frames another device's program redirected here
 * into the guest's receive ring, in order, up to the first that does not
 * fit or has fragments (the caller frees the rest, as the ndo requires;
 * xdp_xmit_drops counts them).
 */
#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/xdp.h>

#include "kspawn.h"
#include "io.h"
#include "ksnet.h"

#define KSNET_XDP_FRAME (PAGE_SIZE - XDP_PACKET_HEADROOM - \
			 SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))
#define KSNET_XDP_MTU (KSNET_XDP_FRAME - VLAN_ETH_HLEN)

int ksnet_xdp_init(struct ksnet_queue *kq, u32 index)
{
	int err = xdp_rxq_info_reg(&kq->xdp_rxq, kq->kn->dev, index,
				   kq->napi.napi_id);

	if (err)
		return err;
	err = xdp_rxq_info_reg_mem_model(&kq->xdp_rxq, MEM_TYPE_PAGE_ORDER0,
					 NULL);
	if (err)
		xdp_rxq_info_unreg(&kq->xdp_rxq);
	return err;
}

void ksnet_xdp_fini(struct ksnet_queue *kq)
{
	xdp_rxq_info_unreg(&kq->xdp_rxq);
}

void *ksnet_xdp_alloc(struct ksnet_batch *b, u32 len)
{
	if (len > KSNET_XDP_FRAME) {
		b->kn->dev->stats.rx_length_errors++;
		return NULL;
	}
	b->page = dev_alloc_page();
	if (!b->page) {
		b->kn->dev->stats.rx_dropped++;
		return NULL;
	}
	/*
	 * A program may grow the frame into the headroom
	 * (bpf_xdp_adjust_head(), _meta()) and send it to the guest
	 * (XDP_TX) or on without writing there: no stale host bytes then.
	 * (A grown tail the kernel zeroes itself.)
	 */
	memset(page_address(b->page), 0, XDP_PACKET_HEADROOM);
	return page_address(b->page) + XDP_PACKET_HEADROOM;
}

/* What CHECKSUM_PARTIAL leaves to the device; checked by the backend. */
static void finish_csum(u8 *frame, u32 len, const struct kb_net_meta *m)
{
	__sum16 *field = (__sum16 *)(frame + m->csum_start + m->csum_offset);

	*field = csum_fold(csum_partial(frame + m->csum_start,
					len - m->csum_start, 0)) ?:
		 CSUM_MANGLED_0;
}

/*
 * An skb around the page, for the stack (after the poll), with what the
 * program left in front of the frame (bpf_xdp_adjust_meta()) as its
 * metadata, for a tc program; false if there was no skb to be had.
 */
static bool pass(struct ksnet_batch *b, struct page *page,
		 struct xdp_buff *xdp)
{
	struct sk_buff *skb = build_skb(xdp->data_hard_start, PAGE_SIZE);
	u32 meta = xdp->data - xdp->data_meta;

	if (!skb) {
		put_page(page);
		return false;
	}
	skb_reserve(skb, xdp->data - xdp->data_hard_start);
	skb_put(skb, xdp->data_end - xdp->data);
	if (meta)
		skb_metadata_set(skb, meta);
	skb->protocol = eth_type_trans(skb, b->kn->dev);
	skb_record_rx_queue(skb, b->kq - b->kn->q);
	__skb_queue_tail(&b->q, skb);
	return true;
}

/* Under net_lock, in the NAPI poll: the page ksnet_xdp_alloc() gave. */
void ksnet_xdp_hold(struct ksnet_batch *b, u32 len,
		    const struct kb_net_meta *m)
{
	if (WARN_ON_ONCE(b->nheld >= ARRAY_SIZE(b->kq->held))) {
		put_page(b->page);
		return;
	}
	b->kq->held[b->nheld++] = (struct ksnet_xdp_held){
		.page = b->page,
		.data = page_address(b->page) + XDP_PACKET_HEADROOM,
		.len = len, .meta = *m };
}

/* What one poll's program did, added to the device's under net_lock. */
struct xdp_tally {
	u64 stats[KSNET_XDP_STATS];
	u64 frames, bytes, dropped;
};

/*
 * The XDP_TX frames, held[0..ntx), back into the guest's receive ring,
 * and the tally: under net_lock, once a poll.
 */
static void xdp_finish(struct ksnet_batch *b, unsigned int ntx,
		       const struct xdp_tally *t)
{
	struct ksnet *kn = b->kn;
	struct net_device *dev = kn->dev;
	unsigned int sent = 0;

	spin_lock(&kn->io->net_lock);
	for (unsigned int i = 0; i < ntx; i++) {
		struct ksnet_xdp_held *h = &b->kq->held[i];

		/* Back on the pair it came on, if that is still in use. */
		if (!kb_net_rx(&kn->io->net, b->pair, h->data, h->len, NULL))
			sent++;
	}
	/* Lost on the way out: the device's as well as XDP's own count. */
	kn->xdp_stats[KSNET_XDP_TX_DROPS] += ntx - sent;
	dev->stats.tx_dropped += ntx - sent;
	if (sent) {
		kb_net_rx_flush(&kn->io->net, b->pair);
		ksnet_sent(kn);
	}
	for (unsigned int k = 0; k < KSNET_XDP_STATS; k++)
		kn->xdp_stats[k] += t->stats[k];
	dev->stats.rx_packets += t->frames;
	dev->stats.rx_bytes += t->bytes;
	dev->stats.rx_dropped += t->dropped;
	kspawn_io_net_unlock(kn->io);
	for (unsigned int i = 0; i < ntx; i++)
		put_page(b->kq->held[i].page);
}

/*
 * The program on each held frame, net_lock not held, in the NAPI poll
 * (RCU read side, as for b->prog).  XDP_TX frames move to the front of
 * held[] and go back to the guest together.
 */
void ksnet_xdp_run(struct ksnet_batch *b)
{
	struct ksnet *kn = b->kn;
	struct xdp_tally t = { 0 };
	unsigned int ntx = 0;
	bool redirected = false;
	struct xdp_buff xdp;
	u32 act;

	for (unsigned int i = 0; i < b->nheld; i++) {
		struct ksnet_xdp_held h = b->kq->held[i];

		/*
		 * Received, whatever the program makes of it (as virtio_net
		 * and veth count): the frame as the guest sent it.
		 */
		t.frames++;
		t.bytes += h.len;
		if (h.meta.csum == KB_NET_CSUM_PARTIAL)
			finish_csum(h.data, h.len, &h.meta);
		xdp_init_buff(&xdp, PAGE_SIZE, &b->kq->xdp_rxq);
		xdp_prepare_buff(&xdp, page_address(h.page),
				 XDP_PACKET_HEADROOM, h.len, true);
		act = bpf_prog_run_xdp(b->prog, &xdp);
		switch (act) {
		case XDP_PASS:
			t.stats[KSNET_XDP_PASS]++;
			t.dropped += !pass(b, h.page, &xdp);
			continue;
		case XDP_TX:
			t.stats[KSNET_XDP_TX]++;
			/* The program may have moved the frame's ends. */
			h.data = xdp.data;
			h.len = xdp.data_end - xdp.data;
			b->kq->held[ntx++] = h;
			continue;
		case XDP_REDIRECT:
			t.stats[KSNET_XDP_REDIRECT]++;
			if (!xdp_do_redirect(kn->dev, &xdp, b->prog)) {
				redirected = true;
				continue;
			}
			trace_xdp_exception(kn->dev, b->prog, act);
			break;
		default:
			bpf_warn_invalid_xdp_action(kn->dev, b->prog, act);
			fallthrough;
		case XDP_ABORTED:
			trace_xdp_exception(kn->dev, b->prog, act);
			fallthrough;
		case XDP_DROP:
			break;
		}
		t.stats[KSNET_XDP_DROP]++;
		put_page(h.page);
	}
	b->nheld = 0;
	if (redirected)
		xdp_do_flush();
	xdp_finish(b, ntx, &t);
}

int ksnet_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		   u32 flags)
{
	struct ksnet *kn = netdev_priv(dev);
	struct kb_net *net = &kn->io->net;
	unsigned int pair;
	int i, sent = 0;

	if (flags & ~XDP_XMIT_FLAGS_MASK)
		return -EINVAL;
	spin_lock_bh(&kn->io->net_lock);
	/* Down: what a devmap still held for it goes no further. */
	if (!netif_running(dev)) {
		kn->xdp_stats[KSNET_XDP_XMIT_DROPS] += n;
		kspawn_io_net_unlock_bh(kn->io);
		return -ENETDOWN;
	}
	/* A pair per host CPU, as the stack's XPS would pick. */
	pair = kb_net_pair_for(net, smp_processor_id());
	for (i = 0; i < n; i++) {
		/*
		 * A multi-buffer frame (devmap hands them to any driver):
		 * its len is the linear part only; not sent, as one that
		 * does not fit.
		 */
		if (xdp_frame_has_frags(frames[i]) ||
		    kb_net_rx(net, pair, frames[i]->data, frames[i]->len, NULL))
			break;
		sent++;
	}
	kn->xdp_stats[KSNET_XDP_XMIT] += sent;
	kn->xdp_stats[KSNET_XDP_XMIT_DROPS] += n - sent;
	if (sent) {
		kb_net_rx_flush(net, pair);
		ksnet_sent(kn);
	}
	kspawn_io_net_unlock_bh(kn->io);
	/* Copied: ours to give back; the caller frees those not sent. */
	for (i = 0; i < sent; i++)
		xdp_return_frame(frames[i]);
	return sent;
}

int ksnet_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	struct ksnet *kn = netdev_priv(dev);
	struct bpf_prog *old;

	if (bpf->command != XDP_SETUP_PROG)
		return -EINVAL;
	if (bpf->prog && dev->mtu > KSNET_XDP_MTU) {
		NL_SET_ERR_MSG_MOD(bpf->extack, "MTU too large for XDP");
		return -EOPNOTSUPP;
	}
	old = rtnl_dereference(kn->xdp_prog);
	rcu_assign_pointer(kn->xdp_prog, bpf->prog);
	if (old)
		bpf_prog_put(old);
	return 0;
}

int ksnet_change_mtu(struct net_device *dev, int mtu)
{
	struct ksnet *kn = netdev_priv(dev);

	if (rtnl_dereference(kn->xdp_prog) && mtu > KSNET_XDP_MTU)
		return -EINVAL;
	dev->mtu = mtu;
	return 0;
}
