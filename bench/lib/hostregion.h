/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What blkhosted and nethosted share: a guest with no machine around it.
 * One malloc'd region that the guest's virtio driver (lib/virtio.c, over
 * the hosted platform of guest/hosted/virtio_hosted.c) and the host's
 * backend both address (as guest-physical memory from base), the device's
 * slot, and the backend's polling thread on CPU 1 while the driver polls
 * on CPU 0, as in tests/hosted.
 */
#ifndef BENCH_HOSTREGION_H
#define BENCH_HOSTREGION_H

#include <stdatomic.h>
#include <stdint.h>

#include "bench/lib/hostbench.h"
#include "host/backend/device.h"
#include "host/backend/region.h"
#include "hosted/virtio_hosted.h"

/*
 * Cache-line aligned, so on lines of its own: both threads read it all
 * through the run, and a line shared with something either one writes (a
 * device's state, a queue's) would bounce between the CPUs.  Sharing one
 * with the device's state cost nethosted 15 to 25% of its pps.
 */
struct hostregion {
	uint8_t *mem;			/* the region, as the driver sees it */
	struct kb_region kr;		/* the same, as the backend sees it */
	struct kspawn_device slot;
	struct kb_device *dev;		/* the one device on slot */
	struct hb_peer poller;
	atomic_int stop;
	/* The driver's; its queues are vd.vq[]. */
	struct virtio_dev vd __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/* For the backend: both sides poll, so nobody is ever interrupted. */
extern const struct kb_device_ops hr_dev_ops;

/*
 * bytes of zeroed memory at guest-physical base, the driver's rings from
 * rings_off on; 0, or -1 if out of memory.  One region at a time (see
 * guest/hosted/virtio_hosted.h).
 */
int hr_alloc(struct hostregion *h, uint64_t base, uint32_t bytes,
	     uint32_t rings_off);
void hr_free(struct hostregion *h);

/*
 * The guest's driver brings dev (initialised on h->slot) up:
 * hr_negotiate() up to FEATURES_OK, asking for the packed layout or not,
 * and sets up nq queues of size entries (h->vd.vq[]); hr_driver_ok()
 * last.  Both return 0, or -1 with what went wrong on stderr.
 */
int hr_negotiate(struct hostregion *h, struct kb_device *dev, int packed,
		 unsigned int nq, uint16_t size);
int hr_driver_ok(struct hostregion *h);

/* The backend's thread on CPU 1 polling dev, the caller on CPU 0. */
void hr_start(struct hostregion *h, const char *prog);
void hr_stop(struct hostregion *h);

/* Did the device give up on the driver (a violation: NEEDS_RESET)? */
static inline int hr_broken(struct hostregion *h)
{
	return virtio_broken(&h->vd);
}

#endif
