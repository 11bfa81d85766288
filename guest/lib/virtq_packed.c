/*
 * The driver side of a packed virtqueue (virtio 1.1, 2.8): one ring of
 * descriptors marked available by the driver and used by the device in
 * place.  A chain takes consecutive slots; its buffer id goes in its last
 * descriptor, and its first descriptor's flags are written last, with
 * release order, to publish the whole chain at once.
 */
#include <string.h>

#include "lib/virtq_packed.h"

#define F_AVAIL (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1U << VRING_PACKED_DESC_F_USED)

/* The ring, then a page for the driver and device event areas. */
static size_t ring_bytes(uint16_t size)
{
	return (sizeof(struct vring_packed_desc) * size + 4095) & ~(size_t)4095;
}

size_t virtq_packed_bytes(uint16_t size)
{
	return ring_bytes(size) + 4096;
}

void virtq_init_packed(struct virtq *q, uint16_t size, void *mem,
		       void **cookies, virtq_addr_fn addr, int event_idx)
{
	uint8_t *events = (uint8_t *)mem + ring_bytes(size);

	memset(q, 0, sizeof(*q));
	q->packed = 1;
	q->size = size;
	q->num_free = size;
	q->ring = mem;
	/* A cache line each: the device writes one, we write the other. */
	q->driver_event = (struct vring_packed_desc_event *)events;
	q->device_event = (struct vring_packed_desc_event *)(events + 64);
	q->cookie = cookies;
	q->addr = addr;
	q->event_idx = event_idx;
	q->avail_wrap = 1;
	q->used_wrap = 1;
	for (uint16_t i = 0; i < size; i++)
		q->id_next[i] = (uint16_t)(i + 1);
}

/*
 * A ring position with its wrap counter as one number modulo twice the
 * ring size (the first lap, wrap counter 1, counts from 0): the packed
 * layout's analogue of the split ring's free-running index.
 */
static uint16_t lap_pos(const struct virtq *q, uint16_t pos, int wrap)
{
	return (uint16_t)(pos + (wrap ? 0 : q->size));
}

/*
 * An event suppression area's answer (virtio 1.1, 2.8.10): should the
 * side that moved from lap_pos old to now signal the other?  DISABLE: no;
 * DESC (with EVENT_IDX): if the descriptor it names lies in [old, now),
 * or if that side moved two laps or more (moved slots: lap positions
 * repeat every two laps, so no one can tell); ENABLE, or anything else:
 * yes.
 */
static int event_wants(const struct virtq *q,
		       const struct vring_packed_desc_event *e, uint16_t old,
		       uint16_t now, uint32_t moved)
{
	uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
	uint16_t off_wrap, off, event, span = (uint16_t)(2 * q->size);

	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return 0;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !q->event_idx)
		return 1;
	off_wrap = __atomic_load_n(&e->off_wrap, __ATOMIC_RELAXED);
	off = off_wrap & ~(1U << VRING_PACKED_EVENT_F_WRAP_CTR);
	if (off >= q->size || moved >= span)
		return 1;
	event = lap_pos(q, off, off_wrap >> VRING_PACKED_EVENT_F_WRAP_CTR);
	return (uint16_t)((event - old + span) % span) <
	       (uint16_t)((now - old + span) % span);
}

static uint16_t avail_flags(const struct virtq *q, unsigned int write)
{
	return (uint16_t)((write ? VRING_DESC_F_WRITE : 0) |
			  (q->avail_wrap ? F_AVAIL : F_USED));
}

static void next_avail(struct virtq *q)
{
	if (++q->avail_idx == q->size) {
		q->avail_idx = 0;
		q->avail_wrap = !q->avail_wrap;
		q->avail_laps++;
	}
}

/*
 * VIRTIO_F_IN_ORDER (virtio 1.1, 2.8.20): a chain's buffer id is the slot
 * of its first descriptor, unique while it is out since slots come back
 * in order; so a buffer posted at the slot it had a lap ago finds addr
 * (id_va says so without translating it), len and id already right where
 * the device did not overwrite them with a used descriptor (id_va is
 * forgotten where it wrote one: batch_start()), and those are compared
 * rather than stored.  The flags change every lap and are always
 * written, last.
 */
