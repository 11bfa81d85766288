/*
 * Hosted: a driver that breaks the rules on purpose, against the device
 * side of the virtqueue (host/backend/vq.c, vq_packed.c).  Each case
 * builds a ring by hand, split or packed, and kb_vq_pop() must refuse it
 * with the right reason instead of reading outside the region (ASan would
 * say so) or looping.  Packed cases are named packed-*.  Every case runs
 * twice: the second time (bufs-*) the device takes with kb_vq_pop_bufs()
 * first and with kb_vq_pop() only what that leaves (a longer chain), as a
 * device using the batch take does.  The packed cases are in
 * vq_hostile_packed.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vq_hostile.h"

uint8_t *mem;
struct kb_region r;
int failures;
int bufs;
const char *pfx = "";

int pop(struct kb_vq *vq, struct kb_chain *c)
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

struct vring_desc *desc(void)
{
	return (struct vring_desc *)(mem + DESC_OFF);
}

struct vring_avail *avail(void)
{
	return (struct vring_avail *)(mem + AVAIL_OFF);
}

struct vring_desc *ind(void)
{
	return (struct vring_desc *)(mem + IND_OFF);
}

void fresh(void)
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
