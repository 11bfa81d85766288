/*
 * The driver side of a virtio device, portable: the status handshake,
 * feature negotiation and queue setup, written once.  Two tables plug it
 * in:
 *
 *  - a transport, how the device is reached (virtio 1.x, 4): the slot of
 *    the ABI device table (virtio_slot.c) in a spawned guest, virtio-pci
 *    (virtio_pci.c: capabilities, MSI-X) in one booted alone under QEMU;
 *  - a platform, what the driver's machine gives it: memory the device
 *    can reach, a way to let time pass, interrupt vectors.  The guest
 *    kernel is one (kern/virtio.c); the hosted tests, benchmarks and
 *    fuzzers another (guest/hosted/virtio_hosted.c).
 *
 * Bringing a device up (virtio 1.x, 3.1.1):
 *
 *	virtio_slot_attach(&d, slot, &platform);
 *	if (virtio_start(&d, wanted))		reset, ACKNOWLEDGE, DRIVER,
 *		...				features, FEATURES_OK
 *	virtio_queue(&d, 0, 0, on_irq);		each queue the driver uses
 *	virtio_ready(&d);			DRIVER_OK
 */
#ifndef LIB_VIRTIO_H
#define LIB_VIRTIO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "abi/kspawn_abi.h"
#include "lib/virtq.h"

struct virtio_dev;
typedef void (*virtio_irq_fn)(struct virtio_dev *d, unsigned int q);

struct virtio_platform {
	/* bytes of zeroed, 4 KiB aligned memory the device can reach */
	void *(*alloc)(size_t bytes);
	/* an address of that memory as the device names it */
	virtq_addr_fn addr;
	/* let about a millisecond pass, while the device answers */
	void (*wait)(struct virtio_dev *d);
	/*
	 * a vector whose interrupt calls d->on_irq[q] (q a queue, or
	 * VDEV_CONFIG_IRQ); 0 if none (or NULL)
	 */
	uint32_t (*irq_vector)(struct virtio_dev *d, unsigned int q);
	/*
	 * Ring the host's doorbell (NULL: the host polls).  The slot
	 * transport rings it after a kick the driver was asked for and after
	 * every status change, so that a host asleep in between sees both.
	 */
	void (*doorbell)(struct virtio_dev *d);
	/*
	 * A line for whoever reads the console (NULL: none): why the driver
	 * refused what the device gave it.
	 */
	void (*say)(struct virtio_dev *d, const char *line);
};

struct virtio_transport_ops {
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d);
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	/* Set FEATURES_OK; 1 once the device kept it, 0 if it refused. */
	int (*features_ok)(struct virtio_dev *d);
	void (*read_config)(struct virtio_dev *d, unsigned int off, void *buf,
			    unsigned int len);
	/* Queue q's largest size; 0 if the device has no queue q. */
	uint16_t (*queue_max)(struct virtio_dev *d, unsigned int q);
	/*
	 * Give the device queue q: its size, the addresses of its rings
	 * (split: descriptors, available, used; packed: the ring, driver
	 * and device event areas) and its interrupt vector (0: none).
	 */
	void (*queue_setup)(struct virtio_dev *d, unsigned int q,
			    uint16_t size, uint64_t desc, uint64_t driver,
			    uint64_t device, uint32_t vector);
	void (*notify)(struct virtio_dev *d, unsigned int q);
	/*
	 * Reset the device and wait, however long, until it says it is
	 * done: from then on it reads and writes none of the rings and
	 * buffers it was given.
	 */
	void (*reset)(struct virtio_dev *d);
	/*
	 * The vector of the device's configuration-change interrupt (0:
	 * none); NULL if the transport cannot send one (virtio-pci here).
	 */
	void (*config_vector)(struct virtio_dev *d, uint32_t vector);
};

/* on_irq's index of the configuration-change interrupt. */
#define VDEV_CONFIG_IRQ KSPAWN_MAX_QUEUES

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	const struct virtio_platform *plat;
	void *priv;			/* the transport's: its device */
	uint64_t features;		/* negotiated */
	struct virtq vq[KSPAWN_MAX_QUEUES];
	virtio_irq_fn on_irq[KSPAWN_MAX_QUEUES + 1];	/* queues, config */
};

/*
 * Reset (virtio_reset: until the device has), ACKNOWLEDGE, DRIVER, the
 * features we want that the device has
 * (VERSION_1 required), FEATURES_OK.  Returns 0; or, with the device set
 * FAILED, -1 if it lacks VERSION_1, -2 if it refused the features.
 */
int virtio_start(struct virtio_dev *d, uint64_t wanted);

/*
 * Set up queue q with size entries (0 or too many: the device's maximum),
 * ring memory from the platform, interrupts to on_irq if given.  0; -1 if
 * the device has no queue q or memory ran out; -2, said through the
 * platform and the queue left alone, if a split ring would not be a
 * power of two in size (the device's maximum or the size asked for).
 */
int virtio_queue(struct virtio_dev *d, unsigned int q, uint16_t size,
		 virtio_irq_fn on_irq);

/* The size virtio_queue() would give queue q when asked for size (0: none). */
uint16_t virtio_queue_size(struct virtio_dev *d, unsigned int q,
			   uint16_t size);

/*
 * The device's configuration-change interrupt (a config rewritten, or
 * NEEDS_RESET set: virtio 1.x, 2.1.2) to fn(d, VDEV_CONFIG_IRQ).
 * After virtio_start(), whose reset may clear it.  0; -1 if the
 * transport or the platform gives none (the driver keeps looking).
 */
int virtio_config_irq(struct virtio_dev *d, virtio_irq_fn fn);

/* DRIVER_OK: the device may use the queues now. */
void virtio_ready(struct virtio_dev *d);

/*
 * FAILED: the driver gave up on the device during setup (virtio 1.x,
 * 3.1.1), so that it need not wait for a DRIVER_OK that will not come.
 * virtio_open() and virtio_start() set it themselves when they fail.
 */
void virtio_fail(struct virtio_dev *d);

/*
 * Reset the device and return only once it has reset (without bound:
 * until then it may still write into what its rings point at, so the
 * memory cannot be given back).  The queues are then the driver's alone;
 * using the device again takes virtio_start() and new queues.
 */
static inline void virtio_reset(struct virtio_dev *d)
{
	d->ops->reset(d);
}

/* Ring the doorbell of queue q (after virtq_publish said so). */
static inline void virtio_kick(struct virtio_dev *d, unsigned int q)
{
	d->ops->notify(d, q);
}

/* Has the device asked to be reset (it found the driver misbehaving)? */
static inline int virtio_broken(struct virtio_dev *d)
{
	return !!(d->ops->get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static inline void virtio_config(struct virtio_dev *d, unsigned int off,
				 void *buf, unsigned int len)
{
	d->ops->read_config(d, off, buf, len);
}

static inline int virtio_has(const struct virtio_dev *d, unsigned int bit)
{
	return !!(d->features & (1ULL << bit));
}

/* The slot transport (virtio_slot.c). */

/* The n-th device of this VIRTIO_ID_* in h's device table, or NULL. */
struct kspawn_device *virtio_slot_find(struct kspawn_header *h,
				       uint32_t device_id, unsigned int n);

/* d drives slot's device. */
void virtio_slot_attach(struct virtio_dev *d, struct kspawn_device *slot,
			const struct virtio_platform *plat);

/* The slot d drives, or NULL if d has another transport. */
struct kspawn_device *virtio_slot_of(struct virtio_dev *d);

#endif
