/*
 * Hosted vq_hostile (vq_hostile.c, the split cases and main;
 * vq_hostile_packed.c, the packed ones): the ring memory and the helpers
 * both halves build their hostile rings with.
 */
#ifndef TESTS_HOSTED_VQ_HOSTILE_H
#define TESTS_HOSTED_VQ_HOSTILE_H

#include <linux/virtio_ring.h>
#include <stdint.h>

#include "host/backend/vq.h"

#define BASE 0x100000ULL
#define BYTES (1u << 20)
#define QS 8
#define DESC_OFF 0x0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define BUF_OFF 0x8000
#define IND_OFF 0x4000

extern uint8_t *mem;
extern struct kb_region r;
extern int failures;
extern int bufs;			/* take with kb_vq_pop_bufs() first */
extern const char *pfx;			/* "bufs-" in the second round */

/* One take: 1 (something), 0 (nothing) or -1, as kb_vq_pop(). */
int pop(struct kb_vq *vq, struct kb_chain *c);
struct vring_desc *desc(void);
struct vring_avail *avail(void);
struct vring_desc *ind(void);
void fresh(void);			/* all ring memory zero */

void packed_cases(void);

#endif
