// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "vq.h"

#define fail kb_vq_fail

int kb_vq_fail(struct kb_vq *vq, const char *why)
{
	vq->error = why;
	return -1;
}

static int aligned(uint64_t a, uint64_t n)
{
	return (a & (n - 1)) == 0;
}

int kb_vq_setup(struct kb_vq *vq, const struct kb_region *r, uint16_t size,
		uint64_t desc, uint64_t avail, uint64_t used, int event_idx)
{
	memset(vq, 0, sizeof(*vq));
	vq->r = r;
	if (!size || size > KB_QUEUE_MAX || (size & (size - 1)))
		return fail(vq, "queue size not a power of two up to the maximum");
	if (!aligned(desc, 16) || !aligned(avail, 2) || !aligned(used, 4))
		return fail(vq, "misaligned ring");
	vq->desc = kb_translate(r, desc, sizeof(*vq->desc) * size);
	vq->avail = kb_translate(r, avail, sizeof(*vq->avail) +
				 sizeof(vq->avail->ring[0]) * (size + 1ULL));
	vq->used = kb_translate(r, used, sizeof(*vq->used) +
				sizeof(vq->used->ring[0]) * size + 2);
	if (!vq->desc || !vq->avail || !vq->used)
		return fail(vq, "ring outside the guest's region");
	vq->size = size;
	vq->event_idx = event_idx;
	/*
	 * A queue starts at index 0 (virtio 1.x 2.7.13.1): the driver may have
	 * made buffers available before we saw DRIVER_OK, and those count.
	 */
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	kb_vq_kicks_off(vq);		/* the device polls until it sleeps */
	return 0;
}

/* The event fields after each ring (virtio 1.x, 2.7.7 and 2.7.8). */
static __virtio16 *avail_event(struct kb_vq *vq)
{
	return (__virtio16 *)&vq->used->ring[vq->size];
}

static __virtio16 *used_event(struct kb_vq *vq)
{
	return &vq->avail->ring[vq->size];
}

static void read_desc(const struct vring_desc *table, uint16_t i,
		      struct vring_desc *d)
{
	d->addr = KB_READ(table[i].addr);
	d->len = KB_READ(table[i].len);
	d->flags = KB_READ(table[i].flags);
	d->next = KB_READ(table[i].next);
}

static int add_seg(struct kb_vq *vq, struct kb_chain *c,
		   const struct vring_desc *d)
{
	return kb_vq_add_seg(vq, c, d->addr, d->len,
			     !!(d->flags & VRING_DESC_F_WRITE));
}

/* One buffer of the chain; 0 or -1. */
int kb_vq_add_seg(struct kb_vq *vq, struct kb_chain *c, uint64_t addr,
		  uint32_t len, int write)
{
	struct kb_seg *s;

	if (c->nseg == KB_MAX_SEGS)
		return fail(vq, "chain has too many buffers");
	if (!write && c->in_len)
		return fail(vq, "readable buffer after a writable one");
	if (len > KB_MAX_CHAIN_BYTES - c->out_len - c->in_len)
		return fail(vq, "chain too long in bytes");
	s = &c->seg[c->nseg];
	s->p = kb_translate(vq->r, addr, len);
	if (!s->p)
		return fail(vq, "buffer outside the guest's region");
	s->len = len;
	s->write = write;
	if (write)
		c->in_len += len;
	else
		c->out_len += len;
	c->nseg++;
	return 0;
}

/* Switch to an indirect table; 0 or -1. */
static int enter_indirect(struct kb_vq *vq, const struct vring_desc *d,
			  const struct vring_desc **table, uint32_t *max)
{
	if (d->flags & VRING_DESC_F_NEXT)
		return fail(vq, "indirect descriptor with NEXT set");
	if (!d->len || d->len % sizeof(**table) ||
	    d->len / sizeof(**table) > KB_MAX_INDIRECT)
		return fail(vq, "indirect table of a bad size");
	/*
	 * Read in place: aligned as its fields need (8), no more; virtio
	 * asks nothing, and Linux's kmalloc'd tables may be only that.
	 */
	if (d->addr % _Alignof(struct vring_desc))
		return fail(vq, "misaligned indirect table");
	*table = kb_translate(vq->r, d->addr, d->len);
	if (!*table)
		return fail(vq, "indirect table outside the guest's region");
	*max = d->len / sizeof(**table);
	return 0;
}

/*
 * The chain whose head descriptor d (read once) the caller already has.
 * Zero or more ring descriptors may come before an indirect one, which
 * then ends the chain in the ring (virtio 1.x, 2.7.5.3.2: the device
 * must take that; Linux's driver never builds it).
 */
