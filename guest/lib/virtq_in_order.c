/*
 * The split ring under VIRTIO_F_IN_ORDER, the half of lib/virtq.c a
 * device that negotiated it takes: adds that store only what changed,
 * and used entries that may each stand for a batch.
 *
 * VIRTIO_F_IN_ORDER (virtio 1.1, 2.7.5.1 and 2.7.8): descriptors are
 * taken in ring order, a chain's linked to the next one (the last wraps
 * to 0), and chains are used in the order they were made available.  The
 * free descriptors are then always the num_free after free_head, and the
 * oldest chain out starts right after them.
 *
 * One used entry may stand for a batch: it names the head of the batch's
 * last chain, and the chains before it, oldest first, are used too (with
 * all their writable bytes written).  The entry is believed only if it
 * names the head of a chain that is out, so the walk from the oldest
 * chain ends there; otherwise nothing is returned.
 */
#include "lib/virtq.h"
#include "lib/virtq_in_order.h"
#include "lib/virtq_packed.h"

void virtq_set_in_order(struct virtq *q)
{
	q->in_order = 1;
	for (uint16_t i = 0; i < q->size; i++)
		q->id_next[i] = (uint16_t)((i + 1) & (q->size - 1));
}

/*
 * In order, a buffer posted again at the slot it had a lap ago (a fixed
 * pool, the common case) finds its descriptor and avail entry already
 * right: the device never writes either, so they are compared (the
 * address through id_va, sparing the translation), and only what differs
 * is stored.  So are our own records of the chain, which a fixed pool
 * repeats too: the cookie is not cleared when the chain comes back (see
 * chain_is_out()).  In steady state the add stores nothing; with two
 * cores that is what counts, as every store queues behind the payload
 * stores still waiting for lines the device last read, and the kick
 * decision's fence waits for them all.
 */
static inline void put_one(struct virtq *q, uint16_t head, uint16_t slot,
			   const struct virtq_buf *b, uint16_t flags,
			   void *cookie)
{
	struct vring_desc *d = &q->desc[head];

	if (q->id_va[head] != b->p) {
		q->id_va[head] = b->p;
		d->addr = q->addr(b->p);
	}
	if (d->len != b->len)
		d->len = b->len;
	if (d->flags != flags)
		d->flags = flags;
	virtq_note_one(q, head, flags ? b->len : 0, cookie);
	if (q->avail->ring[slot] != head)
		q->avail->ring[slot] = head;
}

int virtq_in_order_add_one(struct virtq *q, const struct virtq_buf *b,
			   uint16_t flags, void *cookie)
{
	uint16_t head = q->free_head, mask = (uint16_t)(q->size - 1);

	if (!q->num_free)
		return -1;
	put_one(q, head, q->avail_idx & mask, b, flags, cookie);
	q->free_head = (head + 1) & mask;
	q->num_free--;
	q->avail_idx++;
	return 0;
}

unsigned int virtq_in_order_add_bufs(struct virtq *q, const struct virtq_buf *b,
				     unsigned int n, int write,
				     void *const *cookie)
{
	uint16_t mask = (uint16_t)(q->size - 1), head = q->free_head;
	uint16_t idx = q->avail_idx, flags = write ? VRING_DESC_F_WRITE : 0;
	unsigned int k;

	if (n > q->num_free)
		n = q->num_free;
	for (k = 0; k < n; k++)
		put_one(q, (head + k) & mask, (idx + k) & mask, &b[k], flags,
			cookie[k]);
	q->free_head = (head + n) & mask;
	q->num_free = (uint16_t)(q->num_free - n);
	q->avail_idx = (uint16_t)(idx + n);
	return n;
}

/*
 * In order, the chains out are the size - num_free descriptors from the
 * oldest on, and each was written this lap, so a head among them has
 * its count and every other descriptor a count of 0 (add_chain()).  That
 * is what a used entry is checked against, not the cookie: a cookie left
 * in place when its chain comes back needs no store at the next add.
 * The walk from the oldest chain, head by head, then ends at the entry.
 */
static int chain_is_out(const struct virtq *q, uint32_t id)
{
	uint16_t mask = (uint16_t)(q->size - 1);
	uint16_t oldest = (q->free_head + q->num_free) & mask;

	return id < q->size &&
	       ((id - oldest) & mask) < (uint16_t)(q->size - q->num_free) &&
	       q->id_ndesc[id];
}

