/*
 * virtio-net driver, and the network driver's part of kern/net.h:
 * netif_first() brings up the first device.  Receive buffers are kept
 * posted and their frames handed to the stack (lib/net) from the queue's
 * interrupt; frames are sent by copy into one of NBUF transmit buffers.
 *
 * Locks: lock covers the receive ring, tx_lock the transmit ring and its
 * free buffers.  net_input() runs under lock, and may send (replies), so
 * send() takes tx_lock only.
 */
#include <string.h>
#include <linux/virtio_net.h>

#include "kern/console.h"
#include "kern/mm.h"
#include "kern/net.h"
#include "kern/sync.h"
#include "kern/virtio.h"

#define WANTED ((1ULL << VIRTIO_F_VERSION_1) | \
		(1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_NET_F_MAC) | \
		(1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_STATUS))
#define Q_RX 0
#define Q_TX 1
#define HDR sizeof(struct virtio_net_hdr_v1)
#define BUF 2048
#define NBUF 64

static struct {
	struct virtio_dev dev;
	struct netif nif;
	struct spinlock lock, tx_lock;
	uint8_t *rx, *tx;		/* NBUF buffers of BUF bytes each */
	uint8_t tx_free[NBUF];		/* a stack of free tx buffer indices */
	int tx_top;
	int up;
} vn;

static void post_rx(uint8_t *buf)
{
	struct virtq_buf in = { buf, BUF };

	virtq_add(&vn.dev.vq[Q_RX], NULL, 0, &in, 1, buf);
}

/* Sent frames' buffers back to the free stack; tx_lock held. */
static void reap_tx_locked(void)
{
	uint8_t *buf;

	while ((buf = virtq_get(&vn.dev.vq[Q_TX], NULL)))
		vn.tx_free[vn.tx_top++] = (uint8_t)((buf - vn.tx) / BUF);
}

static void reap_tx(void)
{
	uint64_t flags = spin_lock_irqsave(&vn.tx_lock);

	reap_tx_locked();
	spin_unlock_irqrestore(&vn.tx_lock, flags);
}

/* The stack's send: copy behind a zeroed header. */
static int send(struct netif *nif, const void *frame, size_t len)
{
	struct virtq_buf out;
	uint64_t flags;
	uint8_t *buf;
	int r = -1;

	(void)nif;
	if (len > BUF - HDR)
		return -1;
	flags = spin_lock_irqsave(&vn.tx_lock);
	if (!vn.tx_top)
		reap_tx_locked();
	if (!vn.tx_top)
		goto out;
	buf = vn.tx + (size_t)vn.tx_free[--vn.tx_top] * BUF;
	memset(buf, 0, HDR);
	memcpy(buf + HDR, frame, len);
	out = (struct virtq_buf){ buf, (uint32_t)(HDR + len) };
	if (virtq_add(&vn.dev.vq[Q_TX], &out, 1, NULL, 0, buf))
		goto out;	/* cannot happen: as many buffers as entries */
	if (virtq_publish(&vn.dev.vq[Q_TX]))
		virtio_kick(&vn.dev, Q_TX);
	r = 0;
out:
	spin_unlock_irqrestore(&vn.tx_lock, flags);
	return r;
}

/* Frames in, buffers back; lock held. */
static void reap_rx(void)
{
	int posted = 0;

	do {
		uint8_t *buf;
		uint32_t len;

		while ((buf = virtq_get(&vn.dev.vq[Q_RX], &len))) {
			if (len > HDR && len <= BUF)
				net_input(&vn.nif, buf + HDR, len - HDR);
			post_rx(buf);
			posted = 1;
		}
	} while (virtq_arm(&vn.dev.vq[Q_RX]));
	if (posted && virtq_publish(&vn.dev.vq[Q_RX]))
		virtio_kick(&vn.dev, Q_RX);
	reap_tx();
}

static void on_irq(struct virtio_dev *d, unsigned int q)
{
	(void)d;
	(void)q;
	spin_lock(&vn.lock);
	reap_rx();
	spin_unlock(&vn.lock);
}

/* The interface's poll: serve received frames now. */
static void poll(struct netif *nif)
{
	uint64_t flags = spin_lock_irqsave(&vn.lock);

	(void)nif;
	reap_rx();
	spin_unlock_irqrestore(&vn.lock, flags);
}

static int alloc_buffers(void)
{
	uint8_t *pages = page_alloc(2 * NBUF * BUF / PAGE_SIZE);

	if (!pages)
		return -1;
	vn.rx = pages;
	vn.tx = pages + NBUF * BUF;
	for (int i = 0; i < NBUF; i++)
		vn.tx_free[i] = (uint8_t)i;
	vn.tx_top = NBUF;
	return 0;
}

static void vnet_init(void)
{
	spin_init(&vn.lock);
	spin_init(&vn.tx_lock);
	if (virtio_open(&vn.dev, VIRTIO_ID_NET, WANTED) || alloc_buffers() ||
	    virtio_queue(&vn.dev, Q_RX, NBUF, on_irq) ||
	    virtio_queue(&vn.dev, Q_TX, NBUF, on_irq))
		return;
	virtio_config(&vn.dev, offsetof(struct virtio_net_config, mac),
		      vn.nif.mac, sizeof(vn.nif.mac));
	vn.nif.send = send;
	vn.nif.poll = poll;
	for (int i = 0; i < NBUF; i++)
		post_rx(vn.rx + (size_t)i * BUF);
	virtq_publish(&vn.dev.vq[Q_RX]);
	virtio_ready(&vn.dev);
	vn.up = 1;
	kprintf("virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, %s rings\n",
		vn.nif.mac[0], vn.nif.mac[1], vn.nif.mac[2], vn.nif.mac[3],
		vn.nif.mac[4], vn.nif.mac[5],
		vn.dev.vq[Q_RX].packed ? "packed" : "split");
}

struct netif *netif_first(void)
{
	if (!vn.up)
		vnet_init();
	return vn.up ? &vn.nif : NULL;
}
