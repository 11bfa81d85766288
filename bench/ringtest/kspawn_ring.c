// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kspawn's virtqueue behind Linux's tools/virtio/ringtest API (its
 * main.h), to be linked with ringtest's main.c from Debian's
 * linux-source-6.1: the guest side is guest/lib/virtq.c and
 * virtq_in_order.c (or virtq_packed.c with -DKSPAWN_RING_PACKED), the
 * host side host/backend/vq.c (vq_packed.c), both as they are, over one
 * region that the device translates and bounds-checks like a guest's.
 *
 * What this file adds is only what ringtest's API has and kspawn's does
 * not:
 * - ringtest's buffers are zero-length and outside any region; kspawn's
 *   device refuses both, so each request carries a one-byte
 *   device-writable buffer in the region, in a slot that also keeps
 *   ringtest's buf and data pointers (get_buf returns them);
 * - used_empty() and avail_empty() ask "is there one?", kspawn's API
 *   only takes one: the one taken is kept for the next get_buf() or
 *   use_buf();
 * - kspawn's driver publishes each add and learns at once whether the
 *   device wants a kick (virtq_publish); kick_available() sends one if
 *   any publish since the last asked for it;
 * - kspawn's backend polls and never sleeps: on a packed ring it tells
 *   the driver not to kick, once, at setup.  ringtest's --sleep mode
 *   needs kicks, so enable_kick()/disable_kick() write the device event
 *   flags here (a split ring's device already writes avail_event when it
 *   finds the ring drained).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"
#include "lib/virtq.h"
#include "host/backend/vq.h"

struct slot {
	void *buf, *data;	/* ringtest's */
	uint8_t byte[16];	/* what the device writes to: one byte */
};

static uint8_t *region;
static struct kb_region kr;
static struct virtq q;		/* guest side */
static struct kb_vq vq;		/* host side */
static struct slot *slots;
static unsigned int *free_slot, nfree;
static int kick_wanted;

/* Taken by used_empty() / avail_empty(), not yet handed out. */
static struct slot *used_stash;
static uint32_t used_stash_len;
static struct kb_chain chain;
static int have_chain;

/* Notifications sent and sleeps taken, printed at exit with RINGTEST_STATS. */
static unsigned long calls, kicks, guest_sleeps, host_sleeps;

static void __attribute__((destructor)) stats(void)
{
	if (getenv("RINGTEST_STATS"))
		fprintf(stderr, "kspawn ring: %lu calls, %lu guest sleeps, %lu kicks, %lu host sleeps\n",
			calls, guest_sleeps, kicks, host_sleeps);
}

static uint64_t gpa(const void *va)
{
	return (uint64_t)(uintptr_t)va;
}

static void die(const char *what)
{
	fprintf(stderr, "kspawn ring: %s\n", what);
	exit(3);
}

void alloc_ring(void)
{
	size_t ring, bytes;
	void **cookies = calloc(ring_size, sizeof(*cookies));

#ifdef KSPAWN_RING_PACKED
	if (ring_size > VQ_PACKED_MAX)
		die("ring size above VQ_PACKED_MAX");
	ring = virtq_packed_bytes((uint16_t)ring_size);
#else
	if (ring_size > KB_QUEUE_MAX)
		die("ring size above KB_QUEUE_MAX");
	ring = virtq_bytes((uint16_t)ring_size);
#endif
	bytes = ring + ring_size * sizeof(struct slot);
	bytes = (bytes + 4095) & ~(size_t)4095;
	region = aligned_alloc(4096, bytes);
	free_slot = calloc(ring_size, sizeof(*free_slot));
	if (!region || !free_slot || !cookies)
		die("out of memory");
	memset(region, 0, bytes);
	kr = (struct kb_region){ region, gpa(region), bytes };
	slots = (struct slot *)(region + ring);
	for (unsigned int i = 0; i < ring_size; i++)
		free_slot[nfree++] = i;
#ifdef KSPAWN_RING_PACKED
	virtq_init_packed(&q, (uint16_t)ring_size, region, cookies, gpa, 1);
	if (kb_vq_setup_packed(&vq, &kr, (uint16_t)ring_size, gpa(q.ring),
			       gpa(q.driver_event), gpa(q.device_event), 1))
		die(vq.error);
#else
	virtq_init(&q, (uint16_t)ring_size, region, cookies, gpa, 1);
	if (kb_vq_setup(&vq, &kr, (uint16_t)ring_size, gpa(q.desc),
			gpa(q.avail), gpa(q.used), 1))
		die(vq.error);
#endif
}

/* guest side */
int add_inbuf(unsigned int len, void *buf, void *datap)
{
	struct virtq_buf in;
	struct slot *s;

	(void)len;
	if (!nfree)
		return -1;
	s = &slots[free_slot[--nfree]];
	s->buf = buf;
	s->data = datap;
	in = (struct virtq_buf){ s->byte, 1 };
	if (virtq_add(&q, NULL, 0, &in, 1, s)) {
		nfree++;
		return -1;
	}
	kick_wanted |= virtq_publish(&q);
	return 0;
}

static struct slot *take_used(uint32_t *len)
{
	struct slot *s = used_stash;

	if (s) {
		used_stash = NULL;
		*len = used_stash_len;
		return s;
	}
	return virtq_get(&q, len);
}

void *get_buf(unsigned int *lenp, void **bufp)
{
	uint32_t len;
	struct slot *s = take_used(&len);

	if (!s)
		return NULL;
	*lenp = len;
	*bufp = s->buf;
	free_slot[nfree++] = (unsigned int)(s - slots);
	return s->data;
}

bool used_empty(void)
{
	if (!used_stash)
		used_stash = virtq_get(&q, &used_stash_len);
	return !used_stash;
}

void disable_call(void)
{
	virtq_disarm(&q);
}

bool enable_call(void)
{
	bool sleep = !used_stash && !virtq_arm(&q);

	guest_sleeps += sleep;
	return sleep;
}

void kick_available(void)
{
	if (kick_wanted) {
		kick_wanted = 0;
		kicks++;
		kick();
	}
}

/* host side */
bool avail_empty(void)
{
	int r;

	if (have_chain)
		return false;
	r = kb_vq_pop(&vq, &chain);
	if (r < 0)
		die(vq.error);
	have_chain = r;
	return !r;
}

void disable_kick(void)
{
	kb_vq_kicks_off(&vq);
}

/* True if the host may sleep: kicks on, and still nothing available. */
bool enable_kick(void)
{
	if (have_chain || kb_vq_kicks_on(&vq))
		return false;
	host_sleeps++;
	return true;
}

bool use_buf(unsigned int *lenp, void **bufp)
{
	if (!have_chain && avail_empty())
		return false;
	have_chain = 0;
	*lenp = chain.in_len;
	*bufp = chain.seg[0].p;
	kb_vq_push(&vq, &chain, 0);
	return true;
}

void call_used(void)
{
	if (kb_vq_should_notify(&vq)) {
		calls++;
		call();
	}
}
