// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A virtio transport for Linux's virtio_ring.c over a kspawn device slot
 * (struct kspawn_device), in user space: what virtio_pci_modern does for
 * a PCI device, done against the ABI's fields.  Built with tools/virtio's
 * include paths (its linux/ headers), so it speaks Linux's names; the
 * tests see only linux_ring.h.  See linux_ring.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/scatterlist.h>

#include "linux_ring.h"

#define IRQ_VECTOR_BASE 32	/* queue i interrupts with vector 32 + i */
#define MAX_SG 8
#define HANDSHAKE_MS 10000

/*
 * Exported by virtio_ring.c, declared by the kernel's linux/virtio.h but
 * not by tools/virtio's shorter one.
 */
unsigned int virtqueue_get_vring_size(struct virtqueue *vq);
dma_addr_t virtqueue_get_desc_addr(struct virtqueue *vq);
dma_addr_t virtqueue_get_avail_addr(struct virtqueue *vq);
dma_addr_t virtqueue_get_used_addr(struct virtqueue *vq);
bool virtqueue_is_broken(struct virtqueue *vq);

/* tools/virtio's kmalloc() honours these; nothing here fakes or keeps. */
void *__kmalloc_fake, *__kfree_ignore_start, *__kfree_ignore_end;

struct lr_vq {
	struct virtqueue *vq;
	struct lr_dev *dev;
	unsigned int index;
	struct lr_stats st;
};

struct lr_dev {
	struct virtio_device vdev;
	struct kspawn_device *slot;
	struct lr_vq q[KSPAWN_MAX_QUEUES];
	atomic_uint pending;		/* queues with interrupts to run */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint8_t status_get(struct lr_dev *d)
{
	return __atomic_load_n(&d->slot->status, __ATOMIC_ACQUIRE);
}

static void status_set(struct lr_dev *d, uint8_t s)
{
	__atomic_store_n(&d->slot->status, s, __ATOMIC_RELEASE);
}

/* Reset by the ABI's request flag; the device clears it when done. */
static int dev_reset(struct lr_dev *d)
{
	uint64_t t0 = now_ms();

	__atomic_store_n(&d->slot->reset, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&d->slot->reset, __ATOMIC_ACQUIRE)) {
		if (now_ms() - t0 > HANDSHAKE_MS)
			return -1;
		sched_yield();
	}
	return 0;
}

