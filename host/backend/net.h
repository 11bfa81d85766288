/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * virtio-net device.  Queues: receive and transmit of each queue pair
 * (2i, 2i + 1), then ctrl (2 * KB_NET_PAIRS_MAX, which is 2 when MQ is not
 * negotiated as long as there is one pair).  Config: MAC, MTU, link status
 * and the number of pairs.  Offers checksum offload both ways (CSUM,
 * GUEST_CSUM), mergeable receive buffers (MRG_RXBUF), MQ, and the ctrl
 * queue's MAC_ADDR_SET and MQ_VQ_PAIRS_SET.  No segmentation offload: the
 * guest's stack has no TCP, so nothing could test it.
 *
 * Pairs (MQ): the guest sets how many it uses (kb_net_pairs), only
 * pairs whose two queues it set up; the host steers each frame for the
 * guest to one of them (kb_net_pair_for a flow's hash) and takes frames
 * from every pair; the platform hears of a change (ops.pairs_changed).
 * Without MQ only pair 0 is served, whatever other queues a guest sets up.
 *
 * In loopback mode a frame the guest sends to its own MAC, to broadcast
 * or to a multicast address comes back on the receive queue of the same
 * pair, as vdpa_sim_net does; others are dropped and counted.  One the
 * receive queue has no buffers for stays in the transmit ring, with the
 * frames after it, until buffers come (vdpa_sim_net drops it): a slow
 * receiver slows its sender, it loses nothing.  In host
 * mode the platform (the module's ksnetN) takes the guest's frames with
 * kb_net_tx_poll() when ops.tx_ready says there are some (or when the
 * guest's kick on a transmit queue, which the platform owns, says so),
 * and brings frames in with kb_net_rx().
 *
 * What the guest writes is read once and checked: a transmitted frame's
 * header (flags, GSO type, checksum start and offset against the frame's
 * length) and its length; a frame that fails is dropped and counted in
 * tx_errors, as Linux's tun does, without breaking the device.
 */
#ifndef KB_NET_H
#define KB_NET_H

#include <linux/virtio_net.h>

#include "device.h"

#define KB_NET_HDR ((uint32_t)sizeof(struct virtio_net_hdr_v1))
#define KB_NET_MTU 1500			/* a new ksnetN's MTU */
#define KB_NET_MTU_MAX 9000		/* the device's (config mtu) */
#define KB_NET_FRAME_MAX (KB_NET_MTU_MAX + 14 + 4)	/* a VLAN tag */
/* ctrl takes the last queue of the slot */
#define KB_NET_PAIRS_MAX ((KSPAWN_MAX_QUEUES - 1) / 2)
#define KB_NET_QUEUE_MAX 256		/* entries a queue may have */
/* Buffers one received frame may take with MRG_RXBUF; more: dropped. */
#define KB_NET_RX_BUFS 64

enum kb_net_mode { KB_NET_LOOPBACK, KB_NET_HOST };

/* A frame's checksum, either way (virtio_net_hdr's flags). */
enum kb_net_csum {
	KB_NET_CSUM_NONE,		/* whole, as it is (or not checked) */
	KB_NET_CSUM_PARTIAL,		/* to be summed from start into offset */
	KB_NET_CSUM_VALID,		/* checked already */
};

struct kb_net_meta {
	enum kb_net_csum csum;
	uint16_t csum_start, csum_offset;	/* PARTIAL: from the frame's start */
};

struct kb_net_ops {
	/*
	 * Host mode, from kb_device_poll(): transmit queue of pair has
	 * frames; the platform calls kb_net_tx_poll() for it (soon, and
	 * serialised with kb_device_poll()).  Returns 1 if that is new work.
	 */
	int (*tx_ready)(void *ctx, unsigned int pair);
	/* Host mode: pair's receive queue has buffers again (see kb_net_rx). */
	void (*rx_room)(void *ctx, unsigned int pair);
	/*
	 * Optional: the pairs in use changed (MQ_VQ_PAIRS_SET, or a reset
	 * back to 1), from kb_device_poll().
	 */
	void (*pairs_changed)(void *ctx, unsigned int pairs);
};

struct kb_net_pair_stats {
	uint64_t tx_packets, tx_bytes, tx_errors;	/* from the guest */
	uint64_t tx_dropped;		/* from it, the host had no room */
	uint64_t rx_packets, rx_bytes, rx_dropped;	/* to the guest */
	uint64_t rx_no_buf;		/* kb_net_rx() found no buffer */
};

struct kb_net {
	struct kb_device dev;
	enum kb_net_mode mode;
	const struct kb_net_ops *nops;
	void *nctx;
	uint8_t mac[6];
	uint16_t pairs;			/* in use: 1, or MQ_VQ_PAIRS_SET's */
	uint64_t pairs_sets;		/* MQ_VQ_PAIRS_SET commands taken */
	uint32_t rx_waiting;		/* bit i: pair i's rx waits for buffers */
	struct kb_vq_pos rx_wait_at[KB_NET_PAIRS_MAX];	/* ... beyond here */
	unsigned int loop_pair;		/* loopback: the pair being served */
	int loop_held;			/* loopback: the last frame had no room */
	struct kb_chain rx_first, rx_chain;	/* scratch for receiving */
	struct {
		uint16_t head, ndesc;
		uint32_t in_len, len;
	} rx_used[KB_NET_RX_BUFS];	/* the buffers of one received frame */
	uint8_t frame[KB_NET_FRAME_MAX];	/* a copy we may write */
	struct kb_net_pair_stats stats[KB_NET_PAIRS_MAX];
	uint64_t tx_filtered;		/* loopback: to another MAC, dropped */
};

void kb_net_init(struct kb_net *n, struct kspawn_device *slot,
		 const struct kb_region *r, const struct kb_device_ops *ops,
		 void *ctx, enum kb_net_mode mode, const struct kb_net_ops *nops,
		 void *nctx, const uint8_t mac[6]);

/*
 * A frame for the guest on pair's receive queue: 0; -ENOSPC if the guest
 * has posted too few buffers for it, or posted none since a frame before
 * it found too few (frames wait in order; nothing taken; ops.rx_room is
 * called once buffers come: a caller that stops its queue on -ENOSPC
 * wakes it there); -EINVAL if it cannot be delivered at all (link down, too long,
 * a buffer with nothing writable: dropped and counted).  m may be NULL.
 * A partial checksum goes to the guest as such if it negotiated
 * GUEST_CSUM; otherwise the device completes it.  The guest sees the
 * frame at kb_net_rx_flush() (batches: one index update, one interrupt).
 * Callers serialise it with kb_device_poll() on the same device.
 */
int kb_net_rx(struct kb_net *n, unsigned int pair, const uint8_t *frame,
	      uint32_t len, const struct kb_net_meta *m);
void kb_net_rx_flush(struct kb_net *n, unsigned int pair);

/*
 * Host mode: up to budget frames from pair's transmit queue.  For each
 * valid one, alloc(ctx, len) gives a host buffer of len bytes (NULL:
 * dropped), the frame is copied into it and deliver(ctx, buf, len, meta)
 * gets it.  Invalid ones are counted and returned.  Returns the chains
 * taken (budget: there may be more).  Serialised like kb_net_rx().
 */
struct kb_net_sink {
	void *(*alloc)(void *ctx, uint32_t len);
	void (*deliver)(void *ctx, void *buf, uint32_t len,
			const struct kb_net_meta *m);
	/* Optional: after the last deliver, before completions are seen. */
	void (*flush)(void *ctx);
	/*
	 * Optional: after a deliver, 1 if the sink could not take that
	 * frame yet (loopback: the receive ring has no room for it).  The
	 * frame then stays in the transmit ring, with those after it, and
	 * the poll ends: the sink says when to poll again.
	 */
	int (*held)(void *ctx);
};

int kb_net_tx_poll(struct kb_net *n, unsigned int pair, int budget,
		   const struct kb_net_sink *sink, void *ctx);

/*
 * Host mode: kicks on a pair's transmit queue for the platform's own poll
 * of it (NAPI: on when a poll completes, off while one runs).  _on
 * returns 1 if frames came before the request could be seen: poll again.
 */
int kb_net_tx_kicks_on(struct kb_net *n, unsigned int pair);
void kb_net_tx_kicks_off(struct kb_net *n, unsigned int pair);

/* The transmit queues' bits in a mask of queue numbers (kb_device_notified). */
uint32_t kb_net_tx_queues(void);

/*
 * Pairs in use: 1 until the guest negotiated MQ and set more with
 * MQ_VQ_PAIRS_SET (only with every one of their queues set up).  Frames
 * for the guest go to pairs below it (virtio 1.x, 5.1.6.5.5); kb_net_rx()
 * refuses the others.  Its transmit queues are all served, so that frames
 * queued before a change are not stranded.
 */
static inline unsigned int kb_net_pairs(const struct kb_net *n)
{
	return n->pairs;
}

/* The pair in use a flow (its hash, or a host queue's index) goes to. */
static inline unsigned int kb_net_pair_for(const struct kb_net *n,
					   uint32_t hash)
{
	return hash % n->pairs;
}

/* The pairs' counters summed. */
void kb_net_totals(const struct kb_net *n, struct kb_net_pair_stats *t);

/* Is the guest's driver up (DRIVER_OK accepted)? */
int kb_net_up(const struct kb_net *n);

/* Negotiated VIRTIO_NET_F_* bit? */
static inline int kb_net_has(const struct kb_net *n, unsigned int bit)
{
	return !!(n->dev.features & (1ULL << bit));
}

/* The queues of pair p (virtio 1.x, 5.1.2): receive 2p, transmit 2p + 1. */
#define KB_NET_RXQ(p) (2 * (p))
#define KB_NET_TXQ(p) (2 * (p) + 1)

/*
 * Pairs whose transmit queues are served: every one with MQ, the first
 * only without (its queue 2 is ctrl, whatever else a guest set up).
 */
static inline unsigned int kb_net_served_pairs(const struct kb_net *n)
{
	return kb_net_has(n, VIRTIO_NET_F_MQ) ? KB_NET_PAIRS_MAX : 1;
}

/* Is a partial checksum's field inside the frame, after the MAC header? */
static inline int kb_net_csum_fits(uint32_t len, uint32_t start,
				   uint32_t offset)
{
	return start >= 14 && start < len && offset + 2 <= len - start;
}

/* Size of a live queue (0 if not set up), for ethtool's ring sizes. */
static inline uint16_t kb_net_queue_size(const struct kb_net *n,
					 unsigned int q)
{
	return n->dev.live ? n->dev.vq[q].size : 0;
}

#endif
