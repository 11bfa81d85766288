/*
 * What the device-level hosted programs share (device_hostile.c: a
 * driver breaking the request rules; device_status.c: the status
 * machine; device_hints.c: what the doorbell reads): one region with a
 * slot on it, a blk and a net device, the guest's own driver
 * (guest/lib/virtio.c) bringing them up, and a blk request made by hand.
 * The device is polled by hand.
 */
#ifndef TESTS_HOSTED_DEVICE_HARNESS_H
#define TESTS_HOSTED_DEVICE_HARNESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "host/backend/blk.h"
#include "host/backend/net.h"
#include "hosted/virtio_hosted.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (8u << 20)
#define DISK_BYTES (64u << 20)	/* seg_max segments of size_max fit */
#define QSIZE 256
#define REQ_OFF 0x100000
#define DATA_OFF 0x200000

extern uint8_t *region;
extern struct kb_region kr;
extern struct kspawn_device slot;
extern struct kb_blk blk;
extern struct kb_net net;
extern struct virtio_dev vd;
extern void *ram;			/* the blk device's disk */
/* Interrupts the devices asked for, and those with a vector outside 32..255. */
extern atomic_ulong bad_vectors, config_irqs;
extern const uint8_t mac[6];		/* the net device's */
extern const struct kb_device_ops ops;	/* counts the interrupts */

/* The region and the disk, once per program; freed by harness_end(). */
void harness_start(void);
void harness_end(void);
/* The region and the slot zeroed, for a device initialised afresh. */
void fresh(void);
/* All of the handshake but DRIVER_OK: features accepted, queues [0, nq) given. */
int handshake_but_ready(struct kb_device *d, int packed, uint32_t nq);
/* The whole handshake with queues [0, nq) set up; 0 once live. */
int bring_up_queues(struct kb_device *d, int packed, uint32_t nq);
/* The same with every queue the device has. */
int bring_up(struct kb_device *d, int packed);
/* A fresh blk (RAM, DISK_BYTES) or net (loopback) device, live: 0. */
int blk_up(int packed);
int net_up(int packed);
/* The 32-bit field of the blk device's config at off. */
uint32_t blk_config(size_t off);
/*
 * A blk request of nseg data segments of seglen bytes each, as few
 * descriptors as that allows (ANY_LAYOUT): the header shares the first
 * data segment (OUT), the status byte the last one (IN).  Returns the
 * status the device wrote, or -1 if the request did not come back.
 */
int blk_request(uint32_t type, uint32_t nseg, uint32_t seglen);

#endif
