/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Force-included (-include) before Linux's virtio_ring.c and before
 * linux_ring.c, on top of tools/virtio's own shims:
 *
 * - data_race(), which virtio_ring.c of 6.1 uses and tools/virtio of the
 *   same tree does not define (KCSAN annotation: plain access here);
 * - malloc and free of these two files go to the region allocator, so
 *   that what the driver allocates for the device (rings, indirect
 *   tables) is memory the device may reach, as all of a guest's memory
 *   is guest memory.  tools/virtio's kmalloc() and kfree() call malloc()
 *   and free(); <stdlib.h> is included first so that its prototypes keep
 *   their names.
 */
#ifndef LINUX_RING_SHIM_H
#define LINUX_RING_SHIM_H

#include <stddef.h>
#include <stdlib.h>

#define data_race(expr) ({ expr; })

void *lr_mem_alloc(size_t size);
void lr_mem_free(void *p);

#define malloc(n) lr_mem_alloc(n)
#define free(p) lr_mem_free(p)

#endif
