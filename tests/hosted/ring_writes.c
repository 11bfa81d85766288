/*
 * What each side writes to the shared ring, and when.  A line one side
 * writes and the other reads crosses the cores; writes nobody needs cost
 * the peer a miss.  These cases pin down that the driver writes no
 * descriptor field the device will not read, and nothing at all for a
 * chain refused (ring-empty-chain-*: a chain of no buffers, refused
 * with -1 in each layout; found untested by a mutation audit: without
 * the check the split ring read the buffer a NULL array does not
 * hold, the packed one published nothing and lost a buffer id).  One
 * "ok NAME" / "FAIL NAME: why" line per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/vq.h"
#include "lib/virtq.h"

#define BASE 0x40000000ULL
#define BYTES (256u << 10)
#define QS 64

static uint8_t *mem;
static struct kb_region r;
static int failures;

static uint64_t gpa(const void *va)
{
	return BASE + (uint64_t)((const uint8_t *)va - mem);
}

static void check(const char *name, int good, const char *why)
{
	if (good) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

static void split_pair(struct virtq *q, struct kb_vq *d, void **cookies)
{
	memset(mem, 0, BYTES);
	virtq_init(q, QS, mem, cookies, gpa, 1);
	if (kb_vq_setup(d, &r, QS, gpa(q->desc), gpa(q->avail), gpa(q->used),
			1)) {
		printf("FAIL setup: %s\n", d->error);
		exit(1);
	}
}

/* next belongs to the device only where NEXT is set (virtio 1.x 2.7.5). */
static void driver_writes_no_unread_next(void)
{
	static void *cookies[QS];
	struct virtq q;
	struct kb_vq d;
	struct virtq_buf b[3] = {
		{ mem + (128u << 10), 64 }, { mem + (129u << 10), 64 },
		{ mem + (130u << 10), 64 }
	};
	int good = 1;

	split_pair(&q, &d, cookies);	/* the ring starts zeroed */
	/* Three laps of one-buffer chains, reclaimed as they complete. */
	for (int i = 0; i < 3 * QS; i++) {
		static struct kb_chain c;

		good &= !virtq_add(&q, b, 1, NULL, 0, b[0].p);
		virtq_publish(&q);
		good &= kb_vq_pop(&d, &c) == 1;
		kb_vq_push(&d, &c, 0);
		good &= virtq_get(&q, NULL) == b[0].p;
	}
	for (int i = 0; i < QS; i++)
		good &= q.desc[i].next == 0;
	check("split-driver-leaves-next-of-single-buffers", good,
	      "a next field without NEXT was written");
	/* A chain of three: two links the device follows, the last left. */
	good = !virtq_add(&q, b, 2, &b[2], 1, b[0].p);
	for (int i = 0, n = 0; good && i < QS; i++) {
		struct vring_desc *x = &q.desc[i];

		if ((x->flags & VRING_DESC_F_NEXT) && x->next < QS)
			n++;
		else if (x->next)
			good = 0;
		if (i == QS - 1)
			good = n == 2;
	}
	check("split-driver-links-chains", good,
	      "a chain's links are not exactly its NEXT descriptors");
}

static void packed_pair(struct virtq *q, struct kb_vq *d, void **cookies)
{
	memset(mem, 0, BYTES);
	virtq_init_packed(q, QS, mem, cookies, gpa, 1);
	if (kb_vq_setup_packed(d, &r, QS, gpa(q->ring), gpa(q->driver_event),
			       gpa(q->device_event), 1)) {
		printf("FAIL setup: %s\n", d->error);
		exit(1);
	}
}

#define TABLES (160u << 10)		/* the indirect tables, 8 KiB */
#define BUFS (176u << 10)		/* buffers, 256 bytes apart */

/* The ring descriptor a chain took: split by head, packed by slot. */
static int names_table(struct virtq *q, int packed, uint16_t at, uint32_t n)
{
	uint64_t addr = packed ? q->ring[at].addr : q->desc[at].addr;
	uint32_t len = packed ? q->ring[at].len : q->desc[at].len;
	uint16_t flags = packed ? q->ring[at].flags : q->desc[at].flags;
	uint16_t id = packed ? q->ring[at].id : at;

	return (flags & VRING_DESC_F_INDIRECT) &&
	       !(flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE)) &&
	       len == n * 16 &&
	       addr == gpa(mem + TABLES + (size_t)id * VQ_INDIRECT_MAX * 16);
}

/*
 * Indirect tables (virtio 1.x 2.7.5.3, 1.1 2.8.19): a chain of 2 to
 * VQ_INDIRECT_MAX buffers takes one ring descriptor naming its table,
 * with neither NEXT nor WRITE; the table holds the buffers in order,
 * WRITE on the device-writable ones (split: linked by NEXT); our device
 * pops the same buffers.  One buffer, or too many for a table, go in the
 * ring as before; VQ_INDIRECT_MAX exactly, a full table, in one.
 */