static int add_one_in_order(struct virtq *q, const struct virtq_buf *b,
			    unsigned int write, void *cookie)
{
	uint16_t pos = q->avail_idx;
	struct vring_packed_desc *d = &q->ring[pos];

	if (!q->num_free)
		return -1;
	if (q->id_va[pos] != b->p) {
		q->id_va[pos] = b->p;
		d->addr = q->addr(b->p);
	}
	if (d->len != b->len)
		d->len = b->len;
	if (d->id != pos)
		d->id = pos;
	virtq_note_one(q, pos, write ? b->len : 0, cookie);
	__atomic_store_n(&d->flags, avail_flags(q, write), __ATOMIC_RELEASE);
	next_avail(q);
	q->num_free--;
	return 0;
}

/* virtq_add_bufs(), in order: add_one_in_order() n times, state local. */
unsigned int virtq_packed_add_bufs(struct virtq *q, const struct virtq_buf *b,
				   unsigned int n, int write,
				   void *const *cookie)
{
	uint16_t pos = q->avail_idx, size = q->size;
	uint16_t flags = avail_flags(q, write);
	uint16_t flip = F_AVAIL | F_USED;
	struct vring_packed_desc *ring = q->ring;
	unsigned int k;

	if (n > q->num_free)
		n = q->num_free;
	for (k = 0; k < n; k++) {
		struct vring_packed_desc *d = &ring[pos];

		if (q->id_va[pos] != b[k].p) {
			q->id_va[pos] = b[k].p;
			d->addr = q->addr(b[k].p);
		}
		if (d->len != b[k].len)
			d->len = b[k].len;
		if (d->id != pos)
			d->id = pos;
		virtq_note_one(q, pos, write ? b[k].len : 0, cookie[k]);
		__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
		if (++pos == size) {
			pos = 0;
			flags ^= flip;
			q->avail_wrap = !q->avail_wrap;
			q->avail_laps++;
		}
	}
	q->avail_idx = pos;
	q->num_free = (uint16_t)(q->num_free - n);
	return n;
}

/*
 * A chain of one buffer without the general loop: fewer registers to
 * save and stores queued behind the descriptor's (see virtq.c add_one).
 */
