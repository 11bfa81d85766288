#include <string.h>

#include "kern/virtio.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/sched.h"
#include "lib/cmdline.h"
#include "kern/shared.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/trap.h"

static int want_packed;

void virtio_init(const struct cmdline *c)
{
	const char *v = cmdline_opt(c, "vring");

	want_packed = v && !strcmp(v, "packed");
}

/* vector -> queue, for the one handler all queues share */
static struct {
	struct virtio_dev *d;
	unsigned int q;
} irq_map[256];

struct kspawn_device *virtio_find(uint32_t device_id, unsigned int n)
{
	struct kspawn_header *h = kspawn_hdr;
	struct kspawn_device *devs;
	uint64_t end = h->devices_off +
		       (uint64_t)h->ndevices * sizeof(struct kspawn_device);

	if (!h->devices_off || h->ndevices > KSPAWN_MAX_DEVICES ||
	    end > h->shared_size)
		return NULL;
	devs = (struct kspawn_device *)((char *)h + h->devices_off);
	for (uint32_t i = 0; i < h->ndevices; i++)
		if (devs[i].device_id == device_id && !n--)
			return &devs[i];
	return NULL;
}

static void set_status(struct virtio_dev *d, uint8_t bits)
{
	uint8_t s = __atomic_load_n(&d->slot->status, __ATOMIC_ACQUIRE);

	__atomic_store_n(&d->slot->status, (uint8_t)(s | bits),
			 __ATOMIC_RELEASE);
}

/*
 * The host's backend answers FEATURES_OK from its polling thread, by
 * leaving the bit or clearing it.  A host of ABI 1.1 or later then counts
 * the answer in features_ack, so we know when to look; an older one does
 * not, and gets a generous moment (it polls every few ms at most).
 */
#define FEATURES_WAIT_MS 100

static int features_answered(struct kspawn_device *slot, uint16_t ack)
{
	return kspawn_hdr->abi_minor >= 1 &&
	       __atomic_load_n(&slot->features_ack, __ATOMIC_ACQUIRE) != ack;
}

static int features_accepted(struct virtio_dev *d, uint16_t ack)
{
	for (int ms = 0; ms < FEATURES_WAIT_MS; ms++) {
		int answered = features_answered(d->slot, ack);

		if (!(__atomic_load_n(&d->slot->status, __ATOMIC_ACQUIRE) &
		      VIRTIO_CONFIG_S_FEATURES_OK))
			return 0;
		if (answered)
			return 1;
		thread_sleep_ms(1);
	}
	return 1;
}

int virtio_start(struct virtio_dev *d, struct kspawn_device *slot,
		 uint64_t wanted)
{
	uint16_t ack;

	memset(d, 0, sizeof(*d));
	d->slot = slot;
	__atomic_store_n(&slot->status, 0, __ATOMIC_RELEASE);
	set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(d, VIRTIO_CONFIG_S_DRIVER);
	if (want_packed)
		wanted |= (1ULL << VIRTIO_F_RING_PACKED);
	d->features = slot->device_features & wanted;
	if (!(d->features & (1ULL << VIRTIO_F_VERSION_1))) {
		kprintf("virtio: device %u lacks VERSION_1\n", slot->device_id);
		set_status(d, VIRTIO_CONFIG_S_FAILED);
		return -1;
	}
	slot->driver_features = d->features;
	ack = __atomic_load_n(&slot->features_ack, __ATOMIC_ACQUIRE);
	set_status(d, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!features_accepted(d, ack)) {
		kprintf("virtio: device %u refused features %#llx\n",
			slot->device_id, (unsigned long long)d->features);
		set_status(d, VIRTIO_CONFIG_S_FAILED);
		return -1;
	}
	return 0;
}

static void queue_irq(struct trap_frame *tf)
{
	struct virtio_dev *d = irq_map[tf->vector & 255].d;
	unsigned int q = irq_map[tf->vector & 255].q;

	apic_eoi();
	if (d && d->on_irq[q])
		d->on_irq[q](d, q);
}

static uint64_t region_addr(const void *va)
{
	return virt_to_phys(va);
}

int virtio_queue(struct virtio_dev *d, unsigned int q, uint16_t size,
		 virtio_irq_fn on_irq)
{
	struct kspawn_queue *sq = &d->slot->queues[q];
	int packed = !!(d->features & (1ULL << VIRTIO_F_RING_PACKED));
	size_t bytes, pages;
	void **cookies;
	void *mem;
	int vector;

	if (q >= d->slot->num_queues)
		return -1;
	if (!size || size > sq->size_max)
		size = sq->size_max;
	if (packed && size > VQ_PACKED_MAX)
		size = VQ_PACKED_MAX;
	bytes = packed ? virtq_packed_bytes(size) : virtq_bytes(size);
	pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	mem = page_alloc(pages);
	cookies = page_alloc((size * sizeof(void *) + PAGE_SIZE - 1) /
			     PAGE_SIZE);
	if (!mem || !cookies)
		return -1;
	if (packed)
		virtq_init_packed(&d->vq[q], size, mem, cookies, region_addr);
	else
		virtq_init(&d->vq[q], size, mem, cookies, region_addr,
			   !!(d->features & (1ULL << VIRTIO_RING_F_EVENT_IDX)));
	d->on_irq[q] = on_irq;
	vector = on_irq ? irq_alloc_vector(queue_irq) : -1;
	if (vector > 0) {
		irq_map[vector].d = d;
		irq_map[vector].q = q;
	}
	sq->size = size;
	sq->vector = vector > 0 ? (uint32_t)vector : 0;
	sq->desc_addr = d->vq[q].desc_addr;
	sq->driver_addr = d->vq[q].avail_addr;
	sq->device_addr = d->vq[q].used_addr;
	__atomic_store_n(&sq->ready, 1, __ATOMIC_RELEASE);
	return 0;
}

void virtio_ready(struct virtio_dev *d)
{
	set_status(d, VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_kick(struct virtio_dev *d, unsigned int q)
{
	__atomic_fetch_add(&d->slot->queues[q].notify, 1, __ATOMIC_RELEASE);
}

int virtio_broken(const struct virtio_dev *d)
{
	return !!(__atomic_load_n(&d->slot->status, __ATOMIC_ACQUIRE) &
		  VIRTIO_CONFIG_S_NEEDS_RESET);
}
