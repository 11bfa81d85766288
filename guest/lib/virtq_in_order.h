/*
 * The split ring's in-order half of lib/virtq.c (lib/virtq_in_order.c):
 * what virtq.c's entry points call when q->in_order is set on a split
 * ring, and the one check both files make of the device's used index.
 */
#ifndef LIB_VIRTQ_IN_ORDER_H
#define LIB_VIRTQ_IN_ORDER_H

#include "lib/virtq.h"

/*
 * Each chain out has one avail entry and comes back with one used entry
 * (in order, one position: a batch's entry skips the rest), so the
 * device's index can be ahead of ours by the chains out at most.  An
 * index further on is a device bug, and the entries it covers were never
 * written for us: stale ones, naming heads that are now other chains',
 * which would complete them while the device still has them.
 */
static inline int virtq_used_idx_sane(struct virtq *q, uint16_t idx)
{
	if ((uint16_t)(idx - q->last_used) >
	    (uint16_t)(q->avail_idx - q->last_used)) {
		q->broken = 1;
		return 0;
	}
	return 1;
}

int virtq_in_order_add_one(struct virtq *q, const struct virtq_buf *b,
			   uint16_t flags, void *cookie);
unsigned int virtq_in_order_add_bufs(struct virtq *q, const struct virtq_buf *b,
				     unsigned int n, int write,
				     void *const *cookie);
void *virtq_in_order_get(struct virtq *q, uint32_t *len);
unsigned int virtq_in_order_get_bufs(struct virtq *q, void **cookie,
				     uint32_t *len, unsigned int n);

#endif
