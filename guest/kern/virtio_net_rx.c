/*
 * The virtio-net driver's receive path (the rest of the driver is
 * kern/virtio_net.c): a frame taken off a pair's receive ring, checked,
 * put together and handed to the stack, and every buffer it used posted
 * again.  Apart, as what the device writes here is the driver's least
 * trusted input: header, lengths and buffer counts are the device's word.
 *
 * With MRG_RXBUF a frame may span num_buffers receive buffers (the host's
 * MTU may exceed a buffer); they are put together in big.  Receive
 * buffers are then MRG_BUF bytes, as Linux's virtio_net sizes them to the
 * traffic rather than to the largest frame: a full-sized frame takes two.
 * With GUEST_CSUM a frame the device marked DATA_VALID (checked) or
 * NEEDS_CSUM (never on a wire: the field holds the pseudo-header's sum)
 * goes to the stack with its UDP checksum not to be checked.  Without
 * them a received frame is whole and fits one buffer.
 */
#include <string.h>

#include "kern/virtio_net.h"
#include "lib/net/bytes.h"
#include "lib/net/csum.h"

void vnet_post_rx(struct vnet_pair *p, uint8_t *buf)
{
	struct virtq_buf in = { buf, vnet.rx_buf };

	virtq_add(&vnet.dev.vq[RXQ(p - vnet.p)], NULL, 0, &in, 1, buf);
}

/*
 * The rest of a frame over nbuf buffers (MRG_RXBUF), after the got bytes
 * of the first, into big: its length, or 0 if it is dropped (bad already,
 * too long, or not all there).  Every buffer taken goes back.
 *
 * A device publishes a frame's buffers together, so a well-formed frame's
 * are all there.  One that names more than it used, or more than we
 * posted (which no device can fill), is broken: its buffers are taken all
 * the same, up to the first one missing, so that none of them is read as
 * a frame's head next, and it is dropped (Linux's virtio_net does
 * likewise: "N buffers out of M missing").  At most the buffers we
 * posted: they go back as they are taken, and a device that kept using
 * them could hold us here otherwise.
 */
static size_t rx_rest(struct vnet_pair *p, size_t got, unsigned int nbuf,
		      int bad)
{
	struct virtq *vq = &vnet.dev.vq[RXQ(p - vnet.p)];
	unsigned int posted = vq->size < NBUF ? vq->size : NBUF;

	if (nbuf > posted) {
		bad = 1;
		nbuf = posted;
	}
	for (unsigned int i = 1; i < nbuf; i++) {
		uint32_t len;
		uint8_t *buf = virtq_get(vq, &len);

		if (!buf)
			return 0;
		if (bad || len > vnet.rx_buf || got + len > BIG)
			bad = 1;
		else
			memcpy(p->big + got, buf, len);
		got += len;
		vnet_post_rx(p, buf);
	}
	return bad ? 0 : got;
}

/*
 * A frame the device left partial (NEEDS_CSUM), for a raw consumer: the
 * stack takes such a frame as checked, but l2fwd forwards it as it is,
 * so its checksum is finished here (as the host's XDP path finishes one
 * before a program sees it), or the frame would reach the wire with the
 * pseudo-header's sum in its field.  A zero result goes as 0xffff, which
 * UDP needs (0 there is "none") and TCP reads alike.
 */
static void finish_partial(uint8_t *frame, size_t len,
			   const struct virtio_net_hdr_v1 *h)
{
	size_t start = h->csum_start, field = start + h->csum_offset;
	uint16_t sum;

	if (start >= len || field + 2 > len)
		return;
	sum = csum_fold(csum_add(0, frame + start, len - start));
	net_put16(frame + field, sum ? sum : 0xffff);
}

/*
 * One received frame, from its first buffer; the buffers go back.  A
 * frame that is malformed is dropped and counted in rx_bad; if its header
 * could be read, with the other buffers it names (rx_rest()).  With
 * MRG_RXBUF, num_buffers 0 is malformed: it counts the first buffer too.
 */
void vnet_rx_frame(struct vnet_pair *p, uint8_t *buf, uint32_t len)
{
	struct virtio_net_hdr_v1 h;
	unsigned int flags = 0, nbuf = 1;
	size_t got;
	int raw;

	if (len >= HDR) {
		memcpy(&h, buf, HDR);		/* read once */
		if (vnet.mrg)
			nbuf = h.num_buffers;
	}
	if (len <= HDR || len > vnet.rx_buf || !nbuf) {
		p->st.rx_bad++;
		vnet_post_rx(p, buf);
		if (len >= HDR && nbuf > 1)
			rx_rest(p, 0, nbuf, 1);
		return;
	}
	if (vnet.guest_csum && (h.flags & (VIRTIO_NET_HDR_F_DATA_VALID |
					 VIRTIO_NET_HDR_F_NEEDS_CSUM)))
		flags = NET_RX_L4_CSUM_OK;
	raw = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && vnet.guest_csum &&
	      __atomic_load_n(&vnet.nif.raw_rx, __ATOMIC_ACQUIRE);
	if (nbuf == 1) {
		if (raw)
			finish_partial(buf + HDR, len - HDR, &h);
		p->st.rx_frames++;
		net_input_flags(&vnet.nif, buf + HDR, len - HDR, flags);
		vnet_post_rx(p, buf);
		return;
	}
	got = len - HDR;
	memcpy(p->big, buf + HDR, got);
	vnet_post_rx(p, buf);
	got = rx_rest(p, got, nbuf, 0);
	if (!got) {
		p->st.rx_bad++;
		return;
	}
	if (raw)
		finish_partial(p->big, got, &h);
	p->st.rx_frames++;
	net_input_flags(&vnet.nif, p->big, got, flags);
}
