/*
 * Hosted: a driver that breaks the rules on purpose, against the device
 * side of the virtqueue (host/backend/vq.c, vq_packed.c).  Each case
 * builds a ring by hand, split or packed, and kb_vq_pop() must refuse it
 * with the right reason instead of reading outside the region (ASan would
 * say so) or looping.  Packed cases are named packed-*.  Every case runs
 * twice: the second time (bufs-*) the device takes with kb_vq_pop_bufs()
 * first and with kb_vq_pop() only what that leaves (a longer chain), as a
 * device using the batch take does.
 */
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/vq.h"

#define BASE 0x100000ULL
#define BYTES (1u << 20)
#define QS 8
#define DESC_OFF 0x0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define BUF_OFF 0x8000
#define IND_OFF 0x4000

static uint8_t *mem;
static struct kb_region r;
static int failures;
static int bufs;			/* take with kb_vq_pop_bufs() first */
static const char *pfx = "";

/* One take: 1 (something), 0 (nothing) or -1, as kb_vq_pop(). */
static int pop(struct kb_vq *vq, struct kb_chain *c)
{
	struct kb_buf b[4];
	int n;

	if (!bufs)
		return kb_vq_pop(vq, c);
	n = kb_vq_pop_bufs(vq, b, 4);
	if (n)
		return n < 0 ? -1 : 1;
	return kb_vq_pop(vq, c);
}

static struct vring_desc *desc(void)
{
	return (struct vring_desc *)(mem + DESC_OFF);
}

static struct vring_avail *avail(void)
{
	return (struct vring_avail *)(mem + AVAIL_OFF);
}

static struct vring_desc *ind(void)
{
	return (struct vring_desc *)(mem + IND_OFF);
}

static void fresh(void)
{
	memset(mem, 0, BYTES);
}

static void put(struct vring_desc *t, int i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){ addr, len, flags, next };
}

/* Make head available once and pop: expect ok (1) or the reason. */
static void expect(const char *name, uint16_t head, uint16_t idx,
		   const char *reason)
{
	static struct kb_chain c;
	struct kb_vq vq;
	int got;

	avail()->ring[0] = head;
	avail()->idx = idx;
	if (kb_vq_setup(&vq, &r, QS, BASE + DESC_OFF, BASE + AVAIL_OFF,
			BASE + USED_OFF, 0)) {
		printf("FAIL %s: setup: %s\n", name, vq.error);
		failures++;
		return;
	}
	got = pop(&vq, &c);
	if ((reason && (got != -1 || !strstr(vq.error, reason))) ||
	    (!reason && got != 1)) {
		printf("FAIL %s%s: pop %d (%s), want %s\n", pfx, name, got,
		       got < 0 ? vq.error : "ok", reason ? reason : "ok");
		failures++;
		return;
	}
	printf("ok %s%s%s%s\n", pfx, name, reason ? ": " : "",
	       reason ? vq.error : "");
}

/*
 * A ring descriptor, then an indirect one ending the chain (virtio 1.x,
 * 2.7.5.3.2: the device must take it): three segments in order, two ring
 * descriptors used.  Once refused as "indirect descriptor inside a chain".
 */
static void indirect_ends_chain(void)
{
	static struct kb_chain c;
	struct kb_vq vq;
	int got;

	avail()->ring[0] = 0;
	avail()->idx = 1;
	if (kb_vq_setup(&vq, &r, QS, BASE + DESC_OFF, BASE + AVAIL_OFF,
			BASE + USED_OFF, 0)) {
		printf("FAIL indirect-ends-chain: setup: %s\n", vq.error);
		failures++;
		return;
	}
	got = pop(&vq, &c);
	if (got != 1 || c.nseg != 3 || c.ndesc != 2 || c.out_len != 32 ||
	    c.in_len != 16 || c.seg[0].p != mem + BUF_OFF ||
	    c.seg[2].p != mem + BUF_OFF + 32 || !c.seg[2].write) {
		printf("FAIL %sindirect-ends-chain: pop %d (%s), %u segments, %u descriptors, %u out, %u in\n",
		       pfx, got, got < 0 ? vq.error : "ok", c.nseg, c.ndesc,
		       c.out_len, c.in_len);
		failures++;
		return;
	}
	printf("ok %sindirect-ends-chain\n", pfx);
}

