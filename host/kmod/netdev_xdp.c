// SPDX-License-Identifier: GPL-2.0
/*
 * Native XDP on ksnetN.
 *
 * With a program attached, the NAPI poll copies each frame the guest sends
 * into a page of its own (XDP_PACKET_HEADROOM in front, room for an skb's
 * shared info behind: frames up to KSNET_XDP_FRAME bytes, the MTU held
 * below it) and runs the program before any skb exists.  A partial
 * checksum is finished first: programs see whole frames, as virtio_net
 * gives them (it turns GUEST_CSUM off under XDP).  PASS builds the skb
 * around the page; TX puts the frame back into the guest's receive ring;
 * REDIRECT hands it on (flushed once net_lock is dropped, since it may
 * come back here through ndo_xdp_xmit); DROP and ABORTED free the page.
 *
 * ndo_xdp_xmit copies frames another device's program redirected here
 * into the guest's receive ring, in order, up to the first that does not
 * fit (the caller frees the rest, as the ndo requires).
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

static void pass(struct ksnet_batch *b, struct xdp_buff *xdp)
{
	struct net_device *dev = b->kn->dev;
	struct sk_buff *skb = build_skb(xdp->data_hard_start, PAGE_SIZE);

	if (!skb) {
		put_page(b->page);
		dev->stats.rx_dropped++;
		return;
	}
	skb_reserve(skb, xdp->data - xdp->data_hard_start);
	skb_put(skb, xdp->data_end - xdp->data);
	skb->protocol = eth_type_trans(skb, dev);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += skb->len + ETH_HLEN;
	__skb_queue_tail(&b->q, skb);
}

/* Serialised with the device (net_lock held, in the NAPI poll). */
void ksnet_xdp_run(struct ksnet_batch *b, void *buf, u32 len,
		   const struct kb_net_meta *m)
{
	struct ksnet *kn = b->kn;
	struct xdp_buff xdp;
	u32 act;

	if (m->csum == KB_NET_CSUM_PARTIAL)
		finish_csum(buf, len, m);
	xdp_init_buff(&xdp, PAGE_SIZE, &b->kq->xdp_rxq);
	xdp_prepare_buff(&xdp, page_address(b->page), XDP_PACKET_HEADROOM,
			 len, true);
	act = bpf_prog_run_xdp(b->prog, &xdp);
	switch (act) {
	case XDP_PASS:
		kn->xdp_stats[KSNET_XDP_PASS]++;
		pass(b, &xdp);
		return;
	case XDP_TX:
		/* Back on the pair it came on, if that is still in use. */
		kn->xdp_stats[KSNET_XDP_TX]++;
		if (kb_net_rx(&kn->io->net, b->pair, xdp.data,
			      xdp.data_end - xdp.data, NULL))
			kn->dev->stats.tx_dropped++;
		else
			b->xdp_tx = true;
		put_page(b->page);
		return;
	case XDP_REDIRECT:
		kn->xdp_stats[KSNET_XDP_REDIRECT]++;
		if (!xdp_do_redirect(kn->dev, &xdp, b->prog)) {
			b->redirected = true;
			return;
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
	kn->xdp_stats[KSNET_XDP_DROP]++;
	put_page(b->page);
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
	/* A pair per host CPU, as the stack's XPS would pick. */
	pair = kb_net_pair_for(net, smp_processor_id());
	for (i = 0; i < n; i++) {
		if (kb_net_rx(net, pair, frames[i]->data, frames[i]->len, NULL))
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
