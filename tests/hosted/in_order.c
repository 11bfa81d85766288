/*
 * VIRTIO_F_IN_ORDER, both layouts, driver (guest/lib/virtq*.c) against
 * device (host/backend/vq*.c):
 *
 *   in-order-{split,packed}: random chains (one to three buffers, out
 *     and in), random batches, lengths written in full or in part: every
 *     cookie comes back once, in order, with its length; a batch written
 *     in full costs one used entry, where the used ring shows it.
 *   in-order-off-{split,packed}: the same traffic without the feature
 *     gives every chain its own used entry.
 *   in-order-bufs-{split,packed}: the same traffic taken back with
 *     virtq_get_bufs(), 1 to 8 at a time, so that its walk crosses
 *     batches of chains of several descriptors and stops inside them,
 *     never giving more than asked (a mutation audit found both
 *     untested: only one-buffer chains had reached the walk, and
 *     nothing looked past the count asked for).
 *   in-order-packed-one-mark-per-batch, in-order-packed-used-addr{,-bufs}:
 *     the packed layout's own, in in_order_packed.c.
 *   in-order-hostile-driver{,-bufs}, in-order-hostile-device-*,
 *     in-order-random-device-*: a driver or device that breaks the
 *     rules, in in_order_hostile.c.
 *   in-order-arm-mid-batch-{split,packed}: three chains under one used
 *     entry, one taken back: virtq_arm() says more is there (a driver
 *     that stops mid-batch, on a budget, and arms would otherwise sleep
 *     on completions already written), and once all three are taken
 *     says nothing is (a mutation audit found the packed layout's
 *     mid-batch answer untested).
 *   in-order-indirect-reuse-{split,packed}: with indirect tables, a
 *     slot that carried a one-buffer chain, then an indirect chain
 *     (its descriptor naming the table), then the first buffer again:
 *     the device is given that buffer's address, not the table's (the
 *     address is compared with the buffer the slot last carried, so
 *     the table must make the slot forget it; a mutation audit found
 *     that untested in both layouts: the packed device's used mark
 *     lands on the batch's first slot only, and the split device
 *     writes no descriptor).
 *   add-bufs-...: the batch calls, in add_bufs.c.
 *   in-order-negotiated-{split,packed} / in-order-declined-*: through
 *     the shipped transport (lib/virtio.c, host/backend/device.c) and a
 *     device class that offers the feature: negotiated, both sides' queues
 *     run in order (one used entry for a batch); declined by the driver,
 *     neither does.
 *
 * One "ok NAME" / "FAIL NAME: why" line per case, under ASan+UBSan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "hosted/virtio_hosted.h"
#include "in_order.h"

#define BASE 0x40000000ULL
#define BYTES (512u << 10)
#define RING2 (64u << 10)		/* the packed ring */

uint8_t *mem;			/* BYTES at guest physical BASE */
static struct kb_region r;
static int failures;
static void *cookies[QS];

static uint64_t gpa(const void *va)
{
	return BASE + (uint64_t)((const uint8_t *)va - mem);
}

