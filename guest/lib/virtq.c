/*
 * A virtqueue, driver side: the split ring, and each entry point's turn
 * to the packed ring (lib/virtq_packed.c) or to the split ring under
 * VIRTIO_F_IN_ORDER (lib/virtq_in_order.c) when the queue is one.
 */
#include <string.h>

#include "lib/virtq.h"
#include "lib/virtq_in_order.h"
#include "lib/virtq_packed.h"

static size_t align(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* Descriptors, then the available ring and used_event; 4 KiB aligned. */
static size_t used_offset(uint16_t size)
{
	return align(sizeof(struct vring_desc) * size +
		     sizeof(struct vring_avail) + sizeof(__virtio16) * (size + 1u),
		     4096);
}

/* The used ring and avail_event, page aligned too. */
size_t virtq_bytes(uint16_t size)
{
	return used_offset(size) +
	       align(sizeof(struct vring_used) +
		     sizeof(struct vring_used_elem) * size + sizeof(__virtio16),
		     4096);
}

void virtq_init(struct virtq *q, uint16_t size, void *mem, void **cookies,
		virtq_addr_fn addr, int event_idx)
{
	uint8_t *m = mem;

	memset(q, 0, sizeof(*q));
	q->size = size;
	q->num_free = size;
	q->event_idx = event_idx;
	q->desc = mem;
	q->avail = (struct vring_avail *)(m + sizeof(*q->desc) * size);
	q->used = (struct vring_used *)(m + used_offset(size));
	q->cookie = cookies;
	q->addr = addr;
	for (uint16_t i = 0; i < size; i++)
		q->id_next[i] = (uint16_t)(i + 1);
}

/* The event fields after each ring (virtio 1.x, 2.7.7 and 2.7.8). */
static __virtio16 *avail_event(struct virtq *q)
{
	return (__virtio16 *)&q->used->ring[q->size];
}

static __virtio16 *used_event(struct virtq *q)
{
	return &q->avail->ring[q->size];
}

size_t virtq_indirect_bytes(uint16_t size)
{
	/* A split and a packed descriptor are both 16 bytes. */
	return (size_t)size * VQ_INDIRECT_MAX * sizeof(struct vring_desc);
}

void virtq_set_indirect(struct virtq *q, void *tables)
{
	q->indirect = tables;
}

/*
 * The chain in head's indirect table, linked in order, and one ring
 * descriptor naming the table (virtio 1.x, 2.7.5.3): neither NEXT nor
 * WRITE on that one, the table's entries say which buffers are written.
 */
static void add_indirect(struct virtq *q, uint16_t head,
			 const struct virtq_buf *out, unsigned int nout,
			 const struct virtq_buf *in, unsigned int nin)
{
	struct vring_desc *t = (struct vring_desc *)q->indirect +
			       (size_t)head * VQ_INDIRECT_MAX;
	unsigned int n = nout + nin;

	for (unsigned int k = 0; k < n; k++) {
		const struct virtq_buf *b = k < nout ? &out[k] : &in[k - nout];
		uint16_t flags = k < nout ? 0 : VRING_DESC_F_WRITE;

		t[k].addr = q->addr(b->p);
		t[k].len = b->len;
		if (k + 1 < n) {
			flags |= VRING_DESC_F_NEXT;
			t[k].next = (uint16_t)(k + 1);
		}
		t[k].flags = flags;
	}
	q->desc[head].addr = q->addr(t);
	q->desc[head].len = (uint32_t)(n * sizeof(*t));
	q->desc[head].flags = VRING_DESC_F_INDIRECT;
}

/*
 * A chain of one buffer, the common case, without the general loop: fewer
 * registers to save and stores to queue behind the descriptor's, whose
 * line the device last read and we must win back.
 */
static int add_one(struct virtq *q, const struct virtq_buf *b, uint16_t flags,
		   void *cookie)
{
	uint16_t head = q->free_head;
	struct vring_desc *d = &q->desc[head];

	if (q->in_order)
		return virtq_in_order_add_one(q, b, flags, cookie);
	if (!q->num_free)
		return -1;
	d->addr = q->addr(b->p);
	d->len = b->len;
	d->flags = flags;
	q->free_head = q->id_next[head];
	q->id_ndesc[head] = 1;
	q->num_free--;
	q->cookie[head] = cookie;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	return 0;
}

/* Longer chains: a loop that links descriptors. */
static __attribute__((noinline)) int
add_chain(struct virtq *q, const struct virtq_buf *out, unsigned int nout,
	  const struct virtq_buf *in, unsigned int nin, void *cookie)
{
	unsigned int n = nout + nin, ndesc = n;
	uint16_t head = q->free_head, i = head;

	if (virtq_use_indirect(q, n))
		ndesc = 1;
	if (!n || ndesc > q->num_free)
		return -1;
	if (ndesc < n) {
		add_indirect(q, head, out, nout, in, nin);
		q->id_va[head] = NULL;
	} else {
		for (unsigned int k = 0;; k++) {
			const struct virtq_buf *b = k < nout ? &out[k] :
							       &in[k - nout];
			struct vring_desc *d = &q->desc[i];
			uint16_t flags = k < nout ? 0 : VRING_DESC_F_WRITE;

			q->id_va[i] = NULL;	/* not a one-buffer slot now */
			q->id_ndesc[i] = 0;	/* nor a head, unless it is */

			d->addr = q->addr(b->p);
			d->len = b->len;
			if (k + 1 == n) {
				d->flags = flags;
				break;
			}
			/* next is the device's only when NEXT is set. */
			d->flags = flags | VRING_DESC_F_NEXT;
			d->next = q->id_next[i];
			i = q->id_next[i];
		}
	}
	q->free_head = q->id_next[i];
	q->id_ndesc[head] = (uint16_t)ndesc;
	if (q->in_order)
		q->id_inlen[head] = virtq_in_bytes(in, nin);
	q->num_free = (uint16_t)(q->num_free - ndesc);
	q->cookie[head] = cookie;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *out, unsigned int nout,
	      const struct virtq_buf *in, unsigned int nin, void *cookie)
{
	if (q->packed)
		return virtq_packed_add(q, out, nout, in, nin, cookie);
	if (nout + nin == 1)
		return add_one(q, nout ? out : in, nout ? 0 : VRING_DESC_F_WRITE,
			       cookie);
	return add_chain(q, out, nout, in, nin, cookie);
}

void virtq_expose(struct virtq *q)
{
	/* Packed: each chain's first flags made it visible at the add. */
	if (q->packed)
		return;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	q->undecided += (uint16_t)(q->avail_idx - q->exposed_idx);
	q->exposed_idx = q->avail_idx;
}

int virtq_kick_needed(struct virtq *q)
{
	uint16_t old = q->kicked_idx, now = q->exposed_idx, event;
	uint32_t undecided = q->undecided;

	if (q->packed)
		return virtq_packed_kick_needed(q);
	if (!undecided)
		return 0;	/* nothing exposed since the last decision */
	/*
	 * Our index before our look at the device's request, as the device
	 * stores its request before its last look at our index
	 * (kb_vq_kicks_on()): one of the two sees the other.  The fence
	 * waits for every store still queued, the payloads among them.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kicked_idx = now;
	q->undecided = 0;
	if (!q->event_idx)
		return !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
			 VRING_USED_F_NO_NOTIFY);
	if (undecided > 0xffff)
		return 1;	/* more than the indices can tell apart */
	event = __atomic_load_n(avail_event(q), __ATOMIC_RELAXED);
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

int virtq_publish(struct virtq *q)
{
	virtq_expose(q);
	return virtq_kick_needed(q);
}

/* The chain is still linked in id_next: find its end, splice it in. */
static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t i = head, n = q->id_ndesc[head];

	for (uint16_t k = 1; k < n; k++)
		i = q->id_next[i];
	q->id_next[i] = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
}

void *virtq_get(struct virtq *q, uint32_t *len)
{
	uint16_t idx;
	struct vring_used_elem e;
	void *cookie;

	if (q->broken)
		return NULL;
	if (q->packed)
		return virtq_packed_get(q, len);
	if (q->in_order)
		return virtq_in_order_get(q, len);
	/*
	 * The device's index is read again only once what it last covered
	 * is consumed: each read pulls a line the device keeps writing.
	 */
	if (q->last_used == q->used_seen) {
		idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
		if (idx == q->last_used)
			return NULL;
		if (!virtq_used_idx_sane(q, idx))
			return NULL;
		q->used_seen = idx;
	}
	e = q->used->ring[q->last_used & (q->size - 1)];
	q->last_used++;
	if (e.id >= q->size || !q->cookie[e.id]) {
		q->broken = 1;	/* a device bug; nothing sane to return */
		return NULL;
	}
	cookie = q->cookie[e.id];
	q->cookie[e.id] = NULL;
	free_chain(q, (uint16_t)e.id);
	if (len)
		*len = e.len;
	return cookie;
}

/*
 * Interrupts (virtio 1.x, 2.7.10): with EVENT_IDX the device interrupts
 * when its used index passes used_event, so setting it to our position
 * asks for one at the next completion and setting it just behind us asks
 * for none for the next 65535; without, NO_INTERRUPT in the available
 * ring's flags says it.
 */
void virtq_disarm(struct virtq *q)
{
	if (q->packed)
		virtq_packed_disarm(q);
	else if (q->event_idx)
		__atomic_store_n(used_event(q), (uint16_t)(q->last_used - 1),
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->avail->flags, VRING_AVAIL_F_NO_INTERRUPT,
				 __ATOMIC_RELAXED);
}

int virtq_arm(struct virtq *q)
{
	if (q->broken)
		return 0;
	if (q->packed)
		return virtq_packed_arm(q);
	if (q->event_idx)
		__atomic_store_n(used_event(q), q->last_used, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->avail->flags, 0, __ATOMIC_RELAXED);
	/* Our request before our last look at the used index. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) !=
	       q->last_used;
}

void virtq_state(struct virtq *q, struct virtq_state *s)
{
	if (q->packed) {
		virtq_packed_state(q, s);
		return;
	}
	s->added = q->avail_idx;
	s->taken = q->last_used;
	s->kicked = q->kicked_idx;
	s->published = __atomic_load_n(&q->avail->idx, __ATOMIC_RELAXED);
	s->used = __atomic_load_n(&q->used->idx, __ATOMIC_RELAXED);
	s->notify_at = q->event_idx ?
		__atomic_load_n(avail_event(q), __ATOMIC_RELAXED) : 0xffff;
}

uint32_t virtq_in_bytes(const struct virtq_buf *in, unsigned int nin)
{
	uint32_t n = 0;

	for (unsigned int k = 0; k < nin; k++)
		n += in[k].len;
	return n;
}

unsigned int virtq_add_bufs(struct virtq *q, const struct virtq_buf *b,
			    unsigned int n, int write, void *const *cookie)
{
	unsigned int k;

	if (q->packed && q->in_order)
		return virtq_packed_add_bufs(q, b, n, write, cookie);
	if (q->packed || !q->in_order) {
		for (k = 0; k < n; k++)
			if (virtq_add(q, write ? NULL : &b[k], !write,
				      write ? &b[k] : NULL, !!write, cookie[k]))
				break;
		return k;
	}
	return virtq_in_order_add_bufs(q, b, n, write, cookie);
}

unsigned int virtq_get_bufs(struct virtq *q, void **cookie, uint32_t *len,
			    unsigned int n)
{
	unsigned int k;

	if (q->broken)
		return 0;
	if (q->in_order)
		return q->packed ? virtq_packed_get_bufs(q, cookie, len, n) :
				   virtq_in_order_get_bufs(q, cookie, len, n);
	for (k = 0; k < n; k++) {
		cookie[k] = virtq_get(q, len ? &len[k] : NULL);
		if (!cookie[k])
			break;
	}
	return k;
}