static int add_one(struct virtq *q, const struct virtq_buf *b,
		   unsigned int write, void *cookie)
{
	uint16_t id = q->free_id, pos = q->avail_idx;
	struct vring_packed_desc *d = &q->ring[pos];
	uint16_t flags = avail_flags(q, write);

	if (q->in_order)
		return add_one_in_order(q, b, write, cookie);
	if (!q->num_free || id >= q->size)
		return -1;
	q->free_id = q->id_next[id];
	d->addr = q->addr(b->p);
	d->len = b->len;
	d->id = id;
	next_avail(q);
	q->num_free--;
	q->id_ndesc[id] = 1;
	q->cookie[id] = cookie;
	__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The chain in id's indirect table (virtio 1.1, 2.8.19): buffers in
 * order, WRITE the only flag that counts there; the ring's descriptor
 * names the table.  Returns that descriptor's flags, for the caller to
 * publish.
 */
static uint16_t add_indirect(struct virtq *q, uint16_t id,
			     const struct virtq_buf *out, unsigned int nout,
			     const struct virtq_buf *in, unsigned int nin)
{
	struct vring_packed_desc *t = (struct vring_packed_desc *)q->indirect +
				      (size_t)id * VQ_INDIRECT_MAX;
	struct vring_packed_desc *d = &q->ring[q->avail_idx];
	unsigned int n = nout + nin;

	for (unsigned int k = 0; k < n; k++) {
		const struct virtq_buf *b = k < nout ? &out[k] : &in[k - nout];

		t[k].addr = q->addr(b->p);
		t[k].len = b->len;
		t[k].flags = k < nout ? 0 : VRING_DESC_F_WRITE;
	}
	d->addr = q->addr(t);
	d->len = (uint32_t)(n * sizeof(*t));
	d->id = id;
	return (uint16_t)(avail_flags(q, 0) | VRING_DESC_F_INDIRECT);
}

int virtq_packed_add(struct virtq *q, const struct virtq_buf *out,
		     unsigned int nout, const struct virtq_buf *in,
		     unsigned int nin, void *cookie)
{
	unsigned int n = nout + nin, ndesc = virtq_use_indirect(q, n) ? 1 : n;
	uint16_t id = q->free_id, first = q->avail_idx, first_flags = 0;

	if (n == 1)
		return add_one(q, nout ? out : in, !nout, cookie);
	if (q->in_order)
		id = first;
	if (!n || ndesc > q->num_free || id >= q->size)
		return -1;
	if (q->in_order)
		q->id_inlen[id] = virtq_in_bytes(in, nin);
	else
		q->free_id = q->id_next[id];
	if (ndesc < n) {
		first_flags = add_indirect(q, id, out, nout, in, nin);
		q->id_va[q->avail_idx] = NULL;	/* not a one-buffer slot now */
		next_avail(q);
	} else {
		for (unsigned int k = 0; k < n; k++) {
			const struct virtq_buf *b = k < nout ? &out[k] :
							       &in[k - nout];
			struct vring_packed_desc *d = &q->ring[q->avail_idx];
			uint16_t flags = (uint16_t)(avail_flags(q, k >= nout) |
					(k + 1 < n ? VRING_DESC_F_NEXT : 0));

			d->addr = q->addr(b->p);
			d->len = b->len;
			d->id = id;
			q->id_va[q->avail_idx] = NULL;
			if (q->in_order)	/* no chain starts here now */
				q->id_ndesc[q->avail_idx] = 0;
			if (k)
				d->flags = flags;
			else
				first_flags = flags;
			next_avail(q);
		}
	}
	q->num_free = (uint16_t)(q->num_free - ndesc);
	q->id_ndesc[id] = (uint16_t)ndesc;
	q->cookie[id] = cookie;
	__atomic_store_n(&q->ring[first].flags, first_flags, __ATOMIC_RELEASE);
	return 0;
}

/* Descriptors are published as they are added: only the kick is left. */
int virtq_packed_kick_needed(struct virtq *q)
{
	uint16_t old = q->kicked_idx, now = lap_pos(q, q->avail_idx,
						    q->avail_wrap);
	uint32_t total = q->avail_laps * q->size + q->avail_idx;
	uint32_t undecided = total - q->kicked_total;

	/* Our descriptors' flags before the device's event area. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kicked_idx = now;
	q->kicked_total = total;
	return undecided &&
	       event_wants(q, q->device_event, old, now, undecided);
}

static int is_used(const struct virtq *q, uint16_t flags)
{
	return !!(flags & F_AVAIL) == q->used_wrap &&
	       !!(flags & F_USED) == q->used_wrap;
}

void virtq_packed_disarm(struct virtq *q)
{
	__atomic_store_n(&q->driver_event->flags,
			 VRING_PACKED_EVENT_FLAG_DISABLE, __ATOMIC_RELAXED);
}

/* Interrupts at the next completion: ENABLE, or DESC naming its slot. */
int virtq_packed_arm(struct virtq *q)
{
	uint16_t flags = VRING_PACKED_EVENT_FLAG_ENABLE;

	if (q->event_idx) {
		__atomic_store_n(&q->driver_event->off_wrap,
				 (uint16_t)(q->last_used |
					    (q->used_wrap << VRING_PACKED_EVENT_F_WRAP_CTR)),
				 __ATOMIC_RELAXED);
		flags = VRING_PACKED_EVENT_FLAG_DESC;
	}
	/* The offset before the mode that makes the device read it. */
	__atomic_store_n(&q->driver_event->flags, flags, __ATOMIC_RELEASE);
	/* Our request before our last look at the ring. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* In order, the rest of a batch is used with no mark of its own. */
	return q->in_batch || is_used(q, __atomic_load_n(&q->ring[q->last_used].flags,
					  __ATOMIC_ACQUIRE));
}

static void *get_in_order(struct virtq *q, uint32_t *len);

void *virtq_packed_get(struct virtq *q, uint32_t *len)
{
	struct vring_packed_desc *d = &q->ring[q->last_used];
	uint16_t id, n;
	void *cookie;

	if (q->in_order)
		return get_in_order(q, len);
	if (!is_used(q, __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE)))
		return NULL;
	id = d->id;
	if (id >= q->size || !q->cookie[id]) {
		/*
		 * A device bug; nothing sane to return.  The descriptor stays
		 * marked used: broken, the queue is not looked at again, or
		 * virtq_arm() would find it there for ever.
		 */
		q->broken = 1;
		return NULL;
	}
	n = q->id_ndesc[id];
	if (len)
		*len = d->len;
	cookie = q->cookie[id];
	q->cookie[id] = NULL;
	for (uint16_t i = 0; i < n; i++) {
		if (++q->last_used == q->size) {
			q->last_used = 0;
			q->used_wrap = !q->used_wrap;
		}
	}
	q->num_free = (uint16_t)(q->num_free + n);
	q->id_next[id] = q->free_id;
	q->free_id = id;
	return cookie;
}

/*
 * In order, the device may write one used descriptor for a batch, in the
 * batch's first slot, naming the id of its last chain; the chains before
 * it, oldest first, are used too (all their writable bytes written).  It
 * is believed only if that id is the first slot of a chain that is out.
 */
/*
 * In order, the chains out fill the size - num_free slots from last_used
 * on, each written this lap: a chain's first slot has its count, every
 * other slot a count of 0 (virtq_packed_add()).  A used descriptor's id
 * is checked against that, not the cookie, which is left in place when
 * its chain comes back so that the next add need not store it.
 */
static int chain_is_out(const struct virtq *q, uint16_t id)
{
	uint16_t off = id >= q->last_used ? id - q->last_used :
					    id + q->size - q->last_used;

	return id < q->size && off < q->size - q->num_free && q->id_ndesc[id];
}

static int batch_start(struct virtq *q)
{
	struct vring_packed_desc *d = &q->ring[q->last_used];
	uint16_t id;

	if (!is_used(q, __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE)))
		return 0;
	id = d->id;
	if (!chain_is_out(q, id)) {
		q->broken = 1;	/* a device bug (see virtq_packed_get()) */
		return 0;
	}
	q->batch_id = id;
	q->batch_len = d->len;
	q->in_batch = 1;
	/*
	 * A used descriptor's address is unused (virtio 1.2, 2.8.4): the
	 * device may have written it, so this slot's buffer address is
	 * stored again at its next add, not believed to be in place.
	 */
	q->id_va[q->last_used] = NULL;
	return 1;
}

