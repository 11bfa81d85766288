#include <string.h>

#include "lib/virtq.h"
#include "lib/virtq_packed.h"

#define F_NEXT 1
#define F_WRITE 2
#define AVAIL_IDX 1
#define AVAIL_RING 2

struct used_elem {
	uint32_t id;
	uint32_t len;
};

static size_t align(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

static size_t used_offset(uint16_t size)
{
	return align(16u * size + 6u + 2u * size, 4096);
}

size_t virtq_bytes(uint16_t size)
{
	return used_offset(size) + align(6u + 8u * size, 4096);
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
	q->avail = (uint16_t *)(m + 16u * size);
	q->used = (uint16_t *)(m + used_offset(size));
	q->cookie = cookies;
	q->addr = addr;
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->desc_addr = addr(q->desc);
	q->avail_addr = addr(q->avail);
	q->used_addr = addr(q->used);
}

static struct used_elem *used_ring(struct virtq *q)
{
	return (struct used_elem *)(q->used + 2);
}

int virtq_add(struct virtq *q, const struct virtq_buf *out, unsigned int nout,
	      const struct virtq_buf *in, unsigned int nin, void *cookie)
{
	unsigned int n = nout + nin;
	uint16_t head = q->free_head, i = head, last = head;

	if (q->packed)
		return virtq_packed_add(q, out, nout, in, nin, cookie);
	if (!n || n > q->num_free)
		return -1;
	for (unsigned int k = 0; k < n; k++) {
		const struct virtq_buf *b = k < nout ? &out[k] : &in[k - nout];
		struct virtq_desc *d = &q->desc[i];

		d->addr = q->addr(b->p);
		d->len = b->len;
		d->flags = (uint16_t)((k < nout ? 0 : F_WRITE) |
				      (k + 1 < n ? F_NEXT : 0));
		last = i;
		i = d->next;
	}
	q->free_head = i;
	q->desc[last].next = 0;
	q->num_free = (uint16_t)(q->num_free - n);
	q->cookie[head] = cookie;
	q->avail[AVAIL_RING + (q->avail_idx & (q->size - 1))] = head;
	q->avail_idx++;
	return 0;
}

int virtq_publish(struct virtq *q)
{
	uint16_t old = q->kicked_idx, now = q->avail_idx, event;
	uint16_t *avail_event = (uint16_t *)&used_ring(q)[q->size];

	if (q->packed)
		return virtq_packed_publish(q);
	__atomic_store_n(&q->avail[AVAIL_IDX], now, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kicked_idx = now;
	if (!q->event_idx)
		return !(__atomic_load_n(&q->used[0], __ATOMIC_RELAXED) & 1);
	event = __atomic_load_n(avail_event, __ATOMIC_RELAXED);
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t i = head, n = 1;

	while (q->desc[i].flags & F_NEXT) {
		i = q->desc[i].next;
		n++;
	}
	q->desc[i].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
}

void *virtq_get(struct virtq *q, uint32_t *len)
{
	uint16_t idx;
	struct used_elem e;
	void *cookie;

	if (q->packed)
		return virtq_packed_get(q, len);
	idx = __atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE);
	if (idx == q->last_used)
		return NULL;
	e = used_ring(q)[q->last_used & (q->size - 1)];
	q->last_used++;
	if (e.id >= q->size || !q->cookie[e.id])
		return NULL;	/* a device bug; nothing sane to return */
	cookie = q->cookie[e.id];
	q->cookie[e.id] = NULL;
	free_chain(q, (uint16_t)e.id);
	if (len)
		*len = e.len;
	return cookie;
}

int virtq_arm(struct virtq *q)
{
	uint16_t *used_event = &q->avail[AVAIL_RING + q->size];

	if (q->packed)
		return virtq_packed_pending(q);
	__atomic_store_n(used_event, q->last_used, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE) != q->last_used;
}
