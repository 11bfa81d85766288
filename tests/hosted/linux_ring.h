/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Linux's virtio driver ring (drivers/virtio/virtio_ring.c from Debian's
 * linux-source-6.1, built in user space with the shims of its
 * tools/virtio) as the driver of a kspawn device slot: a small transport
 * in the place of virtio_pci or virtio_mmio.  linux_ring.c is compiled
 * against Linux's headers, the tests against ours; this header is all
 * they share, so that neither sees the other's names.
 *
 * Everything the driver hands the device lives in one region
 * (lr_mem_init): virtio_ring.c's allocations, rings and indirect tables
 * included, are redirected there by linux_ring_shim.h, and a guest
 * physical address is the host virtual address, as in tools/virtio.
 */
#ifndef LINUX_RING_H
#define LINUX_RING_H

#include <stddef.h>
#include <stdint.h>

#include "abi/kspawn_abi.h"

/* The region, its allocator (zeroed memory, 16-byte aligned, page
 * aligned from a page up; freed memory poisoned under ASan). */
void lr_mem_init(void *base, size_t size);
void *lr_mem_alloc(size_t size);
void lr_mem_free(void *p);
size_t lr_mem_in_use(void);

struct lr_dev;
struct lr_vq;

struct lr_buf {
	void *p;
	uint32_t len;
};

/* What the driver negotiates on top of the device's own bits. */
struct lr_opts {
	uint64_t device_bits;	/* device-type features the test drives */
	int packed, event_idx, indirect;
};

/*
 * Reset, ACKNOWLEDGE, DRIVER, features (the offer filtered by Linux's
 * vring_transport_features() and opts), FEATURES_OK, waiting for the
 * device's answer.  NULL with why filled on refusal or timeout.
 */
struct lr_dev *lr_dev_open(struct kspawn_device *slot,
			   const struct lr_opts *opts, char *why, size_t n);
uint64_t lr_dev_features(const struct lr_dev *d);
/* Queue index with vring_create_virtqueue(), num entries at most. */
struct lr_vq *lr_vq_setup(struct lr_dev *d, unsigned int index,
			  unsigned int num);
void lr_dev_driver_ok(struct lr_dev *d);
/* Reset the device (status 0), wait for it, free the rings. */
void lr_dev_close(struct lr_dev *d);

/* The device's interrupt (kb_device_ops.notify): from any thread. */
void lr_notify(struct lr_dev *d, uint32_t vector);
/*
 * The driver's interrupt handler: wait up to timeout_ms for interrupts,
 * run vring_interrupt() for each queue that had one.  Returns how many,
 * 0 on timeout.
 */
int lr_wait_irq(struct lr_dev *d, int timeout_ms);

/* Queues with an interrupt not yet run by lr_wait_irq(), as a mask. */
unsigned int lr_irq_pending(struct lr_dev *d);

/* virtqueue_add_sgs(): 0, or a negative errno (-ENOSPC: full). */
int lr_add(struct lr_vq *q, const struct lr_buf *out, unsigned int nout,
	   const struct lr_buf *in, unsigned int nin, void *cookie);
void lr_kick(struct lr_vq *q);
void *lr_get(struct lr_vq *q, uint32_t *len);
/* virtqueue_enable_cb(_delayed): 1 if nothing is pending (may sleep). */
int lr_enable_cb(struct lr_vq *q, int delayed);
void lr_disable_cb(struct lr_vq *q);
int lr_broken(struct lr_vq *q);
unsigned int lr_vq_size(struct lr_vq *q);

struct lr_stats {
	uint64_t kicks;		/* notify() calls: the device kicked */
	uint64_t irqs;		/* vring_interrupt() found work */
	uint64_t irqs_none;	/* it found none: a spurious interrupt */
	uint64_t enables;	/* lr_enable_cb() calls */
};
void lr_vq_stats(struct lr_vq *q, struct lr_stats *s);

#endif
