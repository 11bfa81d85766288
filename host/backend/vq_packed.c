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

#define F_AVAIL (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1U << VRING_PACKED_DESC_F_USED)

int kb_vq_setup_packed(struct kb_vq *vq, const struct kb_region *r,
		       uint16_t size, uint64_t ring_addr, uint64_t driver_event,
		       uint64_t device_event, int event_idx)
{
	memset(vq, 0, sizeof(*vq));
	vq->r = r;
	vq->packed = 1;
	/* Any size: unlike a split ring, a packed one wraps by counting. */
	if (!size || size > KB_QUEUE_MAX)
		return kb_vq_fail(vq, "queue size not 1 to the maximum");
	if ((ring_addr & 15) || (driver_event & 3) || (device_event & 3))
		return kb_vq_fail(vq, "misaligned ring");
	vq->ring = kb_translate(r, ring_addr, sizeof(*vq->ring) * size);
	vq->driver_event = kb_translate(r, driver_event,
					sizeof(*vq->driver_event));
	vq->device_event = kb_translate(r, device_event,
					sizeof(*vq->device_event));
	if (!vq->ring || !vq->driver_event || !vq->device_event)
		return kb_vq_fail(vq, "ring outside the guest's region");
	vq->size = size;
	vq->event_idx = event_idx;
	vq->avail_wrap = 1;
	vq->used_wrap = 1;
	vq->batch_wrap = 1;
	kb_vq_kicks_off_packed(vq);	/* the device polls until it sleeps */
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

/*
 * A ring position with its wrap counter as one number modulo twice the
 * ring size (the first lap, wrap counter 1, counts from 0): the packed
 * layout's analogue of the split ring's free-running index.
 */
static uint16_t lap_pos(const struct kb_vq *vq, uint16_t pos, int wrap)
{
	return (uint16_t)(pos + (wrap ? 0 : vq->size));
}

/*
 * The slots the driver may make available from (pos, wrap) on: the ring's
 * size less those we took and have not used yet.  A driver may offer only
 * slots we gave back; one that marks a slot of a chain still out as
 * available again (its flags flipped for the next lap) would have us take
 * it twice, and our used slots run a lap past its own.  Nothing is
 * touched out of bounds then, but the ring is broken: said, not followed.
 */
static uint16_t room_at(const struct kb_vq *vq, uint16_t pos, int wrap)
{
	uint32_t at = lap_pos(vq, pos, wrap), used = KB_READ(vq->used_lap);
	/* Lap positions count modulo two laps (no division: a pop's path). */
	uint32_t out = at >= used ? at - used : at + 2u * vq->size - used;

	return out <= vq->size ? (uint16_t)(vq->size - out) : 0;
}

/*
 * Kicks (virtio 1.1, 2.8.10): the device event area says DISABLE while
 * we poll; before we sleep ENABLE, or with EVENT_IDX the exact descriptor
 * whose availability should ring (our next one).
 */
void kb_vq_kicks_off_packed(struct kb_vq *vq)
{
	KB_WRITE(vq->device_event->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

int kb_vq_kicks_on_at_packed(struct kb_vq *vq, const struct kb_vq_pos *p)
{
	uint16_t flags = VRING_PACKED_EVENT_FLAG_ENABLE;

	if (vq->event_idx) {
		KB_WRITE(vq->device_event->off_wrap,
			 (uint16_t)(p->last_avail |
				    (p->avail_wrap << VRING_PACKED_EVENT_F_WRAP_CTR)));
		flags = VRING_PACKED_EVENT_FLAG_DESC;
	}
	/* The offset before the mode that makes the driver read it. */
	KB_STORE_RELEASE(vq->device_event->flags, flags);
	/* Our request before our last look at the ring. */
	kb_mb();
	return is_avail(KB_READ(vq->ring[p->last_avail].flags), p->avail_wrap);
}

int kb_vq_kicks_on_packed(struct kb_vq *vq)
{
	struct kb_vq_pos p;

	kb_vq_save(vq, &p);
	return kb_vq_kicks_on_at_packed(vq, &p);
}

int kb_vq_has_avail_packed(struct kb_vq *vq, const struct kb_vq_pos *p)
{
	return is_avail(KB_LOAD_ACQUIRE(vq->ring[p->last_avail].flags),
			p->avail_wrap);
}

static int walk_indirect(struct kb_vq *vq, struct kb_chain *c,
		    const struct vring_packed_desc *d)
{
	const struct vring_packed_desc *t;
	uint32_t n;

	if (d->flags & VRING_DESC_F_NEXT)
		return kb_vq_fail(vq, "indirect descriptor with NEXT set");
	if (!d->len || d->len % sizeof(*t) ||
	    d->len / sizeof(*t) > KB_MAX_INDIRECT)
		return kb_vq_fail(vq, "indirect table of a bad size");
	if (d->addr % _Alignof(struct vring_packed_desc))	/* as split's */
		return kb_vq_fail(vq, "misaligned indirect table");
	t = kb_translate(vq->r, d->addr, d->len);
	if (!t)
		return kb_vq_fail(vq, "indirect table outside the guest's region");
	n = d->len / sizeof(*t);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t flags = KB_READ(t[i].flags);

		if (flags & VRING_DESC_F_INDIRECT)
			return kb_vq_fail(vq, "nested indirect table");
		if (kb_vq_add_seg(vq, c, KB_READ(t[i].addr), KB_READ(t[i].len),
				  !!(flags & VRING_DESC_F_WRITE)))
			return -1;
	}
	return 0;
}

int kb_vq_pop_packed(struct kb_vq *vq, struct kb_chain *c)
{
	uint16_t pos = vq->last_avail, flags, room;
	int wrap = vq->avail_wrap;
	struct vring_packed_desc d;

	/* Acquire: the descriptors behind the first one's flags. */
	flags = KB_LOAD_ACQUIRE(vq->ring[pos].flags);
	if (!is_avail(flags, wrap))
		return 0;
	room = room_at(vq, pos, wrap);
	c->nseg = 0;
	c->out_len = 0;
	c->in_len = 0;
	c->ndesc = 0;
	for (;;) {
		d.addr = KB_READ(vq->ring[pos].addr);
		d.len = KB_READ(vq->ring[pos].len);
		d.id = KB_READ(vq->ring[pos].id);
		d.flags = c->ndesc ? KB_READ(vq->ring[pos].flags) : flags;
		/*
		 * A valid chain fits what the ring has free (at most the
		 * ring): more is garbage, a loop, or a slot still out.
		 */
		if (++c->ndesc > room)
			return kb_vq_fail(vq, c->ndesc > vq->size ?
					  "descriptor chain longer than the ring" :
					  "a slot still out made available again");
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (c->ndesc > 1)
				return kb_vq_fail(vq, "indirect descriptor inside a chain");
			if (walk_indirect(vq, c, &d))
				return -1;
		} else if (kb_vq_add_seg(vq, c, d.addr, d.len,
					 !!(d.flags & VRING_DESC_F_WRITE))) {
			return -1;
		}
		advance(vq, &pos, &wrap);
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
	}
	c->head = d.id;
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	return 1;
}

/* kb_vq_pop_bufs(): one-descriptor chains from the ring in one pass. */
int kb_vq_pop_bufs_packed(struct kb_vq *vq, struct kb_buf *b, int n)
{
	uint16_t pos = vq->last_avail, size = vq->size;
	int wrap = vq->avail_wrap, k;
	/* In locals: stores to b[] may alias the queue's fields. */
	struct vring_packed_desc *ring = vq->ring;
	struct kb_region region = *vq->r;
	int left = 0;		/* slots we know free, from room_at() */

	for (k = 0; k < n; k++) {
		struct vring_packed_desc *d = &ring[pos];
		/* Acquire: the descriptor behind its flags. */
		uint16_t flags = KB_LOAD_ACQUIRE(d->flags);
		uint32_t len;
		uint64_t addr;

		if (!is_avail(flags, wrap) ||
		    (flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)))
			break;		/* none, or kb_vq_pop()'s to read */
		/* Looked at after the flags' acquire: slots freed since. */
		if (unlikely(!left)) {
			left = room_at(vq, pos, wrap);
			if (!left)
				return kb_vq_fail(vq, "a slot still out made available again");
		}
		left--;
		addr = KB_READ(d->addr);
		len = KB_READ(d->len);
		if (unlikely(len > KB_MAX_CHAIN_BYTES))
			return kb_vq_fail(vq, "chain too long in bytes");
		b[k].p = kb_translate(&region, addr, len);
		if (unlikely(!b[k].p))
			return kb_vq_fail(vq, "buffer outside the guest's region");
		b[k].len = len;
		b[k].head = KB_READ(d->id);
		b[k].write = !!(flags & VRING_DESC_F_WRITE);
		if (++pos == size) {
			pos = 0;
			wrap = !wrap;
		}
	}
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	return k;
}

