// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The net device's transmit side: frames the guest sends, taken from its
 * transmit queues, checked, copied out and handed to a sink (ksnetN's
 * NAPI, or the loopback into the guest's own receive queue).
 */
#include "net.h"

/*
 * A transmitted frame's header (copied once) and length, checked: no GSO
 * (none offered), NEEDS_CSUM only if CSUM was negotiated and its field
 * lies inside the frame, DATA_VALID and RSC_INFO never (they describe
 * received frames; a driver must not send them).  Flag bits the device
 * does not know are ignored, as virtio 1.2 5.1.6.2.2 asks.
 */
static int tx_header(struct kb_net *n, const struct virtio_net_hdr_v1 *h,
		     uint32_t out_len, struct kb_net_meta *m, uint32_t *len)
{
	if (out_len < KB_NET_HDR + 14 ||
	    out_len - KB_NET_HDR > KB_NET_FRAME_MAX)
		return -1;
	*len = out_len - KB_NET_HDR;
	m->csum = KB_NET_CSUM_NONE;
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE ||
	    (h->flags & (VIRTIO_NET_HDR_F_DATA_VALID |
			 VIRTIO_NET_HDR_F_RSC_INFO)))
		return -1;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!kb_net_has(n, VIRTIO_NET_F_CSUM) ||
		    !kb_net_csum_fits(*len, h->csum_start, h->csum_offset))
			return -1;
		m->csum = KB_NET_CSUM_PARTIAL;
		m->csum_start = h->csum_start;
		m->csum_offset = h->csum_offset;
	}
	return 0;
}

/* A frame taken out of the guest's ring, copied, not yet delivered. */
struct tx_out {
	void *buf;			/* NULL: refused, or the host had no room */
	int refused;			/* the guest's fault: a tx error */
	uint32_t len;
	struct kb_net_meta m;
};

/* Copy a chain's frame out (any layout of segments). */
static void tx_chain(struct kb_net *n, const struct kb_chain *c,
		     const struct kb_net_sink *sink, void *ctx,
		     struct tx_out *o)
{
	struct virtio_net_hdr_v1 h;

	o->buf = NULL;
	o->refused = 1;
	if (c->out_len < KB_NET_HDR ||
	    kb_chain_read(c, 0, &h, KB_NET_HDR) != KB_NET_HDR ||
	    tx_header(n, &h, c->out_len, &o->m, &o->len))
		return;
	o->refused = 0;
	o->buf = sink->alloc(ctx, o->len);
	/*
	 * Whole, as the readable part is out_len (vq.c puts it first);
	 * were it ever short, no host bytes the sink left go out.
	 */
	if (o->buf) {
		uint32_t got = kb_chain_read(c, KB_NET_HDR, o->buf, o->len);

		if (got < o->len)
			memset((uint8_t *)o->buf + got, 0, o->len - got);
	}
}

/* The same for a chain of one buffer, from the batch take. */
static void tx_buf(struct kb_net *n, const struct kb_buf *b,
		   const struct kb_net_sink *sink, void *ctx,
		   struct tx_out *o)
{
	struct virtio_net_hdr_v1 h;

	o->buf = NULL;
	o->refused = 1;
	if (b->write || b->len < KB_NET_HDR)
		return;
	memcpy(&h, b->p, KB_NET_HDR);
	if (tx_header(n, &h, b->len, &o->m, &o->len))
		return;
	o->refused = 0;
	o->buf = sink->alloc(ctx, o->len);
	if (o->buf)
		memcpy(o->buf, b->p + KB_NET_HDR, o->len);
}

/*
 * Copied: now the frame goes to the host.  One the host had no room for
 * (its interface down, no memory) is the host's drop, not the guest's
 * error: a guest driver reading tx_errors looks for its own bug.
 * Returns 1 if the sink held it back (it stays in the ring, counted
 * when it goes).
 */