static int walk(struct kb_vq *vq, struct kb_chain *c, struct vring_desc d)
{
	const struct vring_desc *table = vq->desc;
	uint32_t max = vq->size, seen = 0;
	int indirect = 0;
	uint16_t i;

	for (;;) {
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (indirect)
				return fail(vq, "nested indirect table");
			/* It is a ring descriptor too: one more than a loop's. */
			if (seen >= max)
				return fail(vq, "descriptor chain loops");
			if (enter_indirect(vq, &d, &table, &max))
				return -1;
			indirect = 1;
			/* The ring's descriptors: those before, and this one. */
			c->ndesc = (uint16_t)(seen + 1);
			seen = 0;	/* the table's own bound from here */
			read_desc(table, 0, &d);
			continue;
		}
		/* A valid chain visits each descriptor once: more is a loop. */
		if (++seen > max)
			return fail(vq, "descriptor chain loops");
		if (add_seg(vq, c, &d))
			return -1;
		if (!indirect)
			c->ndesc = (uint16_t)seen;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= max)
			return fail(vq, "next index beyond the table");
		read_desc(table, i, &d);
	}
}

/*
 * A head descriptor with neither NEXT nor INDIRECT is the whole chain
 * (the common case: one buffer per request): the checks add_seg() would
 * make of a first buffer, without the loop.
 */
static inline int one_desc(struct kb_vq *vq, struct kb_chain *c,
			   const struct vring_desc *d)
{
	int write = !!(d->flags & VRING_DESC_F_WRITE);
	uint8_t *p;

	if (unlikely(d->len > KB_MAX_CHAIN_BYTES))
		return fail(vq, "chain too long in bytes");
	p = kb_translate(vq->r, d->addr, d->len);
	if (unlikely(!p))
		return fail(vq, "buffer outside the guest's region");
	c->seg[0].p = p;
	c->seg[0].len = d->len;
	c->seg[0].write = write;
	c->nseg = 1;
	c->ndesc = 1;
	c->out_len = write ? 0 : d->len;
	c->in_len = write ? d->len : 0;
	return 0;
}

int kb_vq_pop(struct kb_vq *vq, struct kb_chain *c)
{
	uint16_t idx, pending, head;
	struct vring_desc d;

	if (!vq->size)
		return 0;
	if (vq->packed)
		return kb_vq_pop_packed(vq, c);
	/*
	 * The driver's index is read again only once what it last covered
	 * is used up: each read pulls a cache line the driver keeps writing.
	 */
	if (vq->last_avail == vq->avail_seen) {
		/* Acquire: the ring entries and descriptors it covers. */
		idx = KB_LOAD_ACQUIRE(vq->avail->idx);
		pending = (uint16_t)(idx - vq->last_avail);
		if (!pending)
			return 0;
		if (pending > vq->size)
			return fail(vq, "available index ahead by more than the queue size");
		vq->avail_seen = idx;
	}
	head = KB_READ(vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return fail(vq, "available head beyond the table");
	if (vq->in_order && head != vq->next_head)
		return fail(vq, "available head out of ring order (IN_ORDER)");
	c->head = head;
	read_desc(vq->desc, head, &d);
	if (likely(!(d.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)))) {
		if (one_desc(vq, c, &d))
			return -1;
	} else {
		c->nseg = 0;
		c->out_len = 0;
		c->in_len = 0;
		if (walk(vq, c, d))
			return -1;
	}
	vq->last_avail++;
	/* In order, the next chain starts after this one's descriptors. */
	vq->next_head = (head + c->ndesc) & (vq->size - 1);
	return 1;
}

