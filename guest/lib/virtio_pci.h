/*
 * The virtio-pci transport, modern interface only (virtio 1.x, 4.1): a
 * PCI function of vendor 0x1af4 whose vendor capabilities point into its
 * memory BARs at the common configuration (status, features, queue
 * setup), the notification area and the device's own configuration;
 * queue interrupts by MSI-X.  Portable: the machine gives config-space
 * access, uncached mappings and its MSI messages (struct virtio_pci_bus);
 * the guest kernel booted alone under QEMU is the one user
 * (kern/virtio.c), its devices QEMU's virtio-blk-pci and virtio-net-pci.
 *
 *	struct virtio_pci p;
 *
 *	if (!virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0))
 *		virtio_pci_attach(&d, &p, &platform);
 *	virtio_start(&d, wanted) ...	as with any transport (lib/virtio.h)
 */
#ifndef LIB_VIRTIO_PCI_H
#define LIB_VIRTIO_PCI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_pci.h>

#include "lib/virtio.h"

struct virtio_pci_bus {
	/* Config space of function bdf (bus << 8 | device << 3 | fn). */
	uint32_t (*cfg_read)(uint32_t bdf, unsigned int off, unsigned int size);
	void (*cfg_write)(uint32_t bdf, unsigned int off, unsigned int size,
			  uint32_t v);
	/* len bytes of device memory at physical pa, uncached; or NULL. */
	void *(*map)(uint64_t pa, size_t len);
	/*
	 * The MSI message that raises vector on this CPU: address and data.
	 * 0, or -1 if it cannot be said (then the queue is polled).
	 */
	int (*msi)(uint32_t vector, uint64_t *addr, uint32_t *data);
};

struct virtio_pci {
	const struct virtio_pci_bus *bus;
	uint32_t bdf;
	uint32_t device_id;			/* VIRTIO_ID_* */
	volatile struct virtio_pci_common_cfg *common;
	volatile uint8_t *notify;		/* the notification area */
	uint32_t notify_len, notify_mult;	/* notify_off_multiplier */
	volatile uint8_t *config;		/* the device's configuration */
	uint32_t config_len;
	volatile uint32_t *msix;		/* MSI-X table; NULL: none */
	uint16_t msix_entries;
	uint16_t msix_cap;			/* its capability's offset */
	uint16_t num_queues;
	uint16_t notify_off[KSPAWN_MAX_QUEUES];	/* of each queue set up */
	uint8_t msix_ok[KSPAWN_MAX_QUEUES];	/* the queue interrupts */
};

/*
 * The n-th virtio device of this VIRTIO_ID_* (0: the first) on the bus,
 * its capabilities found and mapped into p.  0, or -1 if there is none
 * (or none we can drive: no modern interface, BARs unassigned).
 */
int virtio_pci_find(struct virtio_pci *p, const struct virtio_pci_bus *bus,
		    uint32_t device_id, unsigned int n);

/* d drives p's device: bus mastering on, MSI-X on with every entry masked. */
void virtio_pci_attach(struct virtio_dev *d, struct virtio_pci *p,
		       const struct virtio_platform *plat);

/* Does queue q of d (a virtio-pci device) interrupt by MSI-X?  0: polled. */
int virtio_pci_msix(const struct virtio_dev *d, unsigned int q);

#endif
