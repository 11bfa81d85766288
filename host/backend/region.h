/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A guest's memory as the device side sees it.  Every guest physical
 * address the device follows goes through kb_translate(), the one place
 * that decides whether the guest may name it.
 */
#ifndef KB_REGION_H
#define KB_REGION_H

#include "kb_compat.h"

struct kb_region {
	uint8_t *va;		/* host mapping of the region */
	uint64_t base;		/* guest physical address of va[0] */
	uint64_t size;
};

/*
 * The host address of [gpa, gpa + len), or NULL unless all of it lies inside
 * the region.  len 0 is refused: no descriptor has a reason to be empty.
 */
void *kb_translate(const struct kb_region *r, uint64_t gpa, uint64_t len);

#endif
