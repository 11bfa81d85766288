// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <linux/virtio_ids.h>

#include "net.h"

#define TX_QUEUES (0xaaaaaaaaU & ((1U << (2 * KB_NET_PAIRS_MAX)) - 1))
#define F(bit) (1ULL << (bit))

/*
 * Rewrite the config as a seqlock writer (ABI: config_generation): the
 * generation odd before the first byte changes, even again after the
 * last, so a driver whose reads overlap the rewrite sees it odd or
 * changed and reads again; bumped only after, a driver that read it
 * before and after its torn bytes, both before the bump, saw no change.
 */
static void set_config(struct kb_net *n)
{
	struct virtio_net_config cfg = {
		.status = VIRTIO_NET_S_LINK_UP,
		.max_virtqueue_pairs = KB_NET_PAIRS_MAX,
		.mtu = KB_NET_MTU_MAX,
	};
	uint32_t gen = KB_READ(n->dev.slot->config_generation) | 1;

	memcpy(cfg.mac, n->mac, 6);
	KB_WRITE(n->dev.slot->config_generation, gen);
	kb_wmb();			/* odd before any byte changes */
	memcpy(n->dev.slot->config, &cfg, sizeof(cfg));
	kb_wmb();			/* every byte before even again */
	KB_WRITE(n->dev.slot->config_generation, gen + 1);
}

/* Without MQ the ctrl queue follows the first pair (virtio 1.x, 5.1.2). */
static unsigned int ctrl_queue(const struct kb_net *n)
{
	return kb_net_has(n, VIRTIO_NET_F_MQ) ? 2 * KB_NET_PAIRS_MAX : 2;
}

/* Are both queues of pair p set up? */
static int pair_live(const struct kb_net *n, unsigned int p)
{
	return n->dev.vq[KB_NET_RXQ(p)].size && n->dev.vq[KB_NET_TXQ(p)].size;
}

/*
 * A pair going out of use no longer waits for buffers: whoever waited on
 * it (a stopped host queue) hears rx_room, and finds the pairs changed.
 */
static void set_pairs(struct kb_net *n, uint16_t pairs)
{
	uint32_t gone = n->rx_waiting & ~((1U << pairs) - 1);

	if (pairs == n->pairs)
		return;
	n->pairs = pairs;
	n->rx_waiting &= ~gone;
	for (unsigned int p = pairs; p < KB_NET_PAIRS_MAX; p++)
		if ((gone & (1U << p)) && n->nops && n->nops->rx_room)
			n->nops->rx_room(n->nctx, p);
	if (n->nops && n->nops->pairs_changed)
		n->nops->pairs_changed(n->nctx, pairs);
}

int kb_net_up(const struct kb_net *n)
{
	return n->dev.live && !n->dev.broken;
}

/*
 * The Internet checksum of frame[start..len) (RFC 1071), as stored: the
 * field it lands in holds the pseudo-header's sum already (a partial
 * checksum, as Linux's CHECKSUM_PARTIAL and virtio's NEEDS_CSUM leave it).
 * 0 goes out as 0xffff, its other form, which UDP needs (RFC 768).
 */
static void csum_complete(uint8_t *frame, uint32_t len, uint16_t start,
			  uint16_t offset)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = start; i + 1 < len; i += 2)
		sum += (uint32_t)frame[i] << 8 | frame[i + 1];
	if (i < len)
		sum += (uint32_t)frame[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (!sum)
		sum = 0xffff;
	frame[start + offset] = (uint8_t)(sum >> 8);
	frame[start + offset + 1] = (uint8_t)sum;
}

static void give_back(struct kb_net *n, unsigned int q, uint32_t nbuf)
{
	for (uint32_t i = 0; i < nbuf; i++) {
		n->rx_chain.head = n->rx_used[i].head;
		n->rx_chain.ndesc = n->rx_used[i].ndesc;
		/* In order, a chain written in full may go unnamed. */
		n->rx_chain.in_len = n->rx_used[i].in_len;
		kb_device_push(&n->dev, q, &n->rx_chain, n->rx_used[i].len);
	}
}

/* Pair p's wait for buffers is over: no kicks, its senders may go on. */
static void rx_wait_over(struct kb_net *n, unsigned int p)
{
	n->rx_waiting &= ~(1U << p);
	kb_vq_kicks_off(&n->dev.vq[KB_NET_RXQ(p)]);
	if (n->nops && n->nops->rx_room)
		n->nops->rx_room(n->nctx, p);
}