static void indirect_chains(int packed)
{
	static void *cookies[QS];
	struct virtq_buf b[VQ_INDIRECT_MAX + 1];
	static struct kb_chain c;
	const char *why = NULL;
	struct virtq q;
	struct kb_vq d;
	char name[64];

	for (int i = 0; i <= VQ_INDIRECT_MAX; i++)
		b[i] = (struct virtq_buf){ mem + BUFS + i * 256u, 64u + i };
	if (packed)
		packed_pair(&q, &d, cookies);
	else
		split_pair(&q, &d, cookies);
	virtq_set_indirect(&q, mem + TABLES);
	/* Twice round the ring of ids: tables are reused per head or id. */
	for (int round = 0; round < 2 * QS && !why; round++) {
		uint16_t at = packed ? q.avail_idx : q.free_head;

		if (virtq_add(&q, b, 2, &b[2], 1, b[0].p))
			why = "a 3-buffer chain did not fit";
		else if (q.num_free != QS - 1)
			why = "a 3-buffer chain took more than one descriptor";
		else if (!names_table(&q, packed, at, 3))
			why = "the ring descriptor does not name the table";
		virtq_publish(&q);
		if (!why && kb_vq_pop(&d, &c) != 1)
			why = d.error ? d.error : "the device saw no chain";
		if (!why && (c.nseg != 3 || c.out_len != 64 + 65 ||
			     c.in_len != 66 || c.seg[2].write != 1 ||
			     c.seg[0].p != b[0].p || c.seg[2].p != b[2].p))
			why = "the device popped other buffers than were added";
		if (why)
			break;
		kb_vq_push(&d, &c, 1);
		if (virtq_get(&q, NULL) != b[0].p || q.num_free != QS)
			why = "the chain did not come back whole";
	}
	/* A single buffer and an overlong chain stay in the ring. */
	if (!why) {
		uint16_t at = packed ? q.avail_idx : q.free_head;

		virtq_add(&q, b, 1, NULL, 0, b[0].p);
		if ((packed ? q.ring[at].flags : q.desc[at].flags) &
		    VRING_DESC_F_INDIRECT)
			why = "a single buffer went in a table";
		virtq_add(&q, b, VQ_INDIRECT_MAX + 1, NULL, 0, b[1].p);
		if (!why && q.num_free != QS - 2 - VQ_INDIRECT_MAX)
			why = "a chain too long for a table did not take the ring";
	}
	/* A chain that fills a table exactly takes one (the edge). */
	if (!why) {
		uint16_t at = packed ? q.avail_idx : q.free_head;

		if (virtq_add(&q, b, VQ_INDIRECT_MAX, NULL, 0, b[2].p) ||
		    q.num_free != QS - 3 - VQ_INDIRECT_MAX ||
		    !names_table(&q, packed, at, VQ_INDIRECT_MAX))
			why = "a chain of VQ_INDIRECT_MAX buffers did not take one descriptor naming its table";
	}
	snprintf(name, sizeof(name), "%s-driver-indirect-tables",
		 packed ? "packed" : "split");
	check(name, !why, why);
}

/* A chain of no buffers: -1, the ring and the queue's counts as they were. */
static void empty_chain(int packed, int in_order)
{
	static void *cookies[QS];
	static uint8_t before[16u << 10];
	struct virtq q;
	struct kb_vq d;
	size_t bytes;
	char name[64];
	int rc, good;

	if (packed)
		packed_pair(&q, &d, cookies);
	else
		split_pair(&q, &d, cookies);
	if (in_order)
		virtq_set_in_order(&q);
	bytes = packed ? virtq_packed_bytes(QS) : virtq_bytes(QS);
	if (bytes > sizeof(before)) {
		printf("FAIL ring-empty-chain: a ring of %zu bytes\n", bytes);
		failures++;
		return;
	}
	memcpy(before, mem, bytes);
	rc = virtq_add(&q, NULL, 0, NULL, 0, mem);
	virtq_publish(&q);
	good = rc == -1 && q.num_free == QS && q.avail_idx == 0 &&
	       q.free_id == 0 && !memcmp(before, mem, bytes);
	snprintf(name, sizeof(name), "ring-empty-chain-%s%s",
		 packed ? "packed" : "split", in_order ? "-in-order" : "");
	check(name, good,
	      "a chain of no buffers was taken, or changed the ring or the queue");
}

int main(void)
{
	mem = aligned_alloc(4096, BYTES);
	r = (struct kb_region){ mem, BASE, BYTES };
	driver_writes_no_unread_next();
	indirect_chains(0);
	indirect_chains(1);
	for (int packed = 0; packed < 2; packed++)
		for (int in_order = 0; in_order < 2; in_order++)
			empty_chain(packed, in_order);
	free(mem);
	printf("ring_writes: %d failed\n", failures);
	return failures != 0;
}