static void write_used(struct kb_vq *vq, uint16_t pos, int wrap, uint16_t id,
		       uint32_t len)
{
	struct vring_packed_desc *d = &vq->ring[pos];

	KB_WRITE(d->id, id);
	KB_WRITE(d->len, len);
	/* Release: the id, length and written data before the flags. */
	KB_STORE_RELEASE(d->flags, (uint16_t)(wrap ? F_AVAIL | F_USED : 0));
}

/* In order: the used descriptor for the batch pushed so far, if any. */
void kb_vq_flush_packed(struct kb_vq *vq)
{
	if (!vq->pending)
		return;
	write_used(vq, vq->batch_pos, vq->batch_wrap, vq->pend_id,
		   vq->pend_len);
	vq->batch_pos = vq->next_used;
	vq->batch_wrap = vq->used_wrap;
	vq->pending = 0;
}

void kb_vq_used_advance_packed(struct kb_vq *vq, uint32_t n)
{
	uint32_t next = vq->next_used + n;

	while (next >= vq->size) {
		next -= vq->size;
		vq->used_wrap = !vq->used_wrap;
		vq->used_laps++;
	}
	vq->next_used = (uint16_t)next;
	KB_WRITE(vq->used_lap, lap_pos(vq, vq->next_used, vq->used_wrap));
}

