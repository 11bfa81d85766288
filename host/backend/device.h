/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * One virtio device in a slot of the ABI device table (struct
 * kspawn_device), device side: the status state machine (ACKNOWLEDGE,
 * DRIVER, FEATURES_OK, DRIVER_OK, NEEDS_RESET, FAILED), feature
 * negotiation, queue setup, reset, and the per-type work (blk.c, net.c).
 *
 * The slot is in shared memory: the guest may write any field at any time.
 * kb_device_poll() reads what it needs once and acts on its own copy.
 */
#ifndef KB_DEVICE_H
#define KB_DEVICE_H

#include "abi/kspawn_abi.h"
#include "vq.h"

/* The transport features every device offers besides its own. */
#define KB_F_TRANSPORT ((1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
			(1ULL << VIRTIO_RING_F_EVENT_IDX) | \
			(1ULL << VIRTIO_F_VERSION_1) | \
			(1ULL << VIRTIO_F_ANY_LAYOUT) | \
			(1ULL << VIRTIO_F_RING_PACKED))

struct kb_device;

/* What the platform (module or hosted) does for a device. */
struct kb_device_ops {
	/* Interrupt the driver: an IPI with this vector to the guest. */
	void (*notify)(void *ctx, uint32_t vector);
};

/* What a device type provides. */
struct kb_device_class {
	const char *name;
	uint32_t device_id;		/* VIRTIO_ID_* */
	uint32_t num_queues;
	uint16_t queue_size_max;
	uint64_t features;		/* device bits; transport ones added */
	/* bit q: kicks on queue q always bring the thread work */
	uint32_t kick_queues;
	/*
	 * Optional: may the driver have this subset of what was offered?
	 * For dependencies between a class's own bits (virtio 1.x, 5.1.3.1
	 * for net); 0 refuses FEATURES_OK.
	 */
	int (*features_ok)(uint64_t features);
	/*
	 * Optional: kicks the class wants for now besides kick_queues' (net:
	 * a receive queue the host waits on for more buffers, and the
	 * transmit queues), on and off with the others; kicks_on returns 1
	 * if work came meanwhile.
	 */
	int (*kicks_on)(struct kb_device *d);
	void (*kicks_off)(struct kb_device *d);
	/* Serve the live queues, at most budget chains; returns chains done. */
	int (*work)(struct kb_device *d, int budget);
	void (*reset)(struct kb_device *d);
};

struct kb_device {
	struct kspawn_device *slot;	/* shared, untrusted */
	const struct kb_region *r;
	const struct kb_device_class *cls;
	const struct kb_device_ops *ops;
	void *ctx;			/* for ops */
	void *priv;			/* for cls */
	uint64_t features;		/* negotiated */
	uint64_t withheld;		/* class bits not offered here */
	/* status and live: read by the doorbell's handler too (KB_WRITE) */
	uint8_t status;			/* what we last acted on */
	int live;			/* queues set up, DRIVER_OK accepted */
	/* bit q: queue q set up; read by the doorbell's handler too */
	uint32_t queues_up;
	int broken;			/* NEEDS_RESET until the driver resets */
	/* broken by a violation: the guest's status is to show NEEDS_RESET */
	int needs_reset;
	struct kb_vq vq[KSPAWN_MAX_QUEUES];
	uint32_t vector[KSPAWN_MAX_QUEUES];
	struct kb_chain chain;		/* scratch for the work functions */
	uint64_t violations;
	/* Status changes acted on: resets, negotiation, queue set-up. */
	uint64_t transitions;
};

/* Fill the slot for this device; the driver finds it there. */
void kb_device_init(struct kb_device *d, struct kspawn_device *slot,
		    const struct kb_region *r, const struct kb_device_class *cls,
		    void *priv, const struct kb_device_ops *ops, void *ctx);

/*
 * Offer none of bits (the class's) on this device: its store cannot serve
 * them.  After kb_device_init(), before the guest starts.
 */
void kb_device_withhold(struct kb_device *d, uint64_t bits);

/* Follow the driver's status and serve the queues; returns work done. */
int kb_device_poll(struct kb_device *d, int budget);

/*
 * Kicks from the driver on the queues that want them (kb_vq_kicks_off/on
 * for each): off while the platform polls the device, on before it
 * sleeps; kb_device_kicks_on() returns 1 if work came meanwhile.
 */
void kb_device_kicks_off(struct kb_device *d);
int kb_device_kicks_on(struct kb_device *d);

/*
 * Which queues the driver kicked since the last call: bit q for each
 * queue set up (queues_up) whose notify word changed, seen[] holding the words last read
 * (the caller's, one per queue); *extra grows by the kicks beyond one a
 * queue (at most 16 each), whose rings may come later and find nothing
 * new.  A hint, read once each: the guest writes the words, and a lie
 * costs it only a look at its own queues.
 */
uint32_t kb_device_notified(const struct kb_device *d, uint32_t *seen,
			    uint32_t *extra);

/*
 * Did the driver change the status or ask for a reset since the last
 * kb_device_poll() acted?  A hint, as above (racing the poll).
 */
int kb_device_status_changed(const struct kb_device *d);

/*
 * For the work functions: the next chain of queue q (1/0/-1 as kb_vq_pop,
 * -1 after marking the device NEEDS_RESET, or once it is broken), return
 * one, interrupt.  A broken device neither pops, pushes nor interrupts.
 */
int kb_device_pop(struct kb_device *d, unsigned int q, struct kb_chain *c);
void kb_device_push(struct kb_device *d, unsigned int q,
		    const struct kb_chain *c, uint32_t len);
/* The same for a batch of one-buffer chains (kb_vq_pop_bufs()). */
int kb_device_pop_bufs(struct kb_device *d, unsigned int q, struct kb_buf *b,
		       int n);
void kb_device_push_bufs(struct kb_device *d, unsigned int q,
			 const struct kb_buf *b, int n);
void kb_device_kick(struct kb_device *d, unsigned int q);
void kb_device_violation(struct kb_device *d, const char *why);

#endif