static void *get_in_order(struct virtq *q, uint32_t *len)
{
	uint16_t pos = q->last_used, n;
	void *cookie;

	if (!q->in_batch && !batch_start(q))
		return NULL;
	cookie = q->cookie[pos];
	n = q->id_ndesc[pos];
	if (len)
		*len = pos == q->batch_id ? q->batch_len : q->id_inlen[pos];
	if (pos == q->batch_id)
		q->in_batch = 0;
	q->num_free = (uint16_t)(q->num_free + n);
	q->last_used = (uint16_t)(pos + n);
	if (q->last_used >= q->size) {
		q->last_used = (uint16_t)(q->last_used - q->size);
		q->used_wrap = !q->used_wrap;
	}
	return cookie;
}

/*
 * virtq_get_bufs(), in order: the chains of each used descriptor freed
 * oldest first with the ring state in locals, stored back once per used
 * descriptor; what get_in_order() does chain by chain.
 */
unsigned int virtq_packed_get_bufs(struct virtq *q, void **cookie,
				   uint32_t *len, unsigned int n)
{
	unsigned int k = 0;

	while (k < n && (q->in_batch || batch_start(q))) {
		uint16_t pos = q->last_used, last = q->batch_id, size = q->size;
		uint16_t num_free = q->num_free, nd;
		int wrap = q->used_wrap, done;

		for (;;) {
			cookie[k] = q->cookie[pos];
			if (len)
				len[k] = pos == last ? q->batch_len :
					 q->id_inlen[pos];
			k++;
			nd = q->id_ndesc[pos];
			num_free = (uint16_t)(num_free + nd);
			done = pos == last;
			/*
			 * A branch on the usual one slot (see virtq.c), with
			 * arms the compiler does not fold into a conditional
			 * move, which would wait for nd.
			 */
			if (__builtin_expect(nd == 1, 1)) {
				if (++pos == size) {
					pos = 0;
					wrap = !wrap;
				}
			} else {
				pos = (uint16_t)(pos + nd);
				if (pos >= size) {
					pos = (uint16_t)(pos - size);
					wrap = !wrap;
				}
			}
			if (done) {
				q->in_batch = 0;
				break;
			}
			if (k == n)
				break;
		}
		q->last_used = pos;
		q->used_wrap = wrap;
		q->num_free = num_free;
	}
	return k;
}

/* virtq_state(), packed: lap positions throughout (see lap_pos()). */
void virtq_packed_state(struct virtq *q, struct virtq_state *s)
{
	uint16_t off_wrap = __atomic_load_n(&q->device_event->off_wrap,
					    __ATOMIC_RELAXED);
	uint16_t flags = __atomic_load_n(&q->device_event->flags,
					 __ATOMIC_RELAXED);

	s->added = lap_pos(q, q->avail_idx, q->avail_wrap);
	s->published = s->added;
	s->kicked = q->kicked_idx;
	s->taken = lap_pos(q, q->last_used, q->used_wrap);
	s->used = 0xffff;
	s->notify_at = 0xffff;
	if (flags == VRING_PACKED_EVENT_FLAG_DESC)
		s->notify_at = lap_pos(q, (uint16_t)(off_wrap & ~(1U << VRING_PACKED_EVENT_F_WRAP_CTR)),
				       off_wrap >> VRING_PACKED_EVENT_F_WRAP_CTR);
}