void kb_vq_push_packed(struct kb_vq *vq, uint16_t id, uint16_t ndesc,
		       uint32_t in_len, uint32_t len)
{
	uint16_t pos = vq->next_used;
	int wrap = vq->used_wrap;

	/* A chain fits the ring (pop checked it): at most one wrap. */
	kb_vq_used_advance_packed(vq, ndesc);	/* before write_used() */
	if (vq->in_order) {
		vq->pend_id = id;
		vq->pend_len = len;
		vq->pending = 1;
	} else {
		write_used(vq, pos, wrap, id, len);
	}
	vq->used_idx++;
	/* Only a chain written in full may go unnamed. */
	if (vq->in_order && len != in_len)
		kb_vq_flush_packed(vq);
}

/*
 * Interrupts (virtio 1.1, 2.8.10): the driver event area says DISABLE,
 * ENABLE, or with EVENT_IDX (DESC) the descriptor whose use it wants to
 * hear of: then interrupt if a buffer we used since the last look landed
 * on it.  Anything else the driver writes there counts as ENABLE: it can
 * only cost the guest interrupts.
 */
int kb_vq_should_notify_packed(struct kb_vq *vq)
{
	uint16_t old = vq->signalled_used, now, span = 2 * vq->size;
	uint16_t flags, off_wrap, off, event;
	uint32_t total = vq->used_laps * vq->size + vq->next_used;
	uint32_t unsignalled = total - vq->signalled_total;

	now = lap_pos(vq, vq->next_used, vq->used_wrap);
	if (!unsignalled)
		return 0;
	kb_mb();	/* our used descriptors before the driver's area */
	vq->signalled_used = now;
	vq->signalled_total = total;
	flags = KB_READ(vq->driver_event->flags);
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return 0;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx)
		return 1;
	off_wrap = KB_READ(vq->driver_event->off_wrap);
	off = off_wrap & ~(1U << VRING_PACKED_EVENT_F_WRAP_CTR);
	/* Lap positions repeat every two laps: past that, we cannot tell. */
	if (off >= vq->size || unsignalled >= span)
		return 1;
	event = lap_pos(vq, off, off_wrap >> VRING_PACKED_EVENT_F_WRAP_CTR);
	return (uint16_t)((event - old + span) % span) <
	       (uint16_t)((now - old + span) % span);
}