/*
 * Too few buffers: give them back and wait for one beyond them (kicks for
 * it before the device sleeps: net_kicks_on).
 */
static int no_room(struct kb_net *n, unsigned int pair,
		   const struct kb_vq_pos *pos)
{
	struct kb_vq *vq = &n->dev.vq[KB_NET_RXQ(pair)];

	kb_vq_save(vq, &n->rx_wait_at[pair]);
	kb_vq_rewind(vq, pos);
	n->stats[pair].rx_no_buf++;
	n->rx_waiting |= 1U << pair;
	return -ENOSPC;
}

/*
 * Take buffers until hdr + len bytes fit (one buffer without MRG_RXBUF),
 * copying the frame in as they come; a buffer's used length is what went
 * into it.  The header, with num_buffers, goes into the first at the end.
 * Returns the buffers taken, -ENOSPC (all given back to the ring) or
 * -EINVAL (the ones taken returned empty: unusable buffers).
 */
static int fill(struct kb_net *n, unsigned int pair, const uint8_t *frame,
		uint32_t len, const struct kb_vq_pos *pos)
{
	unsigned int q = KB_NET_RXQ(pair);
	int mrg = kb_net_has(n, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t nbuf = 0, done = 0, cap = mrg ? KB_NET_RX_BUFS : 1;
	uint32_t slots = 0;	/* ring slots the buffers taken hold */

	/*
	 * No more buffers than the ring holds: a frame needing more can
	 * never fit, and waiting for one more would wait for ever.
	 */
	if (cap > n->dev.vq[q].size)
		cap = n->dev.vq[q].size;

	while (done < len) {
		struct kb_chain *c = nbuf ? &n->rx_chain : &n->rx_first;
		uint32_t skip = nbuf ? 0 : KB_NET_HDR, room, put;
		int r;

		if (nbuf == cap)
			goto unusable;
		r = kb_device_pop(&n->dev, q, c);
		if (r < 0)
			return -EINVAL;
		/*
		 * Out of buffers with every slot of the ring in those taken
		 * (buffers of several descriptors each): no more can come
		 * until these are used, so this frame can never fit.
		 */
		if (!r && slots >= n->dev.vq[q].size)
			goto unusable;
		if (!r)
			return no_room(n, pair, pos);
		slots += c->ndesc;
		n->rx_used[nbuf].head = c->head;
		n->rx_used[nbuf].ndesc = c->ndesc;
		n->rx_used[nbuf].in_len = c->in_len;
		n->rx_used[nbuf].len = 0;
		nbuf++;
		if (c->in_len <= skip || (!mrg && c->in_len < skip + len))
			goto unusable;
		room = c->in_len - skip;
		put = room < len - done ? room : len - done;
		kb_chain_write(c, skip, frame + done, put);
		n->rx_used[nbuf - 1].len = skip + put;
		done += put;
	}
	return (int)nbuf;
unusable:
	/* Nothing writable, no room for the header, too small or too many. */
	for (uint32_t i = 0; i < nbuf; i++)
		n->rx_used[i].len = 0;
	give_back(n, q, nbuf);
	kb_device_kick(&n->dev, q);
	return -EINVAL;
}

int kb_net_rx(struct kb_net *n, unsigned int pair, const uint8_t *frame,
	      uint32_t len, const struct kb_net_meta *m)
{
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	enum kb_net_csum csum = m ? m->csum : KB_NET_CSUM_NONE;
	int guest_csum = kb_net_has(n, VIRTIO_NET_F_GUEST_CSUM);
	struct kb_net_pair_stats *st;
	struct kb_vq_pos pos;
	int nbuf;

	if (pair >= n->pairs)
		return -EINVAL;
	st = &n->stats[pair];
	if (!kb_net_up(n) || !n->dev.vq[KB_NET_RXQ(pair)].size || len < 14 ||
	    len > KB_NET_FRAME_MAX ||
	    (csum == KB_NET_CSUM_PARTIAL &&
	     !kb_net_csum_fits(len, m->csum_start, m->csum_offset))) {
		st->rx_dropped++;
		return -EINVAL;
	}
	if (csum == KB_NET_CSUM_PARTIAL && guest_csum) {
		hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr.csum_start = m->csum_start;
		hdr.csum_offset = m->csum_offset;
	} else if (csum == KB_NET_CSUM_PARTIAL) {
		/* Ours to finish; never in the caller's buffer. */
		if (frame != n->frame)
			memcpy(n->frame, frame, len);
		frame = n->frame;
		csum_complete(n->frame, len, m->csum_start, m->csum_offset);
	} else if (csum == KB_NET_CSUM_VALID && guest_csum) {
		hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	/*
	 * Frames wait in order: while the ring has nothing beyond what the
	 * last frame found too little, the next waits too, without a walk.
	 * Walking it again per frame let a guest posting many tiny buffers
	 * make each frame cost the host 64 chains under the net lock.
	 */
	if ((n->rx_waiting & (1U << pair)) &&
	    !kb_vq_has_avail_at(&n->dev.vq[KB_NET_RXQ(pair)], &n->rx_wait_at[pair])) {
		st->rx_no_buf++;
		return -ENOSPC;
	}
	kb_vq_save(&n->dev.vq[KB_NET_RXQ(pair)], &pos);
	nbuf = fill(n, pair, frame, len, &pos);
	if (nbuf == -EINVAL) {
		st->rx_dropped++;
		/*
		 * Dropped while the pair waited: the buffers it found, the
		 * one its mark names among them maybe, went back empty.  The
		 * wait ends as if the frame had fitted (below), or the packed
		 * mark would name a used slot for good.
		 */
		if (n->rx_waiting & (1U << pair))
			rx_wait_over(n, pair);
	}
	if (nbuf < 0)
		return nbuf;
	hdr.num_buffers = (uint16_t)nbuf;
	kb_chain_write(&n->rx_first, 0, &hdr, KB_NET_HDR);
	give_back(n, KB_NET_RXQ(pair), (uint32_t)nbuf);
	st->rx_packets++;
	st->rx_bytes += len;
	/*
	 * It fitted while the pair waited: buffers came before the device
	 * thread looked (rx_refilled).  The wait is over, and its mark is
	 * stale: in a packed ring it names a slot this frame just used,
	 * which would never look available again, and the pair would
	 * refuse every frame for good.
	 */
	if (n->rx_waiting & (1U << pair))
		rx_wait_over(n, pair);
	return 0;
}

void kb_net_rx_flush(struct kb_net *n, unsigned int pair)
{
	if (pair < n->pairs && n->dev.vq[KB_NET_RXQ(pair)].size)
		kb_device_kick(&n->dev, KB_NET_RXQ(pair));
}

/* Loopback: vdpa_sim_net's filter, ours, broadcast or multicast. */
static void *loop_alloc(void *ctx, uint32_t len)
{
	(void)len;
	return ((struct kb_net *)ctx)->frame;
}

static void loop_deliver(void *ctx, void *buf, uint32_t len,
			 const struct kb_net_meta *m)
{
	struct kb_net *n = ctx;
	const uint8_t *f = buf;

	n->loop_held = 0;
	if (!memcmp(f, n->mac, 6) || (f[0] & 1))
		n->loop_held = kb_net_rx(n, n->loop_pair, f, len, m) == -ENOSPC;
	else
		n->tx_filtered++;
}

static void loop_flush(void *ctx)
{
	struct kb_net *n = ctx;

	kb_net_rx_flush(n, n->loop_pair);
}

/*
 * No room on the receive queue: the frame waits in the transmit ring
 * until the guest posts buffers (rx_waiting: net_kicks_on() asks for
 * that kick), as long as the guest lets it; its ring is the bound.
 */
static int loop_held(void *ctx)
{
	return ((struct kb_net *)ctx)->loop_held;
}

static const struct kb_net_sink loop_sink = {
	.alloc = loop_alloc,
	.deliver = loop_deliver,
	.flush = loop_flush,
	.held = loop_held,
};

static uint8_t control(struct kb_net *n, const struct kb_chain *c)
{
	uint8_t cmd[2 + 6];
	uint16_t pairs;

	if (c->out_len < 2 || kb_chain_read(c, 0, cmd, sizeof(cmd)) < 2)
		return VIRTIO_NET_ERR;
	if (cmd[0] == VIRTIO_NET_CTRL_MAC &&
	    cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET && c->out_len == 8 &&
	    kb_net_has(n, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
		memcpy(n->mac, cmd + 2, 6);
		set_config(n);
		return VIRTIO_NET_OK;
	}
	if (cmd[0] == VIRTIO_NET_CTRL_MQ &&
	    cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && c->out_len == 4 &&
	    kb_net_has(n, VIRTIO_NET_F_MQ)) {
		memcpy(&pairs, cmd + 2, 2);
		if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
		    pairs > KB_NET_PAIRS_MAX)
			return VIRTIO_NET_ERR;
		/* Never steer frames onto a queue the guest did not set up. */
		for (unsigned int p = 0; p < pairs; p++)
			if (!pair_live(n, p))
				return VIRTIO_NET_ERR;
		n->pairs_sets++;
		/*
		 * Frames a host transmit left on a pair going out of use for
		 * the next flush (xmit_more) are published now: the flush
		 * serves only pairs in use, so they would never be.
		 */
		for (unsigned int p = pairs; p < n->pairs; p++)
			kb_device_kick(&n->dev, KB_NET_RXQ(p));
		set_pairs(n, pairs);
		return VIRTIO_NET_OK;
	}
	return VIRTIO_NET_ERR;
}

/* A receive queue that waited for buffers and has some now. */
static int rx_refilled(struct kb_net *n, unsigned int p)
{
	if (!(n->rx_waiting & (1U << p)) ||
	    !kb_vq_has_avail_at(&n->dev.vq[KB_NET_RXQ(p)], &n->rx_wait_at[p]))
		return 0;
	rx_wait_over(n, p);
	return 1;
}

static int net_work(struct kb_device *d, int budget)
{
	struct kb_net *n = d->priv;
	unsigned int cq = ctrl_queue(n);
	int done = 0;

	/* Every pair waited on, set up in full or not: net_kicks_on's test. */
	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++)
		done += rx_refilled(n, p);
	/*
	 * Commands before frames: a transmit queue never empty (whose
	 * frames ksnetN drops while down, a poll's worth at a time) must not
	 * starve them, and a guest's driver waits for each ack.
	 */
	while (done < budget && d->vq[cq].size &&
	       kb_device_pop(d, cq, &d->chain) > 0) {
		uint8_t ack = d->chain.in_len ? control(n, &d->chain) :
				       VIRTIO_NET_ERR;

		/* The first writable byte (a result, if any, follows). */
		if (d->chain.in_len)
			kb_chain_write(&d->chain, 0, &ack, 1);
		kb_device_push(d, cq, &d->chain, d->chain.in_len ? 1 : 0);
		kb_device_kick(d, cq);
		done++;
	}
	for (unsigned int p = 0; p < kb_net_served_pairs(n); p++) {
		if (!pair_live(n, p))
			continue;
		if (n->mode == KB_NET_HOST) {
			if (kb_vq_has_avail(&d->vq[KB_NET_TXQ(p)]))
				done += n->nops->tx_ready(n->nctx, p);
			continue;
		}
		/* Back on the same pair while it is in use. */
		n->loop_pair = kb_net_pair_for(n, p);
		/* Its frames wait for that pair's buffers (loop_held()). */
		if (n->rx_waiting & (1U << n->loop_pair))
			continue;
		done += kb_net_tx_poll(n, p, budget - done > 0 ?
					     budget - done : 0,
				       &loop_sink, n);
	}
	return done;
}

/*
 * After a reset nothing waits for buffers any more; a host queue stopped
 * for them is woken (its next frame finds the link down, or waits again).
 */
static void net_reset(struct kb_device *d)
{
	struct kb_net *n = d->priv;
	uint32_t waiting = n->rx_waiting;

	n->rx_waiting = 0;
	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++)
		if ((waiting & (1U << p)) && n->nops && n->nops->rx_room)
			n->nops->rx_room(n->nctx, p);
	set_pairs(n, 1);
}

