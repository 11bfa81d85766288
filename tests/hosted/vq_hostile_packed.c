/*
 * Hosted vq_hostile, the packed half (vq_hostile.c says what the program
 * does): rings refused at setup, bad chains, a lap that wraps, a slot
 * offered again while its chain is out, more descriptors than the ring.
 */
#include <stdio.h>
#include <string.h>

#include "vq_hostile.h"

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

void packed_cases(void)
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

