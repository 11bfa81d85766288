/*
 * Virtio devices the host put in the ABI device table (struct
 * kspawn_device in the shared area): finding them, the status and feature
 * handshake, queue setup with an interrupt vector each, and the doorbell.
 */
#ifndef KERN_VIRTIO_H
#define KERN_VIRTIO_H

#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "abi/kspawn_abi.h"
#include "lib/virtq.h"

struct virtio_dev;
typedef void (*virtio_irq_fn)(struct virtio_dev *d, unsigned int q);

struct virtio_dev {
	struct kspawn_device *slot;
	uint64_t features;		/* negotiated */
	struct virtq vq[KSPAWN_MAX_QUEUES];
	virtio_irq_fn on_irq[KSPAWN_MAX_QUEUES];
	void *priv;
};

struct cmdline;

/* Kernel options: vring=packed asks for packed rings when offered. */
void virtio_init(const struct cmdline *c);

/* The n-th device of this VIRTIO_ID in the table, or NULL. */
struct kspawn_device *virtio_find(uint32_t device_id, unsigned int n);

/*
 * ACKNOWLEDGE, DRIVER, features (ours & the device's, VERSION_1 required),
 * FEATURES_OK.  Returns 0, or -1 (device set FAILED) with a console line.
 */
int virtio_start(struct virtio_dev *d, struct kspawn_device *slot,
		 uint64_t wanted);

/* Set up queue q with size entries (or the device's maximum). */
int virtio_queue(struct virtio_dev *d, unsigned int q, uint16_t size,
		 virtio_irq_fn on_irq);

/* DRIVER_OK: the device may use the queues now. */
void virtio_ready(struct virtio_dev *d);

/* Ring the doorbell of queue q (after virtq_publish said so). */
void virtio_kick(struct virtio_dev *d, unsigned int q);

/* Has the device asked to be reset (it found the driver misbehaving)? */
int virtio_broken(const struct virtio_dev *d);

#endif
