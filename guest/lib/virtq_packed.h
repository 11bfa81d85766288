/* The packed-ring half of lib/virtq.c (lib/virtq_packed.c). */
#ifndef LIB_VIRTQ_PACKED_H
#define LIB_VIRTQ_PACKED_H

#include "lib/virtq.h"

/* Does a chain of n buffers go in an indirect table (either layout)? */
static inline int virtq_use_indirect(const struct virtq *q, unsigned int n)
{
	return q->indirect && n > 1 && n <= VQ_INDIRECT_MAX;
}

/*
 * In order (either layout), our own records of a one-buffer chain at id,
 * compared before they are stored: a fixed pool repeats them, and the
 * cookie is left in place when the chain comes back (each layout's
 * chain_is_out() checks used entries instead), so in steady state this
 * stores nothing.
 */
static inline void virtq_note_one(struct virtq *q, uint16_t id,
				  uint32_t inlen, void *cookie)
{
	if (q->id_ndesc[id] != 1)
		q->id_ndesc[id] = 1;
	if (q->id_inlen[id] != inlen)
		q->id_inlen[id] = inlen;
	if (q->cookie[id] != cookie)
		q->cookie[id] = cookie;
}

/* Device-writable bytes of a chain's in buffers. */
uint32_t virtq_in_bytes(const struct virtq_buf *in, unsigned int nin);

int virtq_packed_add(struct virtq *q, const struct virtq_buf *out,
		     unsigned int nout, const struct virtq_buf *in,
		     unsigned int nin, void *cookie);
unsigned int virtq_packed_add_bufs(struct virtq *q, const struct virtq_buf *b,
				   unsigned int n, int write,
				   void *const *cookie);
int virtq_packed_kick_needed(struct virtq *q);
void *virtq_packed_get(struct virtq *q, uint32_t *len);
unsigned int virtq_packed_get_bufs(struct virtq *q, void **cookie,
				   uint32_t *len, unsigned int n);
int virtq_packed_arm(struct virtq *q);
void virtq_packed_disarm(struct virtq *q);
void virtq_packed_state(struct virtq *q, struct virtq_state *s);

#endif
