#include <string.h>
#include <linux/virtio_net.h>

#include "kern/virtio_net.h"
#include "kern/console.h"
#include "kern/mm.h"
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
	struct spinlock lock;
	uint8_t *rx_buf[NBUF];
	uint8_t *tx_buf[NBUF];
	int tx_free[NBUF];
	int tx_top;
	int up;
} vn;

static void post_rx(uint8_t *buf)
{
	struct virtq_buf in = { buf, BUF };

	virtq_add(&vn.dev.vq[Q_RX], NULL, 0, &in, 1, buf);
}

static void reap_tx(void)
{
	uint8_t *buf;

	while ((buf = virtq_get(&vn.dev.vq[Q_TX], NULL)))
		for (int i = 0; i < NBUF; i++)
			if (vn.tx_buf[i] == buf)
				vn.tx_free[vn.tx_top++] = i;
}

/* The stack's send: copy behind a zeroed header; lock held. */
static int send(struct netif *nif, const void *frame, size_t len)
{
	struct virtq_buf out;
	uint8_t *buf;

	(void)nif;
	if (len > BUF - HDR)
		return -1;
	if (!vn.tx_top)
		reap_tx();
	if (!vn.tx_top)
		return -1;
	buf = vn.tx_buf[vn.tx_free[--vn.tx_top]];
	memset(buf, 0, HDR);
	memcpy(buf + HDR, frame, len);
	out = (struct virtq_buf){ buf, (uint32_t)(HDR + len) };
	if (virtq_add(&vn.dev.vq[Q_TX], &out, 1, NULL, 0, buf))
		return -1;	/* cannot happen: as many buffers as entries */
	if (virtq_publish(&vn.dev.vq[Q_TX]))
		virtio_kick(&vn.dev, Q_TX);
	return 0;
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

void vnet_poll(void)
{
	uint64_t flags;

	if (!vn.up)
		return;
	flags = spin_lock_irqsave(&vn.lock);
	reap_rx();
	spin_unlock_irqrestore(&vn.lock, flags);
}

static int alloc_buffers(void)
{
	uint8_t *pages = page_alloc(2 * NBUF * BUF / PAGE_SIZE);

	if (!pages)
		return -1;
	for (int i = 0; i < NBUF; i++) {
		vn.rx_buf[i] = pages + (size_t)i * BUF;
		vn.tx_buf[i] = pages + (size_t)(NBUF + i) * BUF;
		vn.tx_free[i] = i;
	}
	vn.tx_top = NBUF;
	return 0;
}

struct netif *vnet_init(uint32_t ip)
{
	spin_init(&vn.lock);
	if (virtio_open(&vn.dev, VIRTIO_ID_NET, WANTED) || alloc_buffers() ||
	    virtio_queue(&vn.dev, Q_RX, NBUF, on_irq) ||
	    virtio_queue(&vn.dev, Q_TX, NBUF, on_irq))
		return NULL;
	virtio_config(&vn.dev, offsetof(struct virtio_net_config, mac),
		      vn.nif.mac, sizeof(vn.nif.mac));
	vn.nif.ip = ip;
	vn.nif.send = send;
	for (int i = 0; i < NBUF; i++)
		post_rx(vn.rx_buf[i]);
	virtq_publish(&vn.dev.vq[Q_RX]);
	virtio_ready(&vn.dev);
	vn.up = 1;
	kprintf("virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, %u.%u.%u.%u, %s rings\n",
		vn.nif.mac[0], vn.nif.mac[1], vn.nif.mac[2], vn.nif.mac[3],
		vn.nif.mac[4], vn.nif.mac[5], ip >> 24, (ip >> 16) & 255,
		(ip >> 8) & 255, ip & 255,
		vn.dev.vq[Q_RX].packed ? "packed" : "split");
	return &vn.nif;
}
