/*
 * What each side writes to the shared ring, and when.  A line one side
 * writes and the other reads crosses the cores; writes nobody needs cost
 * the peer a miss.  These cases pin down that the driver writes no
 * descriptor field the device will not read.  One "ok NAME" / "FAIL NAME: why" line per case.
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

int main(void)
{
	mem = aligned_alloc(4096, BYTES);
	r = (struct kb_region){ mem, BASE, BYTES };
	driver_writes_no_unread_next();
	free(mem);
	printf("ring_writes: %d failed\n", failures);
	return failures != 0;
}