static int tx_deliver(struct kb_net_pair_stats *st, const struct tx_out *o,
		      const struct kb_net_sink *sink, void *ctx)
{
	if (!o->buf) {
		if (o->refused)
			st->tx_errors++;
		else
			st->tx_dropped++;
		return 0;
	}
	sink->deliver(ctx, o->buf, o->len, &o->m);
	if (sink->held && sink->held(ctx))
		return 1;
	st->tx_packets++;
	st->tx_bytes += o->len;
	return 0;
}

/* Frames of one buffer taken at once (kb_net_tx_poll()). */
#define TX_TAKE 16

/*
 * Frame k of a take of got was held: the take is given back to the
 * ring (rewound to pos) and its first k taken again and returned, the
 * rest left for the next poll.  Returns the chains returned.
 */
static int tx_keep_from(struct kb_device *d, unsigned int q,
			const struct kb_vq_pos *pos, struct kb_buf *b, int k)
{
	struct kb_buf sent[TX_TAKE];
	int again, i;

	kb_vq_rewind(&d->vq[q], pos);
	if (!k)
		return 0;
	memcpy(sent, b, k * sizeof(*b));
	/*
	 * Taken again, they must be the chains just delivered: the driver
	 * may not touch what it made available.  One it rewrote would be
	 * left in the ring and its frame delivered a second time.
	 */
	again = kb_device_pop_bufs(d, q, b, k);
	for (i = 0; i < again && i < k; i++)
		if (b[i].head != sent[i].head || b[i].p != sent[i].p ||
		    b[i].len != sent[i].len)
			break;
	if (again != k || i != k) {
		kb_device_violation(d, "transmit chains rewritten while held");
		return 0;
	}
	kb_device_push_bufs(d, q, b, again);
	return again;
}

/*
 * Frames of one buffer (what a driver that puts its header in front of
 * the frame sends) in takes of up to TX_TAKE, each read and checked once
 * (kb_vq_pop_bufs()); a longer chain when none of one buffer is first.
 * A sink takes one frame at a time (loopback's is one scratch buffer):
 * each is copied, then delivered, before the next; the buffers go back
 * to the guest at the kick, after the last delivery.  A frame the sink
 * holds back ends the poll with it and those after it still in the
 * ring (rewound: kb_vq_rewind()), taken again at a later poll.
 */
int kb_net_tx_poll(struct kb_net *n, unsigned int pair, int budget,
		   const struct kb_net_sink *sink, void *ctx)
{
	struct kb_device *d = &n->dev;
	struct kb_net_pair_stats *st;
	unsigned int q = KB_NET_TXQ(pair);
	struct kb_buf b[TX_TAKE];
	struct kb_vq_pos pos;
	struct tx_out o;
	int done = 0, got, k, held = 0;

	if (pair >= kb_net_served_pairs(n) || !kb_net_up(n))
		return 0;
	st = &n->stats[pair];
	while (done < budget && !held) {
		kb_vq_save(&d->vq[q], &pos);
		got = kb_device_pop_bufs(d, q, b, budget - done < TX_TAKE ?
					 budget - done : TX_TAKE);
		if (got > 0) {
			for (k = 0; k < got && !held; k++) {
				tx_buf(n, &b[k], sink, ctx, &o);
				held = tx_deliver(st, &o, sink, ctx);
			}
			if (held)
				got = tx_keep_from(d, q, &pos, b, k - 1);
			else
				kb_device_push_bufs(d, q, b, got);
		} else if (!got && kb_device_pop(d, q, &d->chain) > 0) {
			got = 1;
			tx_chain(n, &d->chain, sink, ctx, &o);
			held = tx_deliver(st, &o, sink, ctx);
			if (held) {
				kb_vq_rewind(&d->vq[q], &pos);
				got = 0;
			} else {
				kb_device_push(d, q, &d->chain, 0);
			}
		} else {
			break;
		}
		done += got;
	}
	/*
	 * What the frames brought first, then their completions: a driver
	 * that sees every transmit done may wait for the rest of its
	 * receive ring, not for these (Linux's enable_cb_delayed).
	 */
	if (sink->flush)
		sink->flush(ctx);
	if (done)
		kb_device_kick(d, KB_NET_TXQ(pair));
	return done;
}
