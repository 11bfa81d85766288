// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "region.h"

#ifndef __KERNEL__
#include <assert.h>
#endif

void *kb_translate(const struct kb_region *r, uint64_t gpa, uint64_t len)
{
	uint64_t off;
	uint8_t *p;

	if (!len || gpa < r->base)
		return NULL;
	off = gpa - r->base;
	if (off >= r->size || len > r->size - off)
		return NULL;
	p = r->va + off;
#ifndef __KERNEL__
	/* Hosted and fuzz builds: what we hand out never leaves the region. */
	assert(p >= r->va && p + len <= r->va + r->size);
#endif
	return p;
}