/*
 * Queue 2 is ctrl only without MQ; with MQ it is pair 1's receive queue,
 * whose posted buffers are not work: asking for its kicks would keep the
 * device thread from ever sleeping.  So ctrl's kicks are handled here,
 * where the negotiated features say which queue it is (and queue 16, ctrl
 * with MQ, is nothing without it).
 *
 * Whatever says "pending" here must be what net_work() takes, or a guest
 * keeps the thread from sleeping with work nobody does: a pair's transmit
 * queue only on a pair served and set up in full, a receive queue waited
 * on whichever pair it is.
 *
 * In host mode the transmit queues' kicks belong to the platform's poll
 * of them (kb_net_tx_kicks_on/off, NAPI's): the thread asks for them
 * before it sleeps, so that no frame waits for a look nobody takes, but
 * never turns them off, or a poll running elsewhere would miss a kick;
 * frames already there are handed to the platform (tx_ready), which says
 * whether the thread must stay awake for them.
 */
static int net_kicks_on(struct kb_device *d)
{
	struct kb_net *n = d->priv;
	int pending = kb_vq_kicks_on(&d->vq[ctrl_queue(n)]);

	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++) {
		if (n->rx_waiting & (1U << p))
			pending |= kb_vq_kicks_on_at(&d->vq[KB_NET_RXQ(p)],
						     &n->rx_wait_at[p]);
		if (p >= kb_net_served_pairs(n) || !pair_live(n, p))
			continue;
		/*
		 * Loopback frames held for the receive queue they go to: its
		 * kick (above) wakes us, theirs would keep us awake for
		 * nothing.
		 */
		if (n->mode == KB_NET_LOOPBACK &&
		    (n->rx_waiting & (1U << kb_net_pair_for(n, p))))
			continue;
		if (!kb_vq_kicks_on(&d->vq[KB_NET_TXQ(p)]))
			continue;
		if (n->mode == KB_NET_HOST)
			pending |= n->nops->tx_ready(n->nctx, p);
		else
			pending = 1;
	}
	return pending;
}

