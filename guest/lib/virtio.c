/*
 * The transport-independent part of a virtio driver (virtio 1.x, 3.1.1);
 * see lib/virtio.h.
 */
#include "lib/format.h"
#include "lib/virtio.h"

static void add_status(struct virtio_dev *d, uint8_t bits)
{
	d->ops->set_status(d, (uint8_t)(d->ops->get_status(d) | bits));
}

int virtio_start(struct virtio_dev *d, uint64_t wanted)
{
	/*
	 * A reset the device has acted on, not a status of 0 it may never
	 * see: started again (other features, say), a device that missed
	 * it would keep what it had negotiated.  A device whose status is
	 * still 0 has nothing to forget: no round trip to the host at boot.
	 */
	if (d->ops->get_status(d))
		virtio_reset(d);
	add_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	add_status(d, VIRTIO_CONFIG_S_DRIVER);
	d->features = d->ops->get_features(d) & wanted;
	if (!virtio_has(d, VIRTIO_F_VERSION_1)) {
		virtio_fail(d);
		return -1;
	}
	d->ops->set_features(d, d->features);
	if (!d->ops->features_ok(d)) {
		virtio_fail(d);
		return -2;
	}
	return 0;
}

/* size asked for, against the device's max (read once by the caller). */
static uint16_t queue_size(uint16_t size, uint16_t max)
{
	if (!size || size > max)
		size = max;
	if (size > VQ_PACKED_MAX)	/* our bookkeeping's size, either layout */
		size = VQ_PACKED_MAX;
	return size;
}

uint16_t virtio_queue_size(struct virtio_dev *d, unsigned int q,
			   uint16_t size)
{
	return queue_size(size, d->ops->queue_max(d, q));
}

int virtio_queue(struct virtio_dev *d, unsigned int q, uint16_t size,
		 virtio_irq_fn on_irq)
{
	const struct virtio_platform *p = d->plat;
	int packed = virtio_has(d, VIRTIO_F_RING_PACKED);
	uint16_t max = d->ops->queue_max(d, q);
	struct virtq *vq = &d->vq[q];
	int indirect = virtio_has(d, VIRTIO_RING_F_INDIRECT_DESC);
	size_t bytes, tables;
	void **cookies;
	uint8_t *mem;

	if (!max)
		return -1;
	/* The max just checked: a second read could say anything. */
	size = queue_size(size, max);
	/*
	 * A split ring's size is a power of two (virtio 1.x, 2.7), and the
	 * device finds its entries by masking an index with it: with any
	 * other size the two sides would disagree on where they are.  The
	 * device's maximum is checked too, as Linux does: one that breaks
	 * this rule cannot be trusted with the rest.  Packed rings take any.
	 */
	if (!packed && ((max & (max - 1)) || (size & (size - 1)))) {
		if (p->say) {
			char line[128];

			ksnprintf(line, sizeof(line),
				  "queue %u: size %u (device's maximum %u) is not a power of two, as a split ring must be: not using it",
				  q, size, max);
			p->say(d, line);
		}
		return -2;
	}
	/* The rings (whole pages), indirect tables if any, the cookies. */
	bytes = packed ? virtq_packed_bytes(size) : virtq_bytes(size);
	tables = indirect ? virtq_indirect_bytes(size) : 0;
	mem = p->alloc(bytes + tables + size * sizeof(void *));
	if (!mem)
		return -1;
	cookies = (void **)(mem + bytes + tables);
	if (packed)
		virtq_init_packed(vq, size, mem, cookies, p->addr,
				  virtio_has(d, VIRTIO_RING_F_EVENT_IDX));
	else
		virtq_init(vq, size, mem, cookies, p->addr,
			   virtio_has(d, VIRTIO_RING_F_EVENT_IDX));
	if (indirect)
		virtq_set_indirect(vq, mem + bytes);
	if (virtio_has(d, VIRTIO_F_IN_ORDER))
		virtq_set_in_order(vq);
	d->on_irq[q] = on_irq;
	d->ops->queue_setup(d, q, size, p->addr(vq->desc), p->addr(vq->avail),
			    p->addr(vq->used),
			    on_irq && p->irq_vector ? p->irq_vector(d, q) : 0);
	return 0;
}

int virtio_config_irq(struct virtio_dev *d, virtio_irq_fn fn)
{
	const struct virtio_platform *p = d->plat;
	uint32_t vector;

	if (!fn || !d->ops->config_vector || !p->irq_vector)
		return -1;
	/* The handler first: the device may interrupt once told the vector. */
	d->on_irq[VDEV_CONFIG_IRQ] = fn;
	vector = p->irq_vector(d, VDEV_CONFIG_IRQ);
	if (!vector)
		return -1;
	d->ops->config_vector(d, vector);
	return 0;
}

void virtio_ready(struct virtio_dev *d)
{
	add_status(d, VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_fail(struct virtio_dev *d)
{
	add_status(d, VIRTIO_CONFIG_S_FAILED);
}