static int batch_start(struct virtq *q)
{
	uint16_t mask = (uint16_t)(q->size - 1), seen;
	struct vring_used_elem *u = &q->used->ring[q->last_used & mask];
	struct vring_used_elem e;

	seen = (uint16_t)(q->used_seen - q->last_used);
	if (!seen || seen > q->size) {
		uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

		/*
		 * The entry is read with the index, before the branch on it:
		 * read after, it waited for the index's line to arrive and
		 * the branch to resolve, then fetched its own line, a second
		 * trip to the device's core on every round trip (the entry
		 * shares the index's line for ring[0..6] only).  The acquire
		 * keeps it no older than the index; unused if idx says none.
		 */
		e.id = __atomic_load_n(&u->id, __ATOMIC_RELAXED);
		e.len = __atomic_load_n(&u->len, __ATOMIC_RELAXED);
		seen = (uint16_t)(idx - q->last_used);
		if (!seen || !virtq_used_idx_sane(q, idx))
			return 0;
		q->used_seen = idx;
	} else {
		e = *u;
	}
	if (!chain_is_out(q, e.id)) {
		q->broken = 1;	/* a device bug */
		return 0;
	}
	q->batch_id = (uint16_t)e.id;
	q->batch_len = e.len;
	q->in_batch = 1;
	return 1;
}

/*
 * In order: the chains of each used entry freed oldest first, the ring
 * state in locals across them; virtq_in_order_get()'s work without a call, a
 * reload and a store per chain.
 */
unsigned int virtq_in_order_get_bufs(struct virtq *q, void **cookie,
				     uint32_t *len, unsigned int n)
{
	uint16_t mask = (uint16_t)(q->size - 1), num_free = q->num_free;
	uint16_t head = (q->free_head + num_free) & mask, last, nd;
	unsigned int k = 0, k0;

	while (k < n && (q->in_batch || batch_start(q))) {
		/* The chains the used index covers (see virtq_in_order_get()). */
		uint16_t room = (uint16_t)(q->used_seen - q->last_used);

		last = q->batch_id;
		k0 = k;
		for (;;) {
			if (k - k0 == room) {
				q->broken = 1;
				q->in_batch = 0;
				break;
			}
			cookie[k] = q->cookie[head];
			if (len)
				len[k] = head == last ? q->batch_len :
					 q->id_inlen[head];
			k++;
			nd = q->id_ndesc[head];
			num_free = (uint16_t)(num_free + nd);
			if (head == last) {
				q->in_batch = 0;
				break;
			}
			/*
			 * The next head is this one plus its descriptors: a
			 * branch on the usual one, so the next chain's loads
			 * need not wait for this chain's count.
			 */
			if (__builtin_expect(nd == 1, 1))
				head = (head + 1) & mask;
			else
				head = (head + nd) & mask;
			if (k == n)
				break;
		}
		head = (q->free_head + num_free) & mask;
		q->last_used = (uint16_t)(q->last_used + (k - k0));
		q->num_free = num_free;
		if (q->broken)
			break;
	}
	return k;
}

void *virtq_in_order_get(struct virtq *q, uint32_t *len)
{
	uint16_t mask = (uint16_t)(q->size - 1);
	uint16_t head = (q->free_head + q->num_free) & mask;
	void *cookie;

	if (!q->in_batch && !batch_start(q))
		return NULL;
	/*
	 * A batch's entry names its last chain, and the used index moved
	 * over every chain in it: a chain the index does not cover is not
	 * the device's to give back, whatever the entry says (it may still
	 * be writing it).  What the index covers came back; the rest stays
	 * out, the queue broken.
	 */
	if (q->last_used == q->used_seen) {
		q->broken = 1;
		q->in_batch = 0;
		return NULL;
	}
	cookie = q->cookie[head];
	q->num_free = (uint16_t)(q->num_free + q->id_ndesc[head]);
	q->last_used++;
	if (len)
		*len = head == q->batch_id ? q->batch_len : q->id_inlen[head];
	if (head == q->batch_id)
		q->in_batch = 0;
	return cookie;
}