struct lr_dev *lr_dev_open(struct kspawn_device *slot,
			   const struct lr_opts *o, char *why, size_t n)
{
	/* malloc is the region's here (linux_ring_shim.h): zeroed. */
	struct lr_dev *d = malloc(sizeof(*d));
	uint64_t offer, want, t0;
	uint16_t ack;

	d->slot = slot;
	INIT_LIST_HEAD(&d->vdev.vqs);
	spin_lock_init(&d->vdev.vqs_list_lock);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (dev_reset(d)) {
		snprintf(why, n, "device did not answer a reset");
		goto fail;
	}
	status_set(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status_set(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	offer = __atomic_load_n(&slot->device_features, __ATOMIC_RELAXED);
	/* virtio_dev_probe(): the driver's bits, then the ring's. */
	d->vdev.features = offer & (o->device_bits |
		(((1ULL << VIRTIO_TRANSPORT_F_END) - 1) &
		 ~((1ULL << VIRTIO_TRANSPORT_F_START) - 1)));
	vring_transport_features(&d->vdev);
	if (!o->packed)
		__virtio_clear_bit(&d->vdev, VIRTIO_F_RING_PACKED);
	if (!o->event_idx)
		__virtio_clear_bit(&d->vdev, VIRTIO_RING_F_EVENT_IDX);
	if (!o->indirect)
		__virtio_clear_bit(&d->vdev, VIRTIO_RING_F_INDIRECT_DESC);
	want = d->vdev.features;
	if (!virtio_has_feature(&d->vdev, VIRTIO_F_VERSION_1) ||
	    (o->packed &&
	     !virtio_has_feature(&d->vdev, VIRTIO_F_RING_PACKED)) ||
	    (o->event_idx &&
	     !virtio_has_feature(&d->vdev, VIRTIO_RING_F_EVENT_IDX))) {
		snprintf(why, n, "device offers %#llx: not what the case needs",
			 (unsigned long long)offer);
		goto fail;
	}
	slot->driver_features = want;
	ack = __atomic_load_n(&slot->features_ack, __ATOMIC_ACQUIRE);
	status_set(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		   VIRTIO_CONFIG_S_FEATURES_OK);
	t0 = now_ms();
	while (__atomic_load_n(&slot->features_ack, __ATOMIC_ACQUIRE) == ack) {
		if (now_ms() - t0 > HANDSHAKE_MS) {
			snprintf(why, n, "no answer to FEATURES_OK");
			goto fail;
		}
		sched_yield();
	}
	if (!(status_get(d) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		snprintf(why, n, "device refused features %#llx of %#llx",
			 (unsigned long long)want, (unsigned long long)offer);
		goto fail;
	}
	return d;
fail:
	free(d);
	return NULL;
}

uint64_t lr_dev_features(const struct lr_dev *d)
{
	return d->vdev.features;
}

/* virtqueue_notify(): the doorbell.  Our device polls; count it. */
static bool notify(struct virtqueue *vq)
{
	struct lr_vq *q = vq->priv;

	q->st.kicks++;
	__atomic_fetch_add(&q->dev->slot->queues[q->index].notify, 1,
			   __ATOMIC_RELEASE);
	return true;
}

/* The queue's callback, as a NAPI driver has it: no more interrupts
 * until the poll loop has drained the queue and enables them again. */
static void callback(struct virtqueue *vq)
{
	struct lr_vq *q = vq->priv;

	q->st.irqs++;
	virtqueue_disable_cb(vq);
}

struct lr_vq *lr_vq_setup(struct lr_dev *d, unsigned int index,
			  unsigned int num)
{
	struct kspawn_queue *sq = &d->slot->queues[index];
	struct lr_vq *q = &d->q[index];
	unsigned int max = __atomic_load_n(&sq->size_max, __ATOMIC_RELAXED);

	if (num > max)
		num = max;
	/* Cache-line alignment, as virtio_pci_modern asks for. */
	q->vq = vring_create_virtqueue(index, num, 64, &d->vdev, true, false,
				       false, notify, callback, "kspawn");
	if (!q->vq)
		return NULL;
	q->vq->priv = q;
	q->dev = d;
	q->index = index;
	sq->size = (uint16_t)virtqueue_get_vring_size(q->vq);
	sq->desc_addr = virtqueue_get_desc_addr(q->vq);
	sq->driver_addr = virtqueue_get_avail_addr(q->vq);
	sq->device_addr = virtqueue_get_used_addr(q->vq);
	sq->vector = IRQ_VECTOR_BASE + index;
	__atomic_store_n(&sq->ready, 1, __ATOMIC_RELEASE);
	return q;
}

void lr_dev_driver_ok(struct lr_dev *d)
{
	status_set(d, status_get(d) | VIRTIO_CONFIG_S_DRIVER_OK);
}

void lr_dev_close(struct lr_dev *d)
{
	dev_reset(d);
	for (unsigned int i = 0; i < KSPAWN_MAX_QUEUES; i++) {
		void *buf;

		if (!d->q[i].vq)
			continue;
		/* What the device never used comes back to the driver. */
		while ((buf = virtqueue_detach_unused_buf(d->q[i].vq)))
			;
		vring_del_virtqueue(d->q[i].vq);
	}
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

void lr_notify(struct lr_dev *d, uint32_t vector)
{
	unsigned int i = vector - IRQ_VECTOR_BASE;

	if (vector < IRQ_VECTOR_BASE || i >= KSPAWN_MAX_QUEUES)
		return;
	atomic_fetch_or(&d->pending, 1U << i);
	pthread_mutex_lock(&d->lock);
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

int lr_wait_irq(struct lr_dev *d, int timeout_ms)
{
	struct timespec until;
	unsigned int got;
	int n = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&d->lock);
	while (!atomic_load(&d->pending) &&
	       pthread_cond_timedwait(&d->cond, &d->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&d->lock);
	got = atomic_exchange(&d->pending, 0);
	for (unsigned int i = 0; i < KSPAWN_MAX_QUEUES; i++) {
		struct lr_vq *q = &d->q[i];

		if (!(got & (1U << i)) || !q->vq)
			continue;
		n++;
		if (vring_interrupt(0, q->vq) == IRQ_NONE)
			q->st.irqs_none++;
	}
	return n;
}

unsigned int lr_irq_pending(struct lr_dev *d)
{
	return atomic_load(&d->pending);
}

int lr_add(struct lr_vq *q, const struct lr_buf *out, unsigned int nout,
	   const struct lr_buf *in, unsigned int nin, void *cookie)
{
	struct scatterlist sg[MAX_SG], *sgs[MAX_SG];
	unsigned int n = nout + nin;

	if (n > MAX_SG)
		return -EINVAL;
	/* One scatterlist per buffer, as virtio_blk passes them. */
	for (unsigned int i = 0; i < n; i++) {
		const struct lr_buf *b = i < nout ? &out[i] : &in[i - nout];

		sg_init_one(&sg[i], b->p, b->len);
		sgs[i] = &sg[i];
	}
	return virtqueue_add_sgs(q->vq, sgs, nout, nin, cookie, GFP_ATOMIC);
}

void lr_kick(struct lr_vq *q)
{
	virtqueue_kick(q->vq);
}

void *lr_get(struct lr_vq *q, uint32_t *len)
{
	unsigned int l = 0;
	void *p = virtqueue_get_buf(q->vq, &l);

	if (len)
		*len = l;
	return p;
}

int lr_enable_cb(struct lr_vq *q, int delayed)
{
	bool empty = delayed ? virtqueue_enable_cb_delayed(q->vq) :
			       virtqueue_enable_cb(q->vq);

	q->st.enables++;
	return empty;
}

void lr_disable_cb(struct lr_vq *q)
{
	virtqueue_disable_cb(q->vq);
}

int lr_broken(struct lr_vq *q)
{
	return virtqueue_is_broken(q->vq);
}

unsigned int lr_vq_size(struct lr_vq *q)
{
	return virtqueue_get_vring_size(q->vq);
}

void lr_vq_stats(struct lr_vq *q, struct lr_stats *s)
{
	*s = q->st;
}