static void net_kicks_off(struct kb_device *d)
{
	struct kb_net *n = d->priv;

	kb_vq_kicks_off(&d->vq[ctrl_queue(n)]);

	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++) {
		if (n->rx_waiting & (1U << p))
			kb_vq_kicks_off(&d->vq[KB_NET_RXQ(p)]);
		if (n->mode == KB_NET_LOOPBACK)
			kb_vq_kicks_off(&d->vq[KB_NET_TXQ(p)]);
	}
}

/*
 * Only a pair kb_net_tx_poll() serves: a queue it would not take from
 * must never say "more" to a poll that re-arms and reschedules itself.
 */
int kb_net_tx_kicks_on(struct kb_net *n, unsigned int pair)
{
	if (pair >= kb_net_served_pairs(n) || !kb_net_up(n))
		return 0;
	return kb_vq_kicks_on(&n->dev.vq[KB_NET_TXQ(pair)]);
}

void kb_net_tx_kicks_off(struct kb_net *n, unsigned int pair)
{
	if (pair < kb_net_served_pairs(n) && kb_net_up(n))
		kb_vq_kicks_off(&n->dev.vq[KB_NET_TXQ(pair)]);
}

uint32_t kb_net_tx_queues(void)
{
	return TX_QUEUES;
}

/* virtio 1.x, 5.1.3.1: what each feature needs. */
static int net_features_ok(uint64_t f)
{
	if ((f & (F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_MAC_ADDR))) &&
	    !(f & F(VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	return 1;
}

/*
 * No kick_queues: which queue is ctrl depends on MQ, the transmit queues
 * are NAPI's in host mode, receive queues matter only when waited on;
 * net_kicks_on() and net_kicks_off() handle them all.
 */
static const struct kb_device_class net_class = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2 * KB_NET_PAIRS_MAX + 1,
	.queue_size_max = KB_NET_QUEUE_MAX,
	.features = F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_MAC) |
		    F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_CTRL_VQ) |
		    F(VIRTIO_NET_F_CTRL_MAC_ADDR) | F(VIRTIO_NET_F_CSUM) |
		    F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_MRG_RXBUF) |
		    F(VIRTIO_NET_F_MQ) | F(VIRTIO_F_IN_ORDER),
	.features_ok = net_features_ok,
	.kicks_on = net_kicks_on,
	.kicks_off = net_kicks_off,
	.work = net_work,
	.reset = net_reset,
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
	n->pairs = 1;
	memcpy(n->mac, mac, 6);
	kb_device_init(&n->dev, slot, r, &net_class, n, ops, ctx);
	set_config(n);
}

void kb_net_totals(const struct kb_net *n, struct kb_net_pair_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int p = 0; p < KB_NET_PAIRS_MAX; p++) {
		const struct kb_net_pair_stats *s = &n->stats[p];

		t->tx_packets += s->tx_packets;
		t->tx_bytes += s->tx_bytes;
		t->tx_errors += s->tx_errors;
		t->tx_dropped += s->tx_dropped;
		t->rx_packets += s->rx_packets;
		t->rx_bytes += s->rx_bytes;
		t->rx_dropped += s->rx_dropped;
		t->rx_no_buf += s->rx_no_buf;
	}
}
