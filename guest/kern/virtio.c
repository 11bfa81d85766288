#include <string.h>
#include <linux/pci_regs.h>

#include "kern/virtio.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/sched.h"
#include "lib/cmdline.h"
#include "kern/shared.h"
#include "lib/virtio_pci.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/pci.h"
#include "arch/x86_64/trap.h"

static int want_packed, no_indirect;
static uint32_t doorbell_apic, doorbell_vector;	/* 0: the host polls */

/*
 * The host's doorbell (KSPAWN_F_IPI_DOORBELL): a fixed IPI to a vector on
 * one of its CPUs.  Taken if offered and sendable (xAPIC: 8-bit IDs); the
 * command line's doorbell=off leaves the host polling, for comparison.
 */
static void take_doorbell(const struct cmdline *c)
{
	const char *v = cmdline_opt(c, "doorbell");
	uint32_t vector = kspawn_hdr->host_doorbell_vector;

	if (!(kspawn_hdr->host_features & KSPAWN_F_IPI_DOORBELL) ||
	    (v && !strcmp(v, "off")) || vector < 32 || vector > 255 ||
	    (!apic_is_x2apic() && kspawn_hdr->host_apic_id > 0xff))
		return;
	doorbell_apic = kspawn_hdr->host_apic_id;
	doorbell_vector = vector;
	kspawn_hdr->guest_features |= KSPAWN_F_IPI_DOORBELL;
}

void virtio_init(const struct cmdline *c)
{
	const char *v = cmdline_opt(c, "vring");

	want_packed = v && !strcmp(v, "packed");
	v = cmdline_opt(c, "indirect");
	no_indirect = v && !strcmp(v, "off");
	take_doorbell(c);
}

int virtio_ring_host(void)
{
	if (!doorbell_vector)
		return -1;
	return apic_send_ipi(doorbell_apic, doorbell_vector);
}

static void ring_host(struct virtio_dev *d)
{
	(void)d;
	virtio_ring_host();
}

/* vector -> queue, for the one handler all queues share */
static struct {
	struct virtio_dev *d;
	unsigned int q;
	unsigned long count;		/* interrupts taken */
} irq_map[256];

static void queue_irq(struct trap_frame *tf)
{
	struct virtio_dev *d = irq_map[tf->vector & 255].d;
	unsigned int q = irq_map[tf->vector & 255].q;

	apic_eoi();
	irq_map[tf->vector & 255].count++;
	if (d && d->on_irq[q])
		d->on_irq[q](d, q);
}

/*
 * Printed on the way out of a guest booted alone, not from the interrupt:
 * a line there could land inside one the app is printing.
 */
void virtio_pci_report(void)
{
	for (unsigned int v = 0; v < 256; v++) {
		struct virtio_dev *d = irq_map[v].d;
		unsigned int q = irq_map[v].q;
		struct virtq_state s;

		if (!d || !virtio_pci_msix(d, q))
			continue;
		virtq_state(&d->vq[q], &s);
		kprintf("virtio-pci: device %u queue %u: %lu MSI-X interrupts on vector %u; ring: added %u published %u kicked at %u notify at %u used %u taken %u\n",
			((struct virtio_pci *)d->priv)->device_id, q,
			irq_map[v].count, v, s.added, s.published, s.kicked,
			s.notify_at, s.used, s.taken);
	}
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

static void say(struct virtio_dev *d, const char *line)
{
	struct kspawn_device *slot = virtio_slot_of(d);

	kprintf("virtio: device %u %s\n", slot ? slot->device_id :
		((struct virtio_pci *)d->priv)->device_id, line);
}

static const struct virtio_platform kernel_platform = {
	.alloc = alloc,
	.addr = region_addr,
	.wait = wait_ms,
	.irq_vector = irq_vector,
	.doorbell = ring_host,
	.say = say,
};

static void *map_device(uint64_t pa, size_t len)
{
	return mmio_map(pa, len);
}

static const struct virtio_pci_bus legacy_ports = {
	.cfg_read = pci_cfg_read,
	.cfg_write = pci_cfg_write,
	.map = map_device,
	.msi = pci_msi_message,
};

/*
 * Booted alone (QEMU), the devices are PCI functions: QEMU's own
 * virtio-blk-pci and virtio-net-pci.  A spawned guest never looks there;
 * the PCI ports and memory are the host's.
 */
static int attach_pci(struct virtio_dev *d, uint32_t device_id)
{
	struct virtio_pci *p;

	if (!(kspawn_hdr->flags & KSPAWN_HF_STANDALONE))
		return -1;
	p = kzalloc(sizeof(*p));
	if (!p)
		return -1;
	if (virtio_pci_find(p, &legacy_ports, device_id, 0)) {
		kfree(p);
		return -1;
	}
	virtio_pci_attach(d, p, &kernel_platform);
	kprintf("virtio-pci: %02x:%02x.%x (1af4:%04x) is device %u, %u queues, %u MSI-X entries\n",
		p->bdf >> 8, (p->bdf >> 3) & 31, p->bdf & 7,
		pci_cfg_read(p->bdf, PCI_DEVICE_ID, 2), device_id,
		p->num_queues, p->msix_entries);
	return 0;
}

int virtio_open(struct virtio_dev *d, uint32_t device_id, uint64_t wanted)
{
	struct kspawn_device *slot = virtio_slot_find(kspawn_hdr, device_id, 0);
	int r;

	if (slot)
		virtio_slot_attach(d, slot, &kernel_platform);
	else if (attach_pci(d, device_id))
		return -1;
	if (want_packed)
		wanted |= 1ULL << VIRTIO_F_RING_PACKED;
	if (no_indirect)
		wanted &= ~(1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	r = virtio_start(d, wanted);
	if (!slot && !r)
		kprintf("virtio-pci: device %u features %#llx\n", device_id,
			(unsigned long long)d->features);
	if (r == -1)
		kprintf("virtio: device %u lacks VERSION_1\n", device_id);
	else if (r)
		kprintf("virtio: device %u refused features %#llx\n",
			device_id, (unsigned long long)d->features);
	return r ? -1 : 0;
}