void check(const char *name, int good, const char *why)
{
	if (good) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

void pair(struct virtq *q, struct kb_vq *d, int packed, int in_order)
{
	int bad;

	memset(mem, 0, BYTES);
	if (packed) {
		virtq_init_packed(q, QS, mem + RING2, cookies, gpa, 1);
		bad = kb_vq_setup_packed(d, &r, QS, gpa(q->ring),
					 gpa(q->driver_event),
					 gpa(q->device_event), 1);
	} else {
		virtq_init(q, QS, mem, cookies, gpa, 1);
		bad = kb_vq_setup(d, &r, QS, gpa(q->desc), gpa(q->avail),
				  gpa(q->used), 1);
	}
	if (bad) {
		printf("FAIL setup: %s\n", d->error);
		exit(1);
	}
	if (in_order) {
		virtq_set_in_order(q);
		kb_vq_set_in_order(d);
	}
}

/* Used entries the device wrote: split ring entries, or packed used marks. */
static unsigned long used_writes;

static void count_used(struct virtq *q, struct kb_vq *d, uint16_t from,
		       uint16_t to)
{
	/* Split: the entries in [from, to) not still holding the sentinel. */
	for (uint16_t i = from; i != to; i++) {
		struct vring_used_elem *e = &q->used->ring[i & (QS - 1)];

		if (e->id != 0xdead) {
			used_writes++;
			e->id = 0xdead;
		}
	}
	(void)d;
}

/*
 * Random traffic: returns 1 if every cookie came back once, in order,
 * with its length.  *entries: used entries (split) or used descriptors
 * (packed) the device wrote; *chains: chains completed.
 */
static int traffic(int packed, int in_order, int bufs,
		   unsigned long *entries, unsigned long *chains)
{
	static struct kb_chain c;
	struct virtq q;
	struct kb_vq d;
	long next_add = 0, next_get = 0, popped = 0;
	uint32_t want_len[4096];
	int good = 1;

	pair(&q, &d, packed, in_order);
	if (!packed)
		for (int i = 0; i < QS; i++)
			q.used->ring[i].id = 0xdead;
	used_writes = 0;
	*chains = 0;
	srand(packed * 2 + in_order + 1);
	for (int round = 0; round < 3000 && next_add < 4000; round++) {
		int nadd = rand() % 9, npop = rand() % 9;

		for (int k = 0; k < nadd; k++) {
			int nout = rand() % 3, nin = rand() % 3;
			struct virtq_buf b[4];

			if (!nout && !nin)
				nout = 1;
			for (int j = 0; j < nout + nin; j++) {
				b[j].p = mem + BUFS + ((next_add * 3 + j) % 96) * 1024;
				b[j].len = 16 + j;
			}
			if (virtq_add(&q, b, nout, &b[nout], nin,
				      (void *)(uintptr_t)(next_add + 1)))
				break;
			next_add++;
		}
		virtq_publish(&q);
		for (int k = 0; k < npop; k++) {
			uint32_t len;

			if (kb_vq_pop(&d, &c) != 1)
				break;
			/* Written in full, or (one in four) in part. */
			len = c.in_len && rand() % 4 == 0 ? c.in_len - 1 :
							    c.in_len;
			want_len[popped++ % 4096] = len;
			kb_vq_push_quiet(&d, &c, len);
		}
		kb_vq_publish(&d);
		for (;;) {
			/* Room for more than asked: none of it written. */
			uint32_t len[16];
			void *ck[16] = { 0 };
			unsigned int want = bufs ? 1 + rand() % 8 : 1, got;

			memset(len, 0xff, sizeof(len));
			if (bufs) {
				got = virtq_get_bufs(&q, ck, len, want);
			} else {
				ck[0] = virtq_get(&q, len);
				got = !!ck[0];
			}
			good &= got <= want && !ck[want] &&
				len[want] == 0xffffffff;
			for (unsigned int k = 0; k < got && k < want; k++) {
				good &= (uintptr_t)ck[k] ==
					(uintptr_t)(next_get + 1);
				good &= len[k] == want_len[next_get % 4096];
				next_get++;
			}
			if (got < want)
				break;
		}
		/* The driver has read them all: count, then reset. */
		if (!packed)
			count_used(&q, &d, (uint16_t)(d.used_idx - 64),
				   d.used_idx);
		if (d.error) {
			printf("# device: %s\n", d.error);
			good = 0;
			break;
		}
	}
	/* What is still out: everything back, every descriptor free. */
	while (kb_vq_pop(&d, &c) == 1) {
		want_len[popped++ % 4096] = c.in_len;
		kb_vq_push(&d, &c, c.in_len);
	}
	for (void *ck; (ck = virtq_get(&q, NULL)); next_get++)
		good &= (uintptr_t)ck == (uintptr_t)(next_get + 1);
	if (!packed)
		count_used(&q, &d, (uint16_t)(d.used_idx - 64), d.used_idx);
	if (getenv("IN_ORDER_DEBUG"))
		printf("# get %ld popped %ld added %ld free %u good %d\n",
		       next_get, popped, next_add, q.num_free, good);
	good &= next_get == popped && next_get == next_add && next_get > 1000;
	good &= q.num_free == QS;
	*chains = (unsigned long)next_get;
	*entries = packed ? 0 : used_writes;
	return good;
}

static void in_order_traffic(void)
{
	unsigned long entries, chains;
	int good;

	good = traffic(0, 1, 0, &entries, &chains);
	check("in-order-split", good && entries < chains * 3 / 4,
	      "cookies lost, out of order, wrong lengths, or one used entry per chain");
	printf("# split in order: %lu used entries for %lu chains\n", entries,
	       chains);
	good = traffic(0, 0, 0, &entries, &chains);
	check("in-order-off-split", good && entries == chains,
	      "without IN_ORDER every chain needs its used entry");
	good = traffic(1, 1, 0, &entries, &chains);
	check("in-order-packed", good, "cookies lost, out of order, or wrong lengths");
	good = traffic(1, 0, 0, &entries, &chains);
	check("in-order-off-packed", good, "cookies lost or wrong lengths");
	good = traffic(0, 1, 1, &entries, &chains);
	check("in-order-bufs-split", good && entries < chains * 3 / 4,
	      "virtq_get_bufs(): cookies lost, out of order, wrong lengths, or more than asked for");
	good = traffic(1, 1, 1, &entries, &chains);
	check("in-order-bufs-packed", good,
	      "virtq_get_bufs(): cookies lost, out of order, wrong lengths, or more than asked for");
}

/* A device that serves in order: every chain back, written in full. */
static int echo_work(struct kb_device *d, int budget)
{
	int n = 0;

	while (n < budget && kb_device_pop(d, 0, &d->chain) > 0) {
		kb_device_push(d, 0, &d->chain, d->chain.in_len);
		n++;
	}
	if (n)
		kb_device_kick(d, 0);
	return n;
}

static void echo_reset(struct kb_device *d)
{
	(void)d;
}

static const struct kb_device_class echo_class = {
	.name = "echo",
	.device_id = 1,
	.num_queues = 1,
	.queue_size_max = QS,
	.features = 1ULL << VIRTIO_F_IN_ORDER,
	.kick_queues = 1,
	.work = echo_work,
	.reset = echo_reset,
};

static const struct kb_device_ops echo_ops;

static void negotiated(int packed, int want_in_order)
{
	static struct kspawn_device slot;
	static struct virtio_dev vd;
	static struct kb_device dev;
	uint64_t wanted = ~0ULL;
	struct virtq *q = &vd.vq[0];
	struct virtq_buf b = { mem + BUFS, 64 };
	int good = 1, used = 0;
	char name[64];

	if (!packed)
		wanted &= ~(1ULL << VIRTIO_F_RING_PACKED);
	if (!want_in_order)
		wanted &= ~(1ULL << VIRTIO_F_IN_ORDER);
	memset(mem, 0, BYTES);
	memset(&slot, 0, sizeof(slot));
	vh_region(mem, BASE, BYTES, RING2);
	kb_device_init(&dev, &slot, &r, &echo_class, NULL, &echo_ops, NULL);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&dev);
	good &= !virtio_start(&vd, wanted);
	good &= !virtio_queue(&vd, 0, QS, NULL);
	virtio_ready(&vd);
	kb_device_poll(&dev, 1);
	good &= dev.live && !virtio_broken(&vd);
	good &= q->in_order == want_in_order &&
		dev.vq[0].in_order == want_in_order && q->packed == packed;
	for (int lap = 0; good && lap < 3 * QS / 8; lap++) {
		for (int i = 0; i < 8; i++)
			good &= !virtq_add(q, &b, 1, NULL, 0,
					   (void *)(uintptr_t)(lap * 8 + i + 1));
		virtq_publish(q);
		kb_device_poll(&dev, 64);
		if (lap == 0 && !packed) {
			for (int i = 0; i < 8; i++)
				used += q->used->ring[i].id != 0 ||
					q->used->ring[i].len != 0 || i == 0;
		}
		for (int i = 0; i < 8; i++)
			good &= virtq_get(q, NULL) ==
				(void *)(uintptr_t)(lap * 8 + i + 1);
		good &= !virtq_get(q, NULL);
	}
	/* Split, first batch: used entries 1..7 untouched in order. */
	if (!packed)
		good &= used == (want_in_order ? 1 : 8);
	snprintf(name, sizeof(name), "in-order-%s-%s",
		 want_in_order ? "negotiated" : "declined",
		 packed ? "packed" : "split");
	check(name, good, "feature not negotiated as asked, or traffic wrong");
}

