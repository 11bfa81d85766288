/*
 * Hosted: the guest's virtqueue driver (guest/lib/virtq.c, virtq_packed.c)
 * against a device that breaks the used ring's rules, played here by
 * hand, in each layout: split, split-in-order, packed, packed-in-order.
 * Two chains are out (an out and an in buffer each, cookies 1 and 2),
 * then the device writes:
 *
 *   vq-bad-device-id-LAYOUT: a used entry naming no chain (past the ring).
 *   vq-bad-device-id-edge-LAYOUT: the same naming the ring's size, the
 *     first id past it (the cookie array ends just before: ASan sees a
 *     read there).
 *   vq-bad-device-twice-LAYOUT: chain 1's entry, taken, then chain 1's
 *     entry again.
 *   vq-bad-device-jump{,-far}-{split,split-in-order}: chain 1's entry,
 *     taken, chain 3 added (at chain 1's head, not in order), then the
 *     used index moved on by 3 (far: by the ring's size and 1), more
 *     than the two chains out, with no entries written: the stale ones
 *     there name chain 1's head, chain 3's now, which the device never
 *     completed.
 *   vq-bad-device-overreach{,-bufs}-split-in-order: one used entry naming
 *     chain 2, the batch's last, with the index moved on by one only:
 *     chain 1 comes back, chain 2 (the device may still be writing it)
 *     does not, and the queue is broken; taken by virtq_get() and by
 *     virtq_get_bufs().
 *   vq-bad-device-id-alias-packed-in-order: a packed in-order ring of
 *     VQ_PACKED_MAX, its oldest chain out near the ring's end, 30 out:
 *     an entry naming id VQ_PACKED_MAX + 2, which the distance from
 *     the oldest chain alone would place among them, is refused (the
 *     per-id records end at VQ_PACKED_MAX: past them, a length read as
 *     a descriptor count; a mutation audit found that bound untested).
 *   vq-bad-device-rewritten-LAYOUT: an entry naming no chain, refused by
 *     virtq_get_bufs(), then rewritten in place to name chain 1: the
 *     batch take does not look at a broken queue again either (found
 *     untested by a mutation audit: without its check of q->broken, an
 *     in-order queue gave chain 1 back).
 *
 * The driver's callers take completions as blk's reap() and net's
 * reap_rx() do, until virtq_arm() says nothing more is there: a refused
 * entry must not have virtq_arm() say there is one (the loop would spin
 * for ever, lock held, interrupts off).  Nothing refused comes back, and
 * no cookie twice; the queue is marked broken (q->broken, for the driver
 * to reset the device), and a sane entry after the bad one is not
 * believed either.
 *
 * One "ok NAME" / "FAIL NAME: why" line per case, "vq_bad_device: N
 * failed" last.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "lib/virtq.h"
#include "verdict.h"

#define QS 8
#define BYTES (64u << 10)
#define BUFS (32u << 10)
#define ROUNDS 1000		/* reap rounds before the loop counts as spinning */

static uint8_t *mem;
static void *cookies[QS];

static const struct layout {
	const char *name;
	int packed, in_order;
} layouts[] = {
	{ "split", 0, 0 },
	{ "split-in-order", 0, 1 },
	{ "packed", 1, 0 },
	{ "packed-in-order", 1, 1 },
};

static uint64_t gpa(const void *va)
{
	return 0x40000000ULL + (uint64_t)((const uint8_t *)va - mem);
}

/* A fresh queue with chains 1 and 2 out, published. */
static int start(struct virtq *q, const struct layout *l)
{
	struct virtq_buf b[2] = { { mem + BUFS, 64 }, { mem + BUFS + 1024, 8 } };

	memset(mem, 0, BYTES);
	memset(cookies, 0, sizeof(cookies));
	if (l->packed)
		virtq_init_packed(q, QS, mem, cookies, gpa, 0);
	else
		virtq_init(q, QS, mem, cookies, gpa, 0);
	if (l->in_order)
		virtq_set_in_order(q);
	for (uintptr_t c = 1; c <= 2; c++)
		if (virtq_add(q, b, 1, &b[1], 1, (void *)c))
			return -1;
	virtq_publish(q);
	return 0;
}

/*
 * One used entry at the driver's next position (packed: the slot it
 * looks at, marked used for its lap; split: the next used entry, the
 * index moved by one).
 */