static void setup_refusals(void)
{
	struct kb_vq vq;

	fresh();
	if (!kb_vq_setup(&vq, &r, 6, BASE, BASE + AVAIL_OFF, BASE + USED_OFF, 0) ||
	    !kb_vq_setup(&vq, &r, QS, BASE + BYTES - 16, BASE + AVAIL_OFF,
			 BASE + USED_OFF, 0) ||
	    !kb_vq_setup(&vq, &r, QS, BASE + 8, BASE + AVAIL_OFF,
			 BASE + USED_OFF, 0) ||
	    !kb_vq_setup(&vq, &r, QS, 0, BASE + AVAIL_OFF, BASE + USED_OFF, 0)) {
		printf("FAIL setup: a bad size, a ring past the end, a misaligned or foreign ring was accepted\n");
		failures++;
		return;
	}
	/*
	 * Rings whose entries fit but whose event field (used_event after
	 * the available ring, avail_event after the used one) would be the
	 * first bytes past the region.
	 */
	if (!kb_vq_setup(&vq, &r, QS, BASE, BASE + BYTES - (4 + 2 * QS),
			 BASE + USED_OFF, 1) ||
	    !kb_vq_setup(&vq, &r, QS, BASE, BASE + AVAIL_OFF,
			 BASE + BYTES - (4 + 8 * QS), 1)) {
		printf("FAIL setup: a ring whose event field lies past the region was accepted\n");
		failures++;
		return;
	}
	printf("ok setup-refusals\n");
}

