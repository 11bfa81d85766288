/* The packed-ring half of lib/virtq.c (lib/virtq_packed.c). */
#ifndef LIB_VIRTQ_PACKED_H
#define LIB_VIRTQ_PACKED_H

#include "lib/virtq.h"

int virtq_packed_add(struct virtq *q, const struct virtq_buf *out,
		     unsigned int nout, const struct virtq_buf *in,
		     unsigned int nin, void *cookie);
int virtq_packed_publish(struct virtq *q);
void *virtq_packed_get(struct virtq *q, uint32_t *len);
int virtq_packed_arm(struct virtq *q);
void virtq_packed_disarm(struct virtq *q);

#endif
