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

static void queue_irq(struct trap_frame *tf)
{
	struct virtio_dev *d = irq_map[tf->vector & 255].d;
	unsigned int q = irq_map[tf->vector & 255].q;

	apic_eoi();
	if (d && d->on_irq[q])
		d->on_irq[q](d, q);
}

static uint32_t irq_vector(struct virtio_dev *d, unsigned int q)
{
	int vector = irq_alloc_vector(queue_irq);

	if (vector <= 0)
		return 0;
	irq_map[vector].d = d;
	irq_map[vector].q = q;
	return (uint32_t)vector;
}

static void *alloc(size_t bytes)
{
	return page_alloc((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
}

static uint64_t region_addr(const void *va)
{
	return virt_to_phys(va);
}

static void wait_ms(struct virtio_dev *d)
{
	(void)d;
	thread_sleep_ms(1);
}

static const struct virtio_platform kernel_platform = {
	.alloc = alloc,
	.addr = region_addr,
	.wait = wait_ms,
	.irq_vector = irq_vector,
};

int virtio_open(struct virtio_dev *d, uint32_t device_id, uint64_t wanted)
{
	struct kspawn_device *slot = virtio_slot_find(kspawn_hdr, device_id, 0);
	int r;

	if (!slot)
		return -1;
	virtio_slot_attach(d, slot, kspawn_hdr->abi_minor, &kernel_platform);
	if (want_packed)
		wanted |= 1ULL << VIRTIO_F_RING_PACKED;
	r = virtio_start(d, wanted);
	if (r == -1)
		kprintf("virtio: device %u lacks VERSION_1\n", device_id);
	else if (r)
		kprintf("virtio: device %u refused features %#llx\n",
			device_id, (unsigned long long)d->features);
	return r ? -1 : 0;
}
