// SPDX-License-Identifier: GPL-2.0
/*
 * The host's end of the ABI byte rings (struct kspawn_ring).  The guest can
 * write every byte of the ring, so the size is the host's private copy and
 * both indices (the guest's, and ours, which lives in the same shared
 * memory) are read once per call, with an acquire or READ_ONCE, and used
 * only as read: a guest claiming more bytes than the ring holds gets the
 * ring marked broken (logged once) and ignored from then on.  Nothing here
 * ever reads or writes outside the ring's data area.
 */
#include <linux/compiler.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <asm/barrier.h>

#include "kspawn.h"

int kspawn_hring_attach(struct kspawn_hring *h, struct kspawn_ring *r,
			u32 size)
{
	if (!is_power_of_2(size))
		return -EINVAL;
	h->r = r;
	h->size = size;
	h->broken = false;
	return 0;
}

static bool hring_bad(struct kspawn_hring *h, u32 used, u32 limit)
{
	if (used <= limit)
		return false;
	if (!h->broken)
		pr_warn("guest ring at %p: indices out of range (%u bytes claimed, %u possible); ignoring it\n",
			h->r, used, limit);
	h->broken = true;
	return true;
}

/* Guest -> host: take up to len bytes. */
u32 kspawn_hring_read(struct kspawn_hring *h, void *dst, u32 len)
{
	u32 head, tail, used, n, at, first;

	if (h->broken)
		return 0;
	/* Acquire: the bytes the guest wrote before publishing head. */
	head = smp_load_acquire(&h->r->head);
	/* Ours, but in the guest's memory: once, or a reload could differ. */
	tail = READ_ONCE(h->r->tail);
	used = head - tail;
	if (hring_bad(h, used, h->size))
		return 0;
	n = min(used, len);
	at = tail & (h->size - 1);
	first = min(n, h->size - at);
	memcpy(dst, h->r->data + at, first);
	memcpy(dst + first, h->r->data, n - first);
	/* Release: we are done reading before the guest may overwrite. */
	smp_store_release(&h->r->tail, tail + n);
	return n;
}

/* Host -> guest: put up to len bytes. */
u32 kspawn_hring_write(struct kspawn_hring *h, const void *src, u32 len)
{
	u32 head, tail, used, n, at, first;

	if (h->broken)
		return 0;
	/* Acquire: the guest finished reading what it freed. */
	tail = smp_load_acquire(&h->r->tail);
	head = READ_ONCE(h->r->head);	/* ours, as tail above */
	used = head - tail;
	if (hring_bad(h, used, h->size))
		return 0;
	n = min(h->size - used, len);
	at = head & (h->size - 1);
	first = min(n, h->size - at);
	memcpy(h->r->data + at, src, first);
	memcpy(h->r->data, src + first, n - first);
	/* Release: the bytes before the head that covers them. */
	smp_store_release(&h->r->head, head + n);
	return n;
}

u32 kspawn_hring_dropped(const struct kspawn_hring *h)
{
	return READ_ONCE(h->r->dropped);
}
