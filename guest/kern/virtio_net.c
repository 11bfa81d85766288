/*
 * virtio-net driver, and the network driver's part of kern/net.h:
 * netif_first() brings up the first device.  Receive buffers are kept
 * posted and their frames handed to the stack (lib/net) from the queue's
 * interrupt; frames are sent by copy into one of NBUF transmit buffers.
 *
 * Offloads: with MRG_RXBUF a frame may span num_buffers receive buffers
 * (the host's MTU may exceed a buffer); they are put together in big.
 * Receive buffers are then MRG_BUF bytes, as Linux's virtio_net sizes
 * them to the traffic rather than to the largest frame: a full-sized
 * frame takes two.
 * With GUEST_CSUM a frame the device marked DATA_VALID (checked) or
 * NEEDS_CSUM (never on a wire: the field holds the pseudo-header's sum)
 * goes to the stack with its UDP checksum not to be checked.  With CSUM
 * the stack leaves UDP checksums partial (netif.h, tx_csum_partial) and
 * the header says NEEDS_CSUM.  Without them frames are whole both ways
 * and a received one fits one buffer.
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
		(1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_STATUS) | \
		(1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
		(1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_CSUM))
#define Q_RX 0
#define Q_TX 1
#define HDR sizeof(struct virtio_net_hdr_v1)
#define BUF 2048
#define NBUF 64
#define MRG_BUF 1024		/* a receive buffer with MRG_RXBUF */
#define BIG (9 * 1024)		/* a frame over several buffers; more: dropped */

static struct {
	struct virtio_dev dev;
	struct netif nif;
	struct spinlock lock, tx_lock;
	uint8_t *rx, *tx;		/* NBUF buffers of BUF bytes each */
	uint8_t tx_free[NBUF];		/* a stack of free tx buffer indices */
	int tx_top;
	int up;
	int mrg, guest_csum;		/* negotiated */
	uint32_t rx_buf;		/* a receive buffer's size: BUF or MRG_BUF */
	uint64_t rx_bad;		/* frames the device sent malformed */
	uint8_t big[BIG];
} vn;

static void post_rx(uint8_t *buf)
{
	struct virtq_buf in = { buf, vn.rx_buf };

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
	if (vn.nif.tx_csum_partial) {
		struct virtio_net_hdr_v1 *h = (void *)buf;
		uint16_t start, offset;

		if (net_udp_partial(frame, len, &start, &offset)) {
			h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h->csum_start = start;
			h->csum_offset = offset;
		}
	}
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

/*
 * The rest of a frame over num_buffers buffers (MRG_RXBUF), after the
 * got bytes of the first, into big; every buffer goes back.  The device
 * publishes a frame's buffers together, so they are all there.
 */
static size_t rx_rest(size_t got, unsigned int nbuf)
{
	int bad = got > BIG;

	for (unsigned int i = 1; i < nbuf; i++) {
		uint32_t len;
		uint8_t *buf = virtq_get(&vn.dev.vq[Q_RX], &len);

		if (!buf)
			return 0;
		if (len > vn.rx_buf || got + len > BIG)
			bad = 1;
		else
			memcpy(vn.big + got, buf, len);
		got += len;
		post_rx(buf);
	}
	return bad ? 0 : got;
}

/* One received frame, from its first buffer; the buffers go back. */
static void rx_frame(uint8_t *buf, uint32_t len)
{
	struct virtio_net_hdr_v1 h;
	unsigned int flags = 0, nbuf;
	size_t got;

	if (len <= HDR || len > vn.rx_buf) {
		vn.rx_bad++;
		post_rx(buf);
		return;
	}
	memcpy(&h, buf, HDR);		/* read once */
	if (vn.guest_csum && (h.flags & (VIRTIO_NET_HDR_F_DATA_VALID |
					 VIRTIO_NET_HDR_F_NEEDS_CSUM)))
		flags = NET_RX_L4_CSUM_OK;
	nbuf = vn.mrg ? h.num_buffers : 1;
	if (nbuf <= 1) {
		net_input_flags(&vn.nif, buf + HDR, len - HDR, flags);
		post_rx(buf);
		return;
	}
	got = len - HDR;
	memcpy(vn.big, buf + HDR, got);
	post_rx(buf);
	got = nbuf <= NBUF ? rx_rest(got, nbuf) : 0;
	if (got)
		net_input_flags(&vn.nif, vn.big, got, flags);
	else
		vn.rx_bad++;
}

/* Frames in, buffers back; lock held. */
static void reap_rx(void)
{
	int posted = 0;

	do {
		uint8_t *buf;
		uint32_t len;

		while ((buf = virtq_get(&vn.dev.vq[Q_RX], &len))) {
			rx_frame(buf, len);
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
	vn.mrg = virtio_has(&vn.dev, VIRTIO_NET_F_MRG_RXBUF);
	vn.guest_csum = virtio_has(&vn.dev, VIRTIO_NET_F_GUEST_CSUM);
	vn.rx_buf = vn.mrg ? MRG_BUF : BUF;
	vn.nif.tx_csum_partial = virtio_has(&vn.dev, VIRTIO_NET_F_CSUM);
	virtio_config(&vn.dev, offsetof(struct virtio_net_config, mac),
		      vn.nif.mac, sizeof(vn.nif.mac));
	vn.nif.send = send;
	vn.nif.poll = poll;
	for (int i = 0; i < NBUF; i++)
		post_rx(vn.rx + (size_t)i * BUF);
	virtq_publish(&vn.dev.vq[Q_RX]);
	virtio_ready(&vn.dev);
	vn.up = 1;
	kprintf("virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, %s rings%s%s%s\n",
		vn.nif.mac[0], vn.nif.mac[1], vn.nif.mac[2], vn.nif.mac[3],
		vn.nif.mac[4], vn.nif.mac[5],
		vn.dev.vq[Q_RX].packed ? "packed" : "split",
		vn.mrg ? ", mergeable buffers" : "",
		vn.guest_csum ? ", receive checksum offload" : "",
		vn.nif.tx_csum_partial ? ", transmit checksum offload" : "");
}

struct netif *netif_first(void)
{
	if (!vn.up)
		vnet_init();
	return vn.up ? &vn.nif : NULL;
}
