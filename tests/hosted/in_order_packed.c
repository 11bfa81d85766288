/*
 * VIRTIO_F_IN_ORDER, the packed layout's own cases (part of the in_order
 * program: in_order.c has the others and main()):
 *
 *   in-order-packed-one-mark-per-batch: a batch of four written in full
 *     marks only its first slot used, naming the last chain.
 *   in-order-packed-used-addr{,-bufs}: a device writing junk into the
 *     (unused) address of its used descriptors: the driver's next lap
 *     of the same buffers still gives the device their addresses.
 */
#include <stdint.h>
#include <stdio.h>

#include "in_order.h"

/* Packed: a batch of four written in full marks only its first slot used. */
void packed_one_mark_per_batch(void)
{
	static struct kb_chain c;
	struct virtq q;
	struct kb_vq d;
	struct virtq_buf b = { mem + BUFS, 64 };
	int good = 1, marked = 0;

	pair(&q, &d, 1, 1);
	for (int i = 0; i < 4; i++)
		good &= !virtq_add(&q, &b, 1, NULL, 0, (void *)(uintptr_t)(i + 1));
	virtq_publish(&q);
	for (int i = 0; i < 4; i++) {
		good &= kb_vq_pop(&d, &c) == 1;
		kb_vq_push_quiet(&d, &c, 0);
	}
	kb_vq_publish(&d);
	for (int i = 0; i < 4; i++)
		marked += !!(q.ring[i].flags & (1U << VRING_PACKED_DESC_F_USED));
	good &= marked == 1 && q.ring[0].id == 3;
	for (int i = 0; i < 4; i++)
		good &= virtq_get(&q, NULL) == (void *)(uintptr_t)(i + 1);
	good &= !virtq_get(&q, NULL) && q.num_free == QS;
	check("in-order-packed-one-mark-per-batch", good,
	      "not one used descriptor, naming the last chain, for the batch");
}

/*
 * Packed, in order: a used descriptor's address field is unused (virtio
 * 1.2, 2.8.4), so a device may write it too, as one 16-byte store of the
 * whole descriptor would.  Three laps of batches of four one-buffer
 * chains, each slot's buffer the same every lap, the device writing junk
 * into the address of each used descriptor: the driver must write the
 * buffer's address again where a used descriptor was, not believe the
 * one it stored there a lap ago is still in place (virtq_add(), or
 * virtq_add_bufs() with bufs).
 */
void packed_used_addr(int bufs)
{
	static struct kb_chain c;
	struct virtq q;
	struct kb_vq d;
	int good = 1, bad_addr = 0;
	uintptr_t next = 1, back = 1;

	pair(&q, &d, 1, 1);
	for (int batch = 0; batch < 3 * QS / 4 && good; batch++) {
		uint16_t first = q.avail_idx;
		struct virtq_buf b[4];
		void *ck[4];

		for (int i = 0; i < 4; i++) {
			b[i] = (struct virtq_buf){
				mem + BUFS + ((first + i) % 16) * 1024, 64 };
			ck[i] = (void *)(next + i);
		}
		if (bufs) {
			good &= virtq_add_bufs(&q, b, 4, 1, ck) == 4;
		} else {
			for (int i = 0; i < 4; i++)
				good &= !virtq_add(&q, NULL, 0, &b[i], 1, ck[i]);
		}
		next += 4;
		virtq_publish(&q);
		for (int i = 0; i < 4 && good; i++) {
			good &= kb_vq_pop(&d, &c) == 1;
			if (!good || c.seg[0].p != (uint8_t *)b[i].p)
				bad_addr++;
			kb_vq_push_quiet(&d, &c, 64);
		}
		kb_vq_publish(&d);
		q.ring[first].addr = 0x5a5a5a5a5a5a5a5aULL;
		for (void *got; (got = virtq_get(&q, NULL)); back++)
			good &= (uintptr_t)got == back;
	}
	good &= !bad_addr && back == next && q.num_free == QS && !d.error;
	check(bufs ? "in-order-packed-used-addr-bufs" :
		     "in-order-packed-used-addr", good,
	      "a slot whose used descriptor's address the device wrote was made available again with that address, not the buffer's");
	if (d.error)
		printf("# device: %s\n", d.error);
}