static void split_cases(void)
{
	if (!bufs)
		setup_refusals();

	fresh();
	put(desc(), 0, BASE + BUF_OFF, 512, VRING_DESC_F_NEXT, 1);
	put(desc(), 1, BASE + BUF_OFF + 512, 1, VRING_DESC_F_WRITE, 0);
	expect("good-chain", 0, 1, NULL);

	fresh();
	put(desc(), 0, BASE + BYTES - 8, 16, 0, 0);
	expect("buffer-past-region-end", 0, 1, "outside");

	fresh();
	put(desc(), 0, 0x1000, 16, 0, 0);
	expect("buffer-below-region", 0, 1, "outside");

	fresh();
	put(desc(), 0, BASE, 0xffffffffu, 0, 0);
	expect("huge-length", 0, 1, "too long");

	/* Writable buffers of 1 MiB each, 65 MiB together: in_len counts. */
	fresh();
	put(desc(), 0, BASE + IND_OFF, 65 * 16, VRING_DESC_F_INDIRECT, 0);
	for (int i = 0; i < 65; i++)
		put(ind(), i, BASE, 1u << 20, VRING_DESC_F_WRITE |
		    (i < 64 ? VRING_DESC_F_NEXT : 0), (uint16_t)(i + 1));
	expect("chain-too-long-in-sum", 0, 1, "too long");

	fresh();
	put(desc(), 0, BASE + (1ULL << 63), 16, 0, 0);
	expect("wrapping-address", 0, 1, "outside");

	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 1);
	put(desc(), 1, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	expect("descriptor-loop", 0, 1, "loops");

	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 200);
	expect("next-beyond-table", 0, 1, "beyond");

	/* The first index outside, in the ring and in an indirect table. */
	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, QS);
	expect("next-at-table-end", 0, 1, "beyond");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	put(ind(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 2);
	expect("indirect-next-at-table-end", 0, 1, "beyond");

	fresh();
	expect("head-beyond-table", 9, 1, "beyond");

	/* The first head outside the table: kb_vq_pop() and the batch take. */
	fresh();
	expect("head-at-table-end", QS, 1, "beyond");

	fresh();
	expect("wild-avail-index", 0, 100, "ahead");

	/* A full ring is the most the driver may make available; one more not. */
	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, 0, 0);
	expect("avail-index-full-ring", 0, QS, NULL);

	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, 0, 0);
	expect("avail-index-one-past", 0, QS + 1, "ahead");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	put(ind(), 0, BASE + IND_OFF + 64, 32, VRING_DESC_F_INDIRECT, 0);
	expect("nested-indirect", 0, 1, "nested");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 16 * 4096, VRING_DESC_F_INDIRECT, 0);
	expect("oversized-indirect", 0, 1, "bad size");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 24, VRING_DESC_F_INDIRECT, 0);
	expect("ragged-indirect", 0, 1, "bad size");

	/*
	 * KB_MAX_SEGS buffers fill a chain; a ring descriptor before a full
	 * indirect table makes one more, which has no room in it.
	 */
	fresh();
	put(desc(), 0, BASE + IND_OFF, KB_MAX_INDIRECT * 16,
	    VRING_DESC_F_INDIRECT, 0);
	for (int i = 0; i < KB_MAX_INDIRECT; i++)
		put(ind(), i, BASE + BUF_OFF, 16,
		    i < KB_MAX_INDIRECT - 1 ? VRING_DESC_F_NEXT : 0,
		    (uint16_t)(i + 1));
	expect("max-buffers", 0, 1, NULL);

	put(desc(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 1);
	put(desc(), 1, BASE + IND_OFF, KB_MAX_INDIRECT * 16,
	    VRING_DESC_F_INDIRECT, 0);
	expect("too-many-buffers", 0, 1, "too many buffers");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	put(ind(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 1);
	put(ind(), 1, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	expect("indirect-loop", 0, 1, "loops");

	/* Found by fuzz_vq: tables are read in place, so they must be aligned. */
	fresh();
	put(desc(), 0, BASE + IND_OFF + 3, 32, VRING_DESC_F_INDIRECT, 0);
	expect("misaligned-indirect", 0, 1, "misaligned");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	put(ind(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 1);
	put(ind(), 1, BASE + BUF_OFF + 16, 16, VRING_DESC_F_WRITE, 0);
	expect("good-indirect", 0, 1, NULL);

	/* 8-byte aligned, as kmalloc may give a Linux driver's table. */
	fresh();
	put(desc(), 0, BASE + IND_OFF + 8, 32, VRING_DESC_F_INDIRECT, 0);
	put((void *)(mem + IND_OFF + 8), 0, BASE + BUF_OFF, 16,
	    VRING_DESC_F_NEXT, 1);
	put((void *)(mem + IND_OFF + 8), 1, BASE + BUF_OFF + 16, 16,
	    VRING_DESC_F_WRITE, 0);
	expect("indirect-8-aligned", 0, 1, NULL);

	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put(desc(), 1, BASE + BUF_OFF, 16, 0, 0);
	expect("readable-after-writable", 0, 1, "after a writable");

	fresh();
	put(desc(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	put(desc(), 1, BASE + BUF_OFF, 16, 0, 0);
	expect("indirect-with-next", 0, 1, "with NEXT");

	fresh();
	put(desc(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 1);
	put(desc(), 1, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	put(ind(), 0, BASE + BUF_OFF + 16, 16, VRING_DESC_F_NEXT, 1);
	put(ind(), 1, BASE + BUF_OFF + 32, 16, VRING_DESC_F_WRITE, 0);
	indirect_ends_chain();
}

/* The packed layout: desc() is the ring, avail() the driver event area. */
static struct vring_packed_desc *pring(void)
{
	return (struct vring_packed_desc *)(mem + DESC_OFF);
}

#define P_AVAIL (1U << VRING_PACKED_DESC_F_AVAIL)
#define P_USED (1U << VRING_PACKED_DESC_F_USED)

/* A descriptor made available in the first lap (wrap counter 1). */
static void pput(struct vring_packed_desc *t, int i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t id)
{
	t[i] = (struct vring_packed_desc){ addr, len, id, flags };
	if (t == pring())
		t[i].flags |= P_AVAIL;
}

/* Set up a packed ring over the memory as it is now; 0 or -1 (counted). */
static int packed_setup(const char *name, struct kb_vq *vq)
{
	if (!kb_vq_setup_packed(vq, &r, QS, BASE + DESC_OFF, BASE + AVAIL_OFF,
				BASE + USED_OFF, 0))
		return 0;
	printf("FAIL packed-%s: setup: %s\n", name, vq->error);
	failures++;
	return -1;
}

/*
 * A packed ring refused at setup (a size over the maximum, none, a ring
 * or event area outside the region, a ring whose last descriptor is, a
 * misaligned event area) is a queue every entry point treats as absent,
 * as a refused split ring is: nothing taken, nothing written.
 */
static void packed_setup_refusals(void)
{
	static const uint64_t outside = BASE + BYTES;
	const struct {
		uint16_t size;
		uint64_t ring, drv, dev;
	} bad[] = {
		{ KB_QUEUE_MAX + 1, BASE + DESC_OFF, BASE + AVAIL_OFF, BASE + USED_OFF },
		{ 0, BASE + DESC_OFF, BASE + AVAIL_OFF, BASE + USED_OFF },
		{ QS, outside, BASE + AVAIL_OFF, BASE + USED_OFF },
		{ QS, BASE + DESC_OFF, BASE + AVAIL_OFF, outside },
		/* its last descriptor the first bytes past the region */
		{ QS, BASE + BYTES - 16 * (QS - 1), BASE + AVAIL_OFF,
		  BASE + USED_OFF },
		/* event areas aligned to 2, not 4 */
		{ QS, BASE + DESC_OFF, BASE + AVAIL_OFF + 2, BASE + USED_OFF },
		{ QS, BASE + DESC_OFF, BASE + AVAIL_OFF, BASE + USED_OFF + 2 },
	};
	static struct kb_chain c;
	struct kb_buf b[4];
	struct kb_vq vq;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh();
		if (!kb_vq_setup_packed(&vq, &r, bad[i].size, bad[i].ring,
					bad[i].drv, bad[i].dev, 1)) {
			printf("FAIL packed-setup-refusals: case %u accepted\n", i);
			failures++;
			return;
		}
		kb_vq_kicks_off(&vq);
		if (kb_vq_kicks_on(&vq) || kb_vq_pop(&vq, &c) ||
		    kb_vq_pop_bufs(&vq, b, 4) || kb_vq_should_notify(&vq)) {
			printf("FAIL packed-setup-refusals: case %u: the refused queue gave work\n", i);
			failures++;
			return;
		}
		kb_vq_publish(&vq);
	}
	printf("ok packed-setup-refusals\n");
}

/* Pop from a fresh packed ring: expect the reason, a chain or nothing. */
static void packed_expect(const char *name, const char *reason, int want)
{
	static struct kb_chain c;
	struct kb_vq vq;
	int got;

	if (packed_setup(name, &vq))
		return;
	got = pop(&vq, &c);
	if ((reason && (got != -1 || !strstr(vq.error, reason))) ||
	    (!reason && got != want)) {
		printf("FAIL %spacked-%s: pop %d (%s), want %s\n", pfx, name, got,
		       got < 0 ? vq.error : "no error",
		       reason ? reason : want ? "a chain" : "nothing");
		failures++;
		return;
	}
	printf("ok %spacked-%s%s%s\n", pfx, name, reason ? ": " : "",
	       reason ? vq.error : "");
}

/*
 * A chain that crosses the end of the ring continues at slot 0, which the
 * driver made available again in the second lap (wrap counter 0).
 */
static void packed_wrap(void)
{
	static struct kb_chain c;
	struct kb_vq vq;
	int got = 0;

	fresh();
	for (int i = 0; i < QS - 2; i++)
		pput(pring(), i, BASE + BUF_OFF, 16, 0, (uint16_t)i);
	pput(pring(), QS - 2, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	pput(pring(), QS - 1, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	if (packed_setup("wrap", &vq))
		return;
	if (bufs) {
		struct kb_buf b[QS];

		/* All six in one take, which stops before the chain. */
		int n = kb_vq_pop_bufs(&vq, b, QS);

		got = n;
		for (int i = 0; i < n; i++)
			if (b[i].head != i)
				got = -1;
	} else {
		for (int i = 0; i < QS - 2; i++)
			got += kb_vq_pop(&vq, &c);
	}
	/* Chain 0 given back: its slot is the driver's to offer again. */
	c.head = 0;
	c.ndesc = 1;
	c.in_len = 0;
	kb_vq_push(&vq, &c, 0);
	/* Second lap: AVAIL clear and USED set mean available now. */
	pring()[0] = (struct vring_packed_desc){ BASE + BUF_OFF + 16, 1, 7,
						 VRING_DESC_F_WRITE | P_USED };
	if (got != QS - 2 || kb_vq_pop(&vq, &c) != 1 || c.nseg != 3 ||
	    c.in_len != 1 || c.head != 7 || kb_vq_pop(&vq, &c) != 0) {
		printf("FAIL %spacked-wrap: chain across the ring's end: %u buffers, id %u, %s\n",
		       pfx, c.nseg, c.head, vq.error ? vq.error : "no error");
		failures++;
		return;
	}
	printf("ok %spacked-wrap\n", pfx);
}

/*
 * A slot of a chain still out, marked available again for the next lap:
 * the device takes nothing twice and gives the queue up, saying why.
 * With the whole ring out, slot 0 alone (a one-descriptor chain); with
 * one slot free, a chain over it and slot 0.  (Before, it took them:
 * chains out past the ring, its used slots a lap past the driver's.)
 */
static void packed_lap_overrun(void)
{
	static struct kb_chain c;
	struct kb_vq vq;
	const char *why = NULL;
	int got;

	for (int free_slots = 0; free_slots < 2 && !why; free_slots++) {
		int out = QS - free_slots;

		fresh();
		for (int i = 0; i < out; i++)
			pput(pring(), i, BASE + BUF_OFF, 16, 0, (uint16_t)i);
		if (packed_setup("lap-overrun", &vq))
			return;
		/* The first lap taken: the device's next slot is out's. */
		for (got = 0; got < QS && pop(&vq, &c) == 1; got++)
			;
		if (free_slots)		/* the free slot, then slot 0 */
			pput(pring(), QS - 1, BASE + BUF_OFF, 16,
			     VRING_DESC_F_NEXT, 9);
		pring()[0] = (struct vring_packed_desc){ BASE + BUF_OFF, 16, 8,
							 P_USED };
		if (vq.last_avail != out % QS || vq.error)
			why = "the first lap was not taken";
		else if (pop(&vq, &c) != -1)
			why = "a slot still out was taken again";
		else if (!vq.error || !strstr(vq.error, "still out"))
			why = vq.error ? vq.error : "no reason given";
	}
	if (why) {
		printf("FAIL %spacked-lap-overrun: %s\n", pfx, why);
		failures++;
		return;
	}
	printf("ok %spacked-lap-overrun\n", pfx);
}

/*
 * A chain of one more buffer than KB_MAX_SEGS in a ring big enough for it
 * (a packed chain may be as long as the ring): refused, never written
 * past the chain's segments.
 */
static void packed_too_many(void)
{
	static struct kb_chain c;
	const uint16_t n = KB_MAX_SEGS + 1, size = 256;
	struct kb_vq vq;
	int got;

	fresh();
	for (int i = 0; i < n; i++)
		pput(pring(), i, BASE + BUF_OFF, 16,
		     i < n - 1 ? VRING_DESC_F_NEXT : 0, 0);
	/* The ring of 256 ends where the driver event area begins. */
	if (kb_vq_setup_packed(&vq, &r, size, BASE + DESC_OFF,
			       BASE + AVAIL_OFF, BASE + USED_OFF, 0)) {
		printf("FAIL %spacked-too-many-buffers: setup: %s\n", pfx,
		       vq.error);
		failures++;
		return;
	}
	got = pop(&vq, &c);
	if (got != -1 || !strstr(vq.error, "too many buffers")) {
		printf("FAIL %spacked-too-many-buffers: pop %d (%s), want too many buffers\n",
		       pfx, got, got < 0 ? vq.error : "no error");
		failures++;
		return;
	}
	printf("ok %spacked-too-many-buffers: %s\n", pfx, vq.error);
}

static void packed_cases(void)
{
	if (!bufs)
		packed_setup_refusals();

	fresh();
	pput(pring(), 0, BASE + BUF_OFF, 512, VRING_DESC_F_NEXT, 0);
	pput(pring(), 1, BASE + BUF_OFF + 512, 1, VRING_DESC_F_WRITE, 3);
	packed_expect("good-chain", NULL, 1);

	fresh();
	pput(pring(), 0, BASE + BUF_OFF, 512, 0, 0);
	pring()[0].flags = P_AVAIL | P_USED;	/* used in the first lap */
	packed_expect("not-available", NULL, 0);

	fresh();
	pput(pring(), 0, BASE + BYTES - 8, 16, 0, 0);
	packed_expect("buffer-past-region-end", "outside", 0);

	fresh();
	pput(pring(), 0, 0x1000, 16, 0, 0);
	packed_expect("buffer-below-region", "outside", 0);

	fresh();
	pput(pring(), 0, BASE, 0xffffffffu, 0, 0);
	packed_expect("huge-length", "too long", 0);

	fresh();
	pput(pring(), 0, BASE + (1ULL << 63), 16, 0, 0);
	packed_expect("wrapping-address", "outside", 0);

	fresh();
	for (int i = 0; i < QS; i++)
		pput(pring(), i, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	packed_expect("chain-longer-than-ring", "longer than the ring", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	pput((void *)ind(), 0, BASE + IND_OFF + 64, 32, VRING_DESC_F_INDIRECT, 0);
	packed_expect("nested-indirect", "nested", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF, 16 * 4096, VRING_DESC_F_INDIRECT, 0);
	packed_expect("oversized-indirect", "bad size", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF, 24, VRING_DESC_F_INDIRECT, 0);
	packed_expect("ragged-indirect", "bad size", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF + 3, 32, VRING_DESC_F_INDIRECT, 0);
	packed_expect("misaligned-indirect", "misaligned", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0);
	pput(pring(), 1, BASE + BUF_OFF, 16, 0, 0);
	packed_expect("indirect-with-next", "with NEXT", 0);

	fresh();
	pput(pring(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_NEXT, 0);
	pput(pring(), 1, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	pput((void *)ind(), 0, BASE + BUF_OFF, 16, 0, 0);
	packed_expect("indirect-inside-chain", "inside a chain", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	pput((void *)ind(), 0, BASE + 0x10, 16, 0, 0);
	pput((void *)ind(), 1, BASE + BYTES, 16, VRING_DESC_F_WRITE, 0);
	packed_expect("indirect-buffer-outside", "outside", 0);

	fresh();
	pput(pring(), 0, BASE + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	pput((void *)ind(), 0, BASE + BUF_OFF, 16, 0, 0);
	pput((void *)ind(), 1, BASE + BUF_OFF + 16, 16, VRING_DESC_F_WRITE, 0);
	packed_expect("good-indirect", NULL, 1);

	fresh();
	pput(pring(), 0, BASE + IND_OFF + 8, 32, VRING_DESC_F_INDIRECT, 0);
	pput((void *)(mem + IND_OFF + 8), 0, BASE + BUF_OFF, 16, 0, 0);
	pput((void *)(mem + IND_OFF + 8), 1, BASE + BUF_OFF + 16, 16,
	     VRING_DESC_F_WRITE, 0);
	packed_expect("indirect-8-aligned", NULL, 1);

	fresh();
	pput(pring(), 0, BASE + BUF_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	pput(pring(), 1, BASE + BUF_OFF, 16, 0, 0);
	packed_expect("readable-after-writable", "after a writable", 0);

	packed_wrap();
	packed_lap_overrun();
	packed_too_many();
}

int main(void)
{
	mem = aligned_alloc(4096, BYTES);
	r = (struct kb_region){ mem, BASE, BYTES };
	for (bufs = 0; bufs < 2; bufs++) {
		pfx = bufs ? "bufs-" : "";
		split_cases();
		packed_cases();
	}
	free(mem);
	printf("vq_hostile: %d failed\n", failures);
	return failures != 0;
}
