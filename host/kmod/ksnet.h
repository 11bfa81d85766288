/* SPDX-License-Identifier: GPL-2.0 */
/* ksnetN's private state, shared by the netdev*.c files. */
#ifndef KSPAWN_KSNET_H
#define KSPAWN_KSNET_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/xdp.h>

#include "backend/net.h"

struct kspawn_io;
struct bpf_prog;

#define KSNET_PAIRS_INTERVAL (HZ / 10)

/* XDP counters, in ethtool -S's order. */
enum {
	KSNET_XDP_PASS, KSNET_XDP_DROP, KSNET_XDP_TX, KSNET_XDP_TX_DROPS,
	KSNET_XDP_REDIRECT, KSNET_XDP_XMIT, KSNET_XDP_XMIT_DROPS,
	KSNET_XDP_STATS
};

/* A frame for the program: copied under net_lock, run once it is dropped. */
struct ksnet_xdp_held {
	struct page *page;
	void *data;			/* the frame, in page */
	u32 len;
	struct kb_net_meta meta;
};

/*
 * One queue pair seen from ksnetN: its receive side (NAPI, XDP) is the
 * guest's transmit queue of the pair, its transmit queue of the same
 * index the guest's receive queue.
 */
struct ksnet_queue {
	struct ksnet *kn;
	struct napi_struct napi;
	struct xdp_rxq_info xdp_rxq;
	unsigned long rung;		/* bit 0: the doorbell scheduled us */
	bool worked;			/* the poll's: frames since that ring */
	/* Under net_lock. */
	u32 unpublished, unpublished_bytes;	/* BQL: sent, not yet flushed */
	bool txq_held;			/* its host queue stopped for buffers */
	u64 polls;
	/* The poll's own (NAPI runs one at a time): frames for XDP. */
	struct ksnet_xdp_held held[NAPI_POLL_WEIGHT];
};

struct ksnet {
	struct kspawn_io *io;
	struct net_device *dev;
	u32 id;				/* the instance's */
	struct bpf_prog __rcu *xdp_prog;	/* native XDP (rtnl to set) */
	/*
	 * real_num_tx_queues follows the guest's pairs (rtnl: a work), at
	 * most once per KSNET_PAIRS_INTERVAL: a guest that keeps setting
	 * pairs must not keep the host's rtnl_lock busy.
	 */
	struct delayed_work pairs_work;
	unsigned long pairs_ran;	/* jiffies, the work's last run */
	u64 pairs_resizes;		/* queue counts the work changed */
	/* Under net_lock. */
	u32 dirty;			/* bit p: pair p has frames to publish */
	u64 stops, wakes;		/* host queues held for buffers, let go */
	u64 xdp_stats[KSNET_XDP_STATS];
	struct ksnet_queue q[KB_NET_PAIRS_MAX];
};

/* One NAPI poll's frames, taken under net_lock; skbs go to GRO after it. */
struct ksnet_batch {
	struct ksnet *kn;
	struct ksnet_queue *kq;
	unsigned int pair;		/* XDP_TX: back on this pair (in use) */
	struct bpf_prog *prog;		/* XDP: frames into pages first */
	struct sk_buff *skb;		/* the one alloc gave, deliver takes */
	struct page *page;		/* ... or the page, with a program */
	unsigned int nheld;		/* frames in kq->held */
	struct sk_buff_head q;
};

/* netdev.c */
void ksnet_sent(struct ksnet *kn);

/* netdev_rx.c */
int ksnet_poll(struct napi_struct *napi, int budget);
int ksnet_guest_tx_ready(void *ctx, unsigned int pair);

/* netdev_xdp.c */
int ksnet_xdp_init(struct ksnet_queue *kq, u32 index);
void ksnet_xdp_fini(struct ksnet_queue *kq);
void *ksnet_xdp_alloc(struct ksnet_batch *b, u32 len);
void ksnet_xdp_hold(struct ksnet_batch *b, u32 len,
		    const struct kb_net_meta *m);
void ksnet_xdp_run(struct ksnet_batch *b);
int ksnet_bpf(struct net_device *dev, struct netdev_bpf *bpf);
int ksnet_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		   u32 flags);
int ksnet_change_mtu(struct net_device *dev, int mtu);

/* netdev_ethtool.c */
extern const struct ethtool_ops ksnet_ethtool_ops;

#endif