/* The chains of one buffer at the head of the ring, read in one pass. */
int kb_vq_pop_bufs(struct kb_vq *vq, struct kb_buf *b, int n)
{
	uint16_t mask = (uint16_t)(vq->size - 1), pos = vq->last_avail;
	uint16_t next = vq->next_head, pending, idx;
	const struct vring_desc *desc;
	struct kb_region region;
	const __virtio16 *ring;
	int k, in_order;

	if (!vq->size || n <= 0)
		return 0;
	if (vq->packed)
		return kb_vq_pop_bufs_packed(vq, b, n);
	pending = (uint16_t)(vq->avail_seen - pos);
	if (!pending) {
		/* Acquire: the ring entries and descriptors it covers. */
		idx = KB_LOAD_ACQUIRE(vq->avail->idx);
		pending = (uint16_t)(idx - pos);
		if (!pending)
			return 0;
		if (pending > vq->size)
			return fail(vq, "available index ahead by more than the queue size");
		vq->avail_seen = idx;
	}
	if (n > pending)
		n = pending;
	/*
	 * The queue's and the region's fields in locals: stores to b[] may
	 * alias them, and reloading them per buffer cost more than the
	 * checks themselves.
	 */
	region = *vq->r;
	ring = vq->avail->ring;
	desc = vq->desc;
	in_order = vq->in_order;
	for (k = 0; k < n; k++) {
		uint16_t head = KB_READ(ring[(pos + k) & mask]);
		const struct vring_desc *d;
		uint16_t flags;
		uint32_t len;
		uint64_t addr;

		/* In order, head == next (masked) implies it is in the table. */
		if (unlikely(in_order ? head != next : head > mask)) {
			if (head > mask)
				return fail(vq, "available head beyond the table");
			return fail(vq, "available head out of ring order (IN_ORDER)");
		}
		d = &desc[head];
		flags = KB_READ(d->flags);
		if (flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT))
			break;		/* kb_vq_pop()'s, read afresh there */
		addr = KB_READ(d->addr);
		len = KB_READ(d->len);
		if (unlikely(len > KB_MAX_CHAIN_BYTES))
			return fail(vq, "chain too long in bytes");
		b[k].p = kb_translate(&region, addr, len);
		if (unlikely(!b[k].p))
			return fail(vq, "buffer outside the guest's region");
		b[k].len = len;
		b[k].head = head;
		b[k].write = !!(flags & VRING_DESC_F_WRITE);
		next = (head + 1) & mask;
	}
	vq->last_avail = (uint16_t)(pos + k);
	vq->next_head = next;
	return k;
}

void kb_vq_set_in_order(struct kb_vq *vq)
{
	vq->in_order = 1;
}

/*
 * Kicks (virtio 1.x, 2.7.10): with EVENT_IDX the driver kicks when its
 * index passes avail_event, so setting it to our position asks for one at
 * the next buffer, and setting it just behind us asks for none for the
 * next 65535; without, NO_NOTIFY in the used ring's flags says it.
 */