static void use(struct virtq *q, uint16_t id, uint32_t len)
{
	if (q->packed) {
		struct vring_packed_desc *d = &q->ring[q->last_used];
		uint16_t f = q->used_wrap ?
			(uint16_t)((1U << VRING_PACKED_DESC_F_AVAIL) |
				   (1U << VRING_PACKED_DESC_F_USED)) : 0;

		d->id = id;
		d->len = len;
		__atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
	} else {
		uint16_t idx = q->used->idx;

		q->used->ring[idx & (QS - 1)].id = id;
		q->used->ring[idx & (QS - 1)].len = len;
		__atomic_store_n(&q->used->idx, (uint16_t)(idx + 1),
				 __ATOMIC_RELEASE);
	}
}

/*
 * Completions taken as the guest's drivers take them, got[] filled;
 * returns how many, or -1 if virtq_arm() still said "more" after ROUNDS.
 */
static int reap(struct virtq *q, void **got, int max)
{
	int n = 0, rounds = 0;
	void *c;

	do {
		while (n < max && (c = virtq_get(q, NULL)))
			got[n++] = c;
		if (++rounds > ROUNDS)
			return -1;
	} while (virtq_arm(q));
	return n;
}

/* The chain with this cookie's head (split) or id (packed). */
static uint16_t id_of(const struct virtq *q, uintptr_t cookie)
{
	for (uint16_t i = 0; i < QS; i++)
		if (q->cookie[i] == (void *)cookie)
			return i;
	return 0xffff;
}

static void bad_id(const struct layout *l, const char *name, uint16_t id)
{
	struct virtq q;
	void *got[4];
	int n, broken, after;

	if (start(&q, l)) {
		verdict(name, l->name, 0, "no room for two chains");
		return;
	}
	use(&q, id, 8);
	n = reap(&q, got, 4);
	if (n < 0) {
		verdict(name, l->name, 0,
			"virtq_arm() said a completion was there for %d rounds: the caller spins",
			ROUNDS);
		return;
	}
	broken = q.broken;
	use(&q, id_of(&q, 1), 8);
	after = reap(&q, got + n, 4 - n);
	verdict(name, l->name, n == 0 && broken && after == 0,
		"%d chains came back for an entry naming none (want 0), the queue %s, then %d for chain 1's own entry (want 0)",
		n, broken ? "broken" : "not marked broken", after);
}

static void twice(const struct layout *l)
{
	struct virtq q;
	void *got[4];
	uint16_t id;
	int n, again;

	if (start(&q, l)) {
		verdict("vq-bad-device-twice", l->name, 0, "no room for two chains");
		return;
	}
	id = id_of(&q, 1);
	use(&q, id, 8);
	n = reap(&q, got, 4);
	use(&q, id, 8);
	again = reap(&q, got, 4);
	verdict("vq-bad-device-twice", l->name,
		n == 1 && got[0] == (void *)1 && again == 0 && q.broken,
		"the first entry gave %d chains (want 1, cookie 1), the same again %d (want 0; -1: virtq_arm() said one was there for %d rounds), the queue %s",
		n, again, ROUNDS, q.broken ? "broken" : "not marked broken");
}

/*
 * Split: used->idx moved on by step past what the device wrote, with
 * chains 2 and 3 out.  The entries it covers are what was there (zeroes:
 * id 0, chain 3's head when not in order).
 */
static void jump(const struct layout *l, const char *name, uint16_t step)
{
	struct virtq_buf b[2] = { { mem + BUFS, 64 }, { mem + BUFS + 1024, 8 } };
	struct virtq q;
	void *got[4];
	int n, after;

	if (start(&q, l)) {
		verdict(name, l->name, 0, "no room for two chains");
		return;
	}
	use(&q, id_of(&q, 1), 8);
	n = reap(&q, got, 4);
	if (n != 1 || virtq_add(&q, b, 1, &b[1], 1, (void *)3)) {
		verdict(name, l->name, 0, "chain 1 not back, or no room for 3");
		return;
	}
	virtq_publish(&q);
	__atomic_store_n(&q.used->idx, (uint16_t)(q.used->idx + step),
			 __ATOMIC_RELEASE);
	after = reap(&q, got, 4);
	verdict(name, l->name, after == 0 && q.broken,
		"%d chains came back for an index %u ahead with 2 out (want 0: %s%s), the queue %s",
		after, step, after > 0 && got[0] == (void *)3 ? "chain 3, never completed" : "",
		after < 0 ? "virtq_arm() said one was there for ever" : "",
		q.broken ? "broken" : "not marked broken");
}

