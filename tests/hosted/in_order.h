/*
 * What the files of the in_order program share (in_order.c: the in-order
 * cases and main(); in_order_packed.c: the packed layout's own;
 * in_order_hostile.c: a hostile driver or device; add_bufs.c: the batch
 * calls): one memory area standing for a guest
 * region, a driver and device paired on it, and the verdict line.
 */
#ifndef TESTS_HOSTED_IN_ORDER_H
#define TESTS_HOSTED_IN_ORDER_H

#include <stdint.h>

#include "host/backend/vq.h"
#include "lib/virtq.h"

#define BUFS (128u << 10)		/* offset of the buffers, 1 KiB each */
#define QS 64

extern uint8_t *mem;		/* the region, as this process sees it */

/* "ok NAME", or "FAIL NAME: why" and one more failure. */
void check(const char *name, int good, const char *why);

/* Memory zeroed, a driver and a device on one queue of QS, either layout. */
void pair(struct virtq *q, struct kb_vq *d, int packed, int in_order);

/* add_bufs.c: virtq_add_bufs() and virtq_get_bufs() against the device. */
void add_bufs_case(int packed, int in_order, int dev_bufs);

/* in_order_hostile.c: a driver or device that breaks the rules. */
void hostile_driver(void);
void hostile_driver_bufs(void);
void hostile_devices(void);
void random_device(int packed);

/* in_order_packed.c: the packed layout's own in-order cases. */
void packed_one_mark_per_batch(void);
void packed_used_addr(int bufs);

#endif
