/*
 * The virtio-net driver's own state, shared by its two files: the device
 * and its queue pairs (kern/virtio_net.c: set-up, sending, interrupts and
 * polls) and the receive path that takes frames off a pair's receive
 * ring (kern/virtio_net_rx.c).  Not an interface for other code: the
 * driver's is kern/net.h.
 */
#ifndef KERN_VIRTIO_NET_H
#define KERN_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "abi/kspawn_abi.h"
#include "kern/net.h"
#include "kern/sync.h"
#include "kern/virtio.h"

#define PAIRS_MAX ((KSPAWN_MAX_QUEUES - 1) / 2)
#define RXQ(p) (2 * (p))
#define TXQ(p) (2 * (p) + 1)
#define HDR sizeof(struct virtio_net_hdr_v1)
#define BUF 2048
#define NBUF 64
#define MRG_BUF 1024		/* a receive buffer with MRG_RXBUF */
#define BIG (9 * 1024)		/* a frame over several buffers; more: dropped */

struct vnet_pair {
	struct spinlock lock, tx_lock;
	uint8_t *rx, *tx;		/* NBUF buffers of BUF bytes each */
	uint8_t tx_free[NBUF];		/* a stack of free tx buffer indices */
	int tx_top;
	int tx_unpublished;		/* added while held, not published */
	struct netif_queue_stats st;
	uint8_t *big;			/* BIG bytes */
	/* Said on the console that the device broke it (note_broken()). */
	uint8_t rx_broken_said;		/* under lock */
	uint8_t tx_broken_said;		/* under tx_lock */
};

struct vnet {
	struct virtio_dev dev;
	struct netif nif;
	int up;
	int mrg, guest_csum;		/* negotiated */
	unsigned int pairs;		/* in use: send() picks among them */
	unsigned int ready;		/* set up: interrupts and poll serve them */
	uint32_t rx_buf;		/* a receive buffer's size: BUF or MRG_BUF */
	uint32_t tx_max;		/* the longest frame send() takes */
	struct vnet_pair p[PAIRS_MAX];
};

extern struct vnet vnet;

/* A receive buffer (of vnet.rx_buf bytes) on p's ring, not yet published. */
void vnet_post_rx(struct vnet_pair *p, uint8_t *buf);

/*
 * One received frame, from its first buffer (len bytes, the device's
 * word), to the stack; its buffers back on the ring.  p->lock held.
 */
void vnet_rx_frame(struct vnet_pair *p, uint8_t *buf, uint32_t len);

#endif
