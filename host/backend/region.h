/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A guest's memory as the device side sees it.  Every guest physical
 * address the device follows goes through kb_translate(), the one place
 * that decides whether the guest may name it.
 */
#ifndef KB_REGION_H
#define KB_REGION_H

#include "kb_compat.h"
#ifndef __KERNEL__
#include <assert.h>
#endif

struct kb_region {
	uint8_t *va;		/* host mapping of the region */
	uint64_t base;		/* guest physical address of va[0] */
	uint64_t size;
};

/*
 * The host address of [gpa, gpa + len), or NULL unless all of it lies inside
 * the region.  len 0 is refused: no descriptor has a reason to be empty.
 * Inline: the devices' batch takes call it once per buffer, and the call
 * cost them more than the checks (docs/perf/ring.md, eleventh pass).
 */
static inline void *kb_translate(const struct kb_region *r, uint64_t gpa,
				 uint64_t len)
{
	/* An address below base wraps to an offset past the size. */
	uint64_t off = gpa - r->base;
	uint8_t *p;

	if (!len || off >= r->size || len > r->size - off)
		return NULL;
	p = r->va + off;
#ifndef __KERNEL__
	/* Hosted and fuzz builds: what we hand out never leaves the region. */
	assert(p >= r->va && p + len <= r->va + r->size);
#endif
	return p;
}

#endif