void kb_vq_kicks_off(struct kb_vq *vq)
{
	if (!vq->size)		/* none, or refused at setup: nothing mapped */
		return;
	if (vq->packed) {
		kb_vq_kicks_off_packed(vq);
		return;
	}
	if (vq->event_idx)
		KB_WRITE(*avail_event(vq), (uint16_t)(vq->last_avail - 1));
	else
		KB_WRITE(vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

int kb_vq_kicks_on(struct kb_vq *vq)
{
	if (!vq->size)
		return 0;
	if (vq->packed)
		return kb_vq_kicks_on_packed(vq);
	if (vq->event_idx)
		KB_WRITE(*avail_event(vq), vq->last_avail);
	else
		KB_WRITE(vq->used->flags, 0);
	/* Our request before our last look at the driver's index. */
	kb_mb();
	return KB_READ(vq->avail->idx) != vq->last_avail;
}

int kb_vq_has_avail(struct kb_vq *vq)
{
	struct kb_vq_pos p;

	kb_vq_save(vq, &p);
	return kb_vq_has_avail_at(vq, &p);
}

int kb_vq_has_avail_at(struct kb_vq *vq, const struct kb_vq_pos *p)
{
	if (!vq->size)
		return 0;
	if (vq->packed)
		return kb_vq_has_avail_packed(vq, p);
	return KB_READ(vq->avail->idx) != p->last_avail;
}

int kb_vq_kicks_on_at(struct kb_vq *vq, const struct kb_vq_pos *p)
{
	if (!vq->size)
		return 0;
	if (vq->packed)
		return kb_vq_kicks_on_at_packed(vq, p);
	if (vq->event_idx)
		KB_WRITE(*avail_event(vq), p->last_avail);
	else
		KB_WRITE(vq->used->flags, 0);
	kb_mb();
	return KB_READ(vq->avail->idx) != p->last_avail;
}

void kb_vq_save(const struct kb_vq *vq, struct kb_vq_pos *p)
{
	p->last_avail = vq->last_avail;
	p->avail_wrap = vq->avail_wrap;
	p->next_head = vq->next_head;
}

/*
 * Split: the entries stay in the available ring (the driver may not touch
 * them until they are used), so the index goes back; avail_seen still
 * bounds how far it may go without reading the driver's index again.
 * Packed: the descriptors stay in place for the same reason; the used
 * side, which writes into the ring, has not moved.
 */
void kb_vq_rewind(struct kb_vq *vq, const struct kb_vq_pos *p)
{
	vq->last_avail = p->last_avail;
	vq->avail_wrap = p->avail_wrap;
	vq->next_head = p->next_head;
}

/* In order: the used entry for the batch pushed so far, if any. */
static void flush_split(struct kb_vq *vq)
{
	struct vring_used_elem *e;

	if (!vq->pending)
		return;
	e = &vq->used->ring[vq->batch_pos & (vq->size - 1)];
	KB_WRITE(e->id, vq->pend_id);
	KB_WRITE(e->len, vq->pend_len);
	vq->batch_pos = vq->used_idx;
	vq->pending = 0;
}

/* One chain back: its head (packed: id), ring slots, writable bytes. */
static inline void push_one(struct kb_vq *vq, uint16_t head, uint16_t ndesc,
			    uint32_t in_len, uint32_t len)
{
	struct vring_used_elem *e;

	if (vq->packed) {
		kb_vq_push_packed(vq, head, ndesc, in_len, len);
		return;
	}
	if (vq->in_order) {
		vq->pend_id = head;
		vq->pend_len = len;
		vq->pending = 1;
		vq->used_idx++;
		vq->used_total++;
		/* Only a chain written in full may go unnamed. */
		if (len != in_len)
			flush_split(vq);
		return;
	}
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	KB_WRITE(e->id, head);
	KB_WRITE(e->len, len);
	vq->used_idx++;
	vq->used_total++;
}

void kb_vq_push_quiet(struct kb_vq *vq, const struct kb_chain *c,
		      uint32_t len)
{
	push_one(vq, c->head, c->ndesc, c->in_len, len);
}

/*
 * In order, the chains written in full at the front of the batch go
 * unnamed: only the last of them is kept for the used entry, and the
 * used position moves past all of them at once.
 */
static int push_full_bufs(struct kb_vq *vq, const struct kb_buf *b,
			  const uint32_t *len, int n)
{
	int k = 0;

	while (k < n && (len ? len[k] : 0) == (b[k].write ? b[k].len : 0))
		k++;
	if (!k)
		return 0;
	vq->pend_id = b[k - 1].head;
	vq->pend_len = len ? len[k - 1] : 0;
	vq->pending = 1;
	vq->used_idx = (uint16_t)(vq->used_idx + k);
	vq->used_total += (uint32_t)k;
	/* One slot each; k never exceeds the ring (room_at()). */
	if (vq->packed)
		kb_vq_used_advance_packed(vq, (uint32_t)k);
	return k;
}

void kb_vq_push_bufs(struct kb_vq *vq, const struct kb_buf *b,
		     const uint32_t *len, int n)
{
	int k = vq->in_order ? push_full_bufs(vq, b, len, n) : 0;

	for (; k < n; k++)
		push_one(vq, b[k].head, 1, b[k].write ? b[k].len : 0,
			 len ? len[k] : 0);
}

void kb_vq_publish(struct kb_vq *vq)
{
	if (vq->packed) {
		kb_vq_flush_packed(vq);
		return;
	}
	if (!vq->size)
		return;
	flush_split(vq);
	/* Release: the elements and the data written before the index. */
	KB_STORE_RELEASE(vq->used->idx, vq->used_idx);
}

void kb_vq_push(struct kb_vq *vq, const struct kb_chain *c, uint32_t len)
{
	kb_vq_push_quiet(vq, c, len);
	kb_vq_publish(vq);
}

int kb_vq_should_notify(struct kb_vq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	uint32_t unsignalled = vq->used_total - vq->signalled_total;

	if (vq->packed)
		return kb_vq_should_notify_packed(vq);
	if (!unsignalled)
		return 0;
	kb_mb();	/* our used index before the driver's event or flags */
	vq->signalled_used = now;
	vq->signalled_total = vq->used_total;
	if (!vq->event_idx)
		return !(KB_READ(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (unsignalled > 0xffff)
		return 1;	/* more than the index can tell apart */
	event = KB_READ(*used_event(vq));
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

uint32_t kb_chain_read(const struct kb_chain *c, uint32_t off, void *dst,
		       uint32_t len)
{
	uint8_t *out = dst;
	uint32_t done = 0;

	for (uint32_t i = 0; i < c->nseg && done < len; i++) {
		const struct kb_seg *s = &c->seg[i];
		uint32_t n;

		if (s->write)
			break;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy(out + done, s->p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t kb_chain_write(const struct kb_chain *c, uint32_t off,
			const void *src, uint32_t len)
{
	const uint8_t *in = src;
	uint32_t done = 0;

	for (uint32_t i = 0; i < c->nseg && done < len; i++) {
		const struct kb_seg *s = &c->seg[i];
		uint32_t n;

		if (!s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy(s->p + off, in + done, n);
		done += n;
		off = 0;
	}
	return done;
}
