/*
 * The virtio driver's platform (lib/virtio.h) with no machine around it,
 * for the hosted tests, fuzzers and benchmarks: ring memory from one
 * malloc'd region that the driver and a host/backend device both address,
 * as guest-physical memory from base; and, while no thread of its own
 * polls the device, a wait that polls it once (so a single thread can
 * bring a device up through the shipped driver code).
 *
 *	vh_region(mem, base, bytes, rings_off);
 *	virtio_slot_attach(&d, &slot, KSPAWN_ABI_MINOR, &vh_platform);
 *	vh_poll(&blk.dev);
 *	virtio_start(&d, ~0ULL) ...
 */
#ifndef HOSTED_VIRTIO_H
#define HOSTED_VIRTIO_H

#include <stdint.h>

#include "host/backend/device.h"
#include "lib/virtio.h"

extern const struct virtio_platform vh_platform;

/*
 * The region: bytes at mem, guest-physical base; rings are allocated from
 * rings_off on, in the order the queues are set up.  One region at a
 * time: the driver's address translation takes no context.
 */
void vh_region(uint8_t *mem, uint64_t base, uint64_t bytes,
	       uint64_t rings_off);

/* va's guest-physical address (virtq_addr_fn). */
uint64_t vh_gpa(const void *va);

/* The device the driver's waits poll; NULL once a thread polls it. */
void vh_poll(struct kb_device *dev);

#endif
