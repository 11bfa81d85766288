// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The device side of a packed virtqueue (virtio 1.1, section 2.8), when
 * VIRTIO_F_RING_PACKED is negotiated.  One ring of descriptors that the
 * driver marks available and the device marks used in place, each side
 * tracking a wrap counter.  Same rules as the split ring: every field read
 * once, every buffer translated, chains bounded in descriptors (ring slots
 * or indirect entries), one level of indirection.
 */
#include "vq.h"

#define F_AVAIL (1U << 7)
#define F_USED (1U << 15)
#define EVENT_DISABLE 1

struct packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

/* Event suppression areas: {off_wrap, flags}. */
#define EVENT_OFF_WRAP 0
#define EVENT_FLAGS 1
#define EVENT_DESC 2
#define EVENT_OFF_MASK 0x7fff
#define EVENT_WRAP 0x8000

static struct packed_desc *ring(struct kb_vq *vq)
{
	return (struct packed_desc *)vq->desc;
}

int kb_vq_setup_packed(struct kb_vq *vq, const struct kb_region *r,
		       uint16_t size, uint64_t ring_addr, uint64_t driver_event,
		       uint64_t device_event)
{
	memset(vq, 0, sizeof(*vq));
	vq->r = r;
	vq->packed = 1;
	if (!size || size > KB_QUEUE_MAX || (size & (size - 1)))
		return kb_vq_fail(vq, "queue size not a power of two up to the maximum");
	if ((ring_addr & 15) || (driver_event & 3) || (device_event & 3))
		return kb_vq_fail(vq, "misaligned ring");
	vq->desc = kb_translate(r, ring_addr, 16ULL * size);
	vq->avail = kb_translate(r, driver_event, 4);
	vq->used = kb_translate(r, device_event, 4);
	if (!vq->desc || !vq->avail || !vq->used)
		return kb_vq_fail(vq, "ring outside the guest's region");
	vq->size = size;
	vq->avail_wrap = 1;
	vq->used_wrap = 1;
	/* The backend polls: kicks are not needed. */
	KB_WRITE(vq->used[EVENT_FLAGS], EVENT_DISABLE);
	return 0;
}

static int is_avail(uint16_t flags, int wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) != wrap;
}

static void advance(struct kb_vq *vq, uint16_t *pos, int *wrap)
{
	if (++*pos == vq->size) {
		*pos = 0;
		*wrap = !*wrap;
	}
}

static int walk_indirect(struct kb_vq *vq, struct kb_chain *c,
		    const struct packed_desc *d)
{
	const struct packed_desc *t;
	uint32_t n;

	if (d->flags & KB_DESC_F_NEXT)
		return kb_vq_fail(vq, "indirect descriptor with NEXT set");
	if (!d->len || d->len % sizeof(*t) ||
	    d->len / sizeof(*t) > KB_MAX_INDIRECT)
		return kb_vq_fail(vq, "indirect table of a bad size");
	if (d->addr % sizeof(*t))
		return kb_vq_fail(vq, "misaligned indirect table");
	t = kb_translate(vq->r, d->addr, d->len);
	if (!t)
		return kb_vq_fail(vq, "indirect table outside the guest's region");
	n = d->len / sizeof(*t);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t flags = KB_READ(t[i].flags);

		if (flags & KB_DESC_F_INDIRECT)
			return kb_vq_fail(vq, "nested indirect table");
		if (kb_vq_add_seg(vq, c, KB_READ(t[i].addr), KB_READ(t[i].len),
				  !!(flags & KB_DESC_F_WRITE)))
			return -1;
	}
	return 0;
}

int kb_vq_pop_packed(struct kb_vq *vq, struct kb_chain *c)
{
	uint16_t pos = vq->last_avail, flags;
	int wrap = vq->avail_wrap;
	struct packed_desc d;

	/* Acquire: the descriptors behind the first one's flags. */
	flags = KB_LOAD_ACQUIRE(ring(vq)[pos].flags);
	if (!is_avail(flags, wrap))
		return 0;
	c->nseg = 0;
	c->out_len = 0;
	c->in_len = 0;
	c->ndesc = 0;
	for (;;) {
		d.addr = KB_READ(ring(vq)[pos].addr);
		d.len = KB_READ(ring(vq)[pos].len);
		d.id = KB_READ(ring(vq)[pos].id);
		d.flags = c->ndesc ? KB_READ(ring(vq)[pos].flags) : flags;
		/* A valid chain fits the ring: more is garbage or a loop. */
		if (++c->ndesc > vq->size)
			return kb_vq_fail(vq, "descriptor chain longer than the ring");
		if (d.flags & KB_DESC_F_INDIRECT) {
			if (c->ndesc > 1)
				return kb_vq_fail(vq, "indirect descriptor inside a chain");
			if (walk_indirect(vq, c, &d))
				return -1;
		} else if (kb_vq_add_seg(vq, c, d.addr, d.len,
					 !!(d.flags & KB_DESC_F_WRITE))) {
			return -1;
		}
		advance(vq, &pos, &wrap);
		if (!(d.flags & KB_DESC_F_NEXT))
			break;
	}
	c->head = d.id;
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	return 1;
}

void kb_vq_push_packed(struct kb_vq *vq, const struct kb_chain *c,
		       uint32_t len)
{
	struct packed_desc *d = &ring(vq)[vq->next_used];
	uint16_t flags = vq->used_wrap ? F_AVAIL | F_USED : 0;

	KB_WRITE(d->id, c->head);
	KB_WRITE(d->len, len);
	/* Release: the id, length and written data before the flags. */
	KB_STORE_RELEASE(d->flags, flags);
	for (uint16_t i = 0; i < c->ndesc; i++) {
		uint16_t p = vq->next_used;
		int w = vq->used_wrap;

		advance(vq, &p, &w);
		vq->next_used = p;
		vq->used_wrap = w;
	}
	/* Ring slots, not chains: the driver's event offset names a slot. */
	vq->used_idx = (uint16_t)(vq->used_idx + c->ndesc);
}

/*
 * The driver's event suppression: DISABLE, ENABLE, or DESC (with
 * VIRTIO_F_EVENT_IDX): only when the slot at off_wrap has been used, as
 * a split ring's used_event.  used_idx counts slots from 0 modulo 2^16,
 * a multiple of the size, so the slot is at the start of the current lap
 * plus its offset, or a lap before if its wrap counter is not ours.
 */
int kb_vq_should_notify_packed(struct kb_vq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, flags, off_wrap;
	uint16_t event;

	if (old == now)
		return 0;
	kb_mb();
	vq->signalled_used = now;
	flags = KB_LOAD_ACQUIRE(vq->avail[EVENT_FLAGS]);
	if (flags != EVENT_DESC)
		return flags != EVENT_DISABLE;
	off_wrap = KB_READ(vq->avail[EVENT_OFF_WRAP]);
	event = (uint16_t)(now - vq->next_used + (off_wrap & EVENT_OFF_MASK));
	if (!!(off_wrap & EVENT_WRAP) != vq->used_wrap)
		event = (uint16_t)(event - vq->size);
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}