static void overreach(const struct layout *l, const char *name, int bufs)
{
	struct virtq q;
	void *got[4] = { 0 };
	int n;

	if (start(&q, l)) {
		verdict(name, l->name, 0, "no room for two chains");
		return;
	}
	use(&q, id_of(&q, 2), 8);
	if (bufs) {
		uint32_t len[4];

		n = (int)virtq_get_bufs(&q, got, len, 4);
		n += (int)virtq_get_bufs(&q, got + n, len + n, 4 - n);
	} else {
		n = reap(&q, got, 4);
	}
	verdict(name, l->name, n == 1 && got[0] == (void *)1 && q.broken,
		"%d chains came back (want 1: chain 1; chain 2 is past the index), the first %p, the queue %s",
		n, got[0], q.broken ? "broken" : "not marked broken");
}

static void id_alias(void)
{
	static void *big[VQ_PACKED_MAX];
	const char *name = "vq-bad-device-id-alias-packed-in-order";
	struct virtq_buf b = { mem + BUFS, 8 };
	static struct virtq q;
	struct vring_packed_desc *d;
	void *got[64];
	uint32_t len[64];
	int n = 0, good = 1;

	memset(mem, 0, BYTES);
	memset(big, 0, sizeof(big));
	if (virtq_packed_bytes(VQ_PACKED_MAX) > BUFS) {
		verdict(name, NULL, 0, "the ring does not fit");
		return;
	}
	virtq_init_packed(&q, VQ_PACKED_MAX, mem, big, gpa, 0);
	virtq_set_in_order(&q);
	/* 1000 chains out and back under one used descriptor. */
	for (uintptr_t i = 1; i <= 1000; i++)
		good &= !virtq_add(&q, NULL, 0, &b, 1, (void *)i);
	use(&q, 999, 8);
	while (good && n < 1000) {
		unsigned int k = virtq_get_bufs(&q, got, len, 64);

		good &= k > 0;
		n += (int)k;
	}
	/* 30 more: slots 1000..1023, then 0..5 on the next lap. */
	for (uintptr_t i = 2000; i < 2030; i++)
		good &= !virtq_add(&q, NULL, 0, &b, 1, (void *)i);
	if (!good || q.last_used != 1000) {
		verdict(name, NULL, 0, "setting up: the first 1000 chains did not come back");
		return;
	}
	d = &q.ring[q.last_used];
	use(&q, VQ_PACKED_MAX + 2, 8);
	n = reap(&q, got, 64);
	verdict(name, NULL, n == 0 && q.broken && d->id == VQ_PACKED_MAX + 2,
		"%d chains came back for an entry naming id %u in a ring of %u (want 0), the queue %s",
		n, VQ_PACKED_MAX + 2, VQ_PACKED_MAX,
		q.broken ? "broken" : "not marked broken");
}

/* The refused entry itself rewritten (same index or slot) to a sane one. */
static void rewritten(const struct layout *l)
{
	const char *name = "vq-bad-device-rewritten";
	struct virtq q;
	void *got[4];
	uint32_t len[4];
	unsigned int n, after;

	if (start(&q, l)) {
		verdict(name, l->name, 0, "no room for two chains");
		return;
	}
	use(&q, QS + 3, 8);
	n = virtq_get_bufs(&q, got, len, 4);
	if (q.packed) {
		q.ring[q.last_used].id = id_of(&q, 1);
	} else {
		q.used->ring[q.last_used & (QS - 1)].id = id_of(&q, 1);
		q.used->idx = (uint16_t)(q.last_used + 1);
	}
	after = virtq_get_bufs(&q, got, len, 4);
	verdict(name, l->name, n == 0 && after == 0 && q.broken,
		"%u chains came back for an entry naming none (want 0), then %u once it named chain 1 (want 0: the queue is broken), the queue %s",
		n, after, q.broken ? "broken" : "not marked broken");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mem = aligned_alloc(4096, BYTES);
	if (!mem)
		return 2;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		bad_id(&layouts[i], "vq-bad-device-id", QS + 3);
		bad_id(&layouts[i], "vq-bad-device-id-edge", QS);
		twice(&layouts[i]);
		rewritten(&layouts[i]);
		if (layouts[i].packed)
			continue;	/* no used index */
		jump(&layouts[i], "vq-bad-device-jump", 3);
		jump(&layouts[i], "vq-bad-device-jump-far", QS + 1);
		if (!layouts[i].in_order)
			continue;
		overreach(&layouts[i], "vq-bad-device-overreach", 0);
		overreach(&layouts[i], "vq-bad-device-overreach-bufs", 1);
	}
	id_alias();
	free(mem);
	printf("vq_bad_device: %d failed\n", failures);
	return failures != 0;
}
