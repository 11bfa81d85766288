/*
 * Virtio devices the host put in the ABI device table, for the kernel's
 * drivers: lib/virtio.c does the handshake and queue setup over the slot
 * transport (lib/virtio_slot.c); this gives it the kernel's pages,
 * sleeps and interrupt vectors.  Booted alone (no device table), the
 * devices are QEMU's virtio-pci functions (lib/virtio_pci.c).
 */
#ifndef KERN_VIRTIO_H
#define KERN_VIRTIO_H

#include <stdint.h>

#include "lib/virtio.h"

struct cmdline;

/*
 * Kernel options: vring=packed asks for packed rings when offered;
 * indirect=off keeps chains in the ring even where the device offers
 * indirect tables (VIRTIO_RING_F_INDIRECT_DESC); doorbell=off leaves the
 * host's doorbell alone (the host then polls).
 */
void virtio_init(const struct cmdline *c);

/* Ring the host's doorbell; -1 if this guest has none (the host polls). */
int virtio_ring_host(void);

/*
 * Attach d to the first device of this VIRTIO_ID_* and negotiate the
 * wanted features (lib/virtio.h, virtio_start).  0, or -1 if there is no
 * such device or it failed (with a console line).
 */
int virtio_open(struct virtio_dev *d, uint32_t device_id, uint64_t wanted);

/*
 * Booted alone: each virtio-pci queue's MSI-X interrupt count, one
 * console line each (guest_exit() prints them before QEMU ends).
 */
void virtio_pci_report(void);

#endif