/* Every chain out served as one batch, written in full; all taken back. */
static int serve_all(struct virtq *q, struct kb_vq *d, struct kb_chain *c,
		     int n, void **seen)
{
	void *got[QS];
	int good = 1;

	virtq_publish(q);
	for (int i = 0; i < n; i++) {
		good &= kb_vq_pop(d, &c[i]) == 1;
		seen[i] = c[i].seg[0].p;
		kb_vq_push_quiet(d, &c[i], c[i].in_len);
	}
	kb_vq_publish(d);
	return good && virtq_get_bufs(q, got, NULL, QS) == (unsigned int)n;
}

static void indirect_reuse(int packed)
{
	static struct kb_chain c[QS];
	uint8_t *a = mem + BUFS, *t = mem + BUFS + 1024;
	struct virtq_buf one = { a, 64 };
	struct virtq_buf two[2] = { { t, 64 }, { t + 512, 64 } };
	void *seen[QS];
	struct virtq q;
	struct kb_vq d;
	int good = 1;

	pair(&q, &d, packed, 1);
	virtq_set_indirect(&q, mem + (96u << 10));
	/* A lap of one-buffer chains: every slot last carried a. */
	for (uintptr_t i = 1; i <= QS; i++)
		good &= !virtq_add(&q, NULL, 0, &one, 1, (void *)i);
	good &= serve_all(&q, &d, c, QS, seen);
	/* Slot 0 a again, slot 1 an indirect chain: one batch. */
	good &= !virtq_add(&q, NULL, 0, &one, 1, (void *)1);
	good &= !virtq_add(&q, two, 1, &two[1], 1, (void *)2);
	good &= serve_all(&q, &d, c, 2, seen);
	/* To the end of the lap, then slots 0 and 1 with a once more. */
	for (uintptr_t i = 3; i <= QS; i++)
		good &= !virtq_add(&q, NULL, 0, &one, 1, (void *)i);
	good &= serve_all(&q, &d, c, QS - 2, seen);
	good &= !virtq_add(&q, NULL, 0, &one, 1, (void *)1);
	good &= !virtq_add(&q, NULL, 0, &one, 1, (void *)2);
	good &= serve_all(&q, &d, c, 2, seen);
	check(packed ? "in-order-indirect-reuse-packed" :
		       "in-order-indirect-reuse-split",
	      good && seen[0] == a && seen[1] == a && !d.error,
	      "a slot that carried an indirect chain was given the buffer it carried before that without its address");
}

