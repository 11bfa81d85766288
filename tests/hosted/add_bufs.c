/*
 * The batch calls of the driver, virtq_add_bufs() and virtq_get_bufs(),
 * against the device (host/backend/vq*.c), both layouts, with and
 * without VIRTIO_F_IN_ORDER; part of the in_order program (in_order.h).
 *
 *   add-bufs-{split,packed}{,-in-order}: mixed with three-buffer chains
 *     over the same slots: the device reads each buffer's own address,
 *     length and direction, cookies and lengths come back in order, a
 *     full ring takes only what fits.
 *   add-bufs-...-device-bufs: the same, the device taking the one-buffer
 *     chains with kb_vq_pop_bufs() in random batches (stopping before a
 *     longer chain, which kb_vq_pop() takes) and giving them back with
 *     kb_vq_push_bufs().
 */
#include <stdio.h>
#include <stdlib.h>

#include "in_order.h"

/*
 * The device's batch take of added one-buffer chains, in random batches:
 * each buffer as the driver added it; then it stops before a chain.
 */
static int device_bufs(struct kb_vq *d, const struct virtq_buf *b,
		       int added, int write)
{
	struct kb_buf kb[8];
	uint32_t len[8];
	int got = 0, good = 1;

	while (good && got < added) {
		int m = kb_vq_pop_bufs(d, kb, 1 + rand() % 8);

		good &= m > 0 && got + m <= added;
		for (int j = 0; good && j < m; j++) {
			good &= kb[j].p == b[got + j].p &&
				kb[j].len == b[got + j].len &&
				kb[j].write == write;
			len[j] = write ? kb[j].len : 0;
		}
		if (good)
			kb_vq_push_bufs(d, kb, len, m);
		got += m;
	}
	/* A three-buffer chain next, or nothing: none of one buffer. */
	return good && kb_vq_pop_bufs(d, kb, 8) == 0 && !d->error;
}

void add_bufs_case(int packed, int in_order, int dev_bufs)
{
	static struct kb_chain c;
	struct virtq q;
	struct kb_vq d;
	struct virtq_buf b[QS];
	void *ck[QS + 1], *got[QS + 1];
	uint32_t len[QS + 1];
	long seq = 0;
	int good = 1;
	char name[64];

	pair(&q, &d, packed, in_order);
	srand(5 + packed * 2 + in_order);
	for (int lap = 0; good && lap < 200; lap++) {
		int n = 1 + rand() % (QS + 8), write = rand() % 2, added;
		int chain = rand() % 3 == 0;

		/*
		 * Each slot its own buffer, as a fixed pool has, except where
		 * a chain of three took the slot last time round.
		 */
		uint16_t pos = packed ? q.avail_idx : q.free_head;

		for (int k = 0; k < n && k < QS; k++) {
			b[k].p = mem + BUFS + ((pos + k) % QS) * 1024;
			b[k].len = (uint32_t)(16 + (pos + k) % 7);
			ck[k] = (void *)(uintptr_t)(seq + k + 1);
		}
		if (n > QS)
			n = QS;
		added = (int)virtq_add_bufs(&q, b, (unsigned int)n, write, ck);
		good &= added == n;	/* the ring is empty between laps */
		if (added > QS - 3)
			chain = 0;
		if (chain) {
			struct virtq_buf x[3] = {
				{ mem + BUFS + 90 * 1024, 8 },
				{ mem + BUFS + 91 * 1024, 8 },
				{ mem + BUFS + 92 * 1024, 8 } };

			good &= !virtq_add(&q, x, 2, &x[2], 1,
					   (void *)(uintptr_t)(seq + added + 1));
		}
		virtq_publish(&q);
		for (int k = dev_bufs ? added : 0; k < added + chain; k++) {
			if (k == added && dev_bufs)
				good &= device_bufs(&d, b, added, write);
			good &= kb_vq_pop(&d, &c) == 1;
			if (k < added)
				good &= c.nseg == 1 &&
					c.seg[0].p == b[k].p &&
					c.seg[0].len == b[k].len &&
					c.seg[0].write == write;
			else
				good &= c.nseg == 3 && c.in_len == 8;
			kb_vq_push_quiet(&d, &c, c.in_len);
		}
		if (dev_bufs && !chain)
			good &= device_bufs(&d, b, added, write);
		good &= kb_vq_pop(&d, &c) == 0;
		kb_vq_publish(&d);
		n = (int)virtq_get_bufs(&q, got, len, QS + 1);
		good &= n == added + chain;
		for (int k = 0; k < n; k++) {
			good &= got[k] == (void *)(uintptr_t)(seq + k + 1);
			good &= len[k] == (k < added ? (write ? b[k].len : 0) : 8);
		}
		good &= q.num_free == QS;
		if (!good && getenv("IN_ORDER_DEBUG"))
			printf("# lap %d n %d added %d chain %d free %u\n", lap,
			       n, added, chain, q.num_free);
		seq += n;
	}
	/* A ring with room for 5: five go in. */
	for (int k = 0; k < QS - 5; k++)
		good &= !virtq_add(&q, b, 1, NULL, 0, ck[0]);
	good &= virtq_add_bufs(&q, b, 9, 0, ck) == 5 && q.num_free == 0;
	snprintf(name, sizeof(name), "add-bufs-%s%s%s",
		 packed ? "packed" : "split", in_order ? "-in-order" : "",
		 dev_bufs ? "-device-bufs" : "");
	check(name, good, "a buffer, cookie or length wrong, or a full ring overfilled");
}