static void arm_mid_batch(int packed)
{
	static struct kb_chain c[3];
	struct virtq_buf b = { mem + BUFS, 64 };
	struct virtq q;
	struct kb_vq d;
	int good = 1, mid, after;

	pair(&q, &d, packed, 1);
	for (uintptr_t i = 1; i <= 3; i++)
		good &= !virtq_add(&q, NULL, 0, &b, 1, (void *)i);
	virtq_publish(&q);
	for (int i = 0; i < 3; i++) {
		good &= kb_vq_pop(&d, &c[i]) == 1;
		kb_vq_push_quiet(&d, &c[i], 64);
	}
	kb_vq_publish(&d);
	good &= virtq_get(&q, NULL) == (void *)1;
	mid = virtq_arm(&q);
	good &= virtq_get(&q, NULL) == (void *)2;
	good &= virtq_get(&q, NULL) == (void *)3;
	after = virtq_arm(&q);
	check(packed ? "in-order-arm-mid-batch-packed" :
		       "in-order-arm-mid-batch-split",
	      good && mid == 1 && after == 0,
	      "virtq_arm() with a batch's chains still to take said none, or with all taken said one");
}

int main(void)
{
	mem = aligned_alloc(4096, BYTES);
	r = (struct kb_region){ mem, BASE, BYTES };
	in_order_traffic();
	packed_one_mark_per_batch();
	packed_used_addr(0);
	packed_used_addr(1);
	hostile_driver();
	hostile_driver_bufs();
	hostile_devices();
	arm_mid_batch(0);
	arm_mid_batch(1);
	indirect_reuse(0);
	indirect_reuse(1);
	for (int packed = 0; packed < 2; packed++) {
		for (int bufs = 0; bufs < 2; bufs++) {
			add_bufs_case(packed, 0, bufs);
			add_bufs_case(packed, 1, bufs);
		}
		random_device(packed);
		negotiated(packed, 1);
		negotiated(packed, 0);
	}
	free(mem);
	printf("in_order: %d failed\n", failures);
	return failures ? 1 : 0;
}
