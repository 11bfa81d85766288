// SPDX-License-Identifier: GPL-2.0
/*
 * Bounce pages: where a guest's read or write goes when its own pages
 * cannot (the pool is reserved memory, outside the kernel's linear map;
 * a buffer not aligned for the device), for both disk stores
 * (store_bdev.c's bios, store_file.c's O_DIRECT kiocbs).
 *
 * One page at a time, never a high-order allocation: a guest asking for
 * 64 MiB reads must not send the host into compaction, nor see them fail
 * on a fragmented host.  The pages' pointers too are kept in pieces of a
 * page (io.h), under a directory of at most a few hundred bytes.  A
 * request slot keeps up to KSPAWN_BOUNCE_KEEP pages between requests
 * (every request of a guest in the pool is bounced: no allocation then);
 * a bigger request's pages and pointers are all freed when it completes
 * (or its allocation fails), so that no slot keeps more than that,
 * whatever the guest once sent.
 *
 * The pages beyond those kept, for every request of a disk at once, come
 * from the disk's budget (d->bounce_budget, from the module parameter
 * bounce_budget_kib, 8 MiB by default: Linux's own requests are at most
 * 1.25 MiB unless a user raises max_sectors_kb).  A guest's chain may be
 * up to KB_MAX_CHAIN_BYTES and name the same guest page over and over,
 * KB_BLK_INFLIGHT of them in flight: gigabytes of host memory for a few
 * MiB of guest.  The device thread waits for room (process context,
 * nothing held: its plug is flushed as it sleeps).  A request bigger than
 * the whole budget is within the limits the device advertises, so it is
 * served, not refused: it waits until nothing else holds any and goes
 * alone, so a disk holds at most the budget or one request's pages, on
 * top of the kept ones (KB_BLK_INFLIGHT x 128 KiB).
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "kspawn.h"
#include "io.h"

void kspawn_bounce_init(struct kspawn_disk *d)
{
	/* put() keeps pages only in piece 0. */
	BUILD_BUG_ON(KSPAWN_BOUNCE_KEEP > KSPAWN_BOUNCE_PIECE);
	atomic_set(&d->bounce_extra, 0);
	d->bounce_budget = max(1U, kspawn_bounce_budget_kib >>
				   (PAGE_SHIFT - 10));
	init_waitqueue_head(&d->bounce_room);
}

/* Down to keep pages (0: the pointers' pieces too). */
static void shrink(struct kspawn_bounce *b, unsigned int keep)
{
	while (b->n > keep) {
		b->n--;
		__free_page(kspawn_bounce_page(b, b->n));
	}
	if (!keep) {
		while (b->ndir)
			kfree(b->dir[--b->ndir]);
		kfree(b->dir);
		b->dir = NULL;
	}
}

/* Room for n page pointers: 0, or -ENOMEM (what there was is kept). */
static int room(struct kspawn_bounce *b, unsigned int n)
{
	unsigned int want = DIV_ROUND_UP(n, KSPAWN_BOUNCE_PIECE);

	if (want > b->ndir) {
		struct page ***dir = krealloc_array(b->dir, want, sizeof(*dir),
						    GFP_NOIO | __GFP_NOWARN);

		if (!dir)
			return -ENOMEM;
		b->dir = dir;
	}
	while (b->ndir < want) {
		b->dir[b->ndir] = kmalloc(PAGE_SIZE, GFP_NOIO | __GFP_NOWARN);
		if (!b->dir[b->ndir])
			return -ENOMEM;
		b->ndir++;
	}
	return 0;
}

void kspawn_bounce_free(struct kspawn_bounce *b)
{
	shrink(b, 0);
}

/* Take n pages of the budget, or false if they are not free now. */
static bool reserve(struct kspawn_disk *d, unsigned int n)
{
	int old = atomic_read(&d->bounce_extra);

	do {
		if (n > d->bounce_budget ? old : old + n > d->bounce_budget)
			return false;
	} while (!atomic_try_cmpxchg(&d->bounce_extra, &old, old + n));
	if (old + n > READ_ONCE(d->bounce_peak))
		WRITE_ONCE(d->bounce_peak, old + n);	/* a statistic */
	return true;
}

static void put(struct kspawn_disk *d, struct kspawn_bounce *b);

/* n pages, waiting for the budget (process context, nothing held). */
static int get(struct kspawn_disk *d, struct kspawn_bounce *b, unsigned int n)
{
	unsigned int extra = n > KSPAWN_BOUNCE_KEEP ? n - KSPAWN_BOUNCE_KEEP :
			     0;

	if (extra)
		wait_event_idle(d->bounce_room, reserve(d, extra));
	b->extra = extra;
	if (room(b, n))
		goto nomem;
	for (; b->n < n; b->n++) {
		struct page *pg = alloc_page(GFP_NOIO);

		if (!pg)
			goto nomem;
		b->dir[b->n / KSPAWN_BOUNCE_PIECE][b->n % KSPAWN_BOUNCE_PIECE] =
			pg;
	}
	return 0;
nomem:
	put(d, b);
	return -ENOMEM;
}

/* Back down to the kept pages, the budget returned (any context). */
static void put(struct kspawn_disk *d, struct kspawn_bounce *b)
{
	/* More than piece 0: a request too big, even if its get() failed. */
	shrink(b, b->n > KSPAWN_BOUNCE_KEEP || b->ndir > 1 ?
		  0 : KSPAWN_BOUNCE_KEEP);
	if (b->extra) {
		atomic_sub(b->extra, &d->bounce_extra);
		b->extra = 0;
		wake_up(&d->bounce_room);
	}
}

/*
 * Between the pages and the request's guest segments; may_sleep (not in
 * a completion): a chance to reschedule per page.
 */
static void copy(struct kspawn_bounce *b, const struct kb_blk_req *rq,
		 bool to_guest, bool may_sleep)
{
	u64 at = 0;

	for (u32 i = 0; i < rq->nseg; i++) {
		u8 *p = rq->seg[i].p;
		u32 left = rq->seg[i].len;

		while (left) {
			u8 *pg = page_address(kspawn_bounce_page(b,
						at >> PAGE_SHIFT)) +
				 offset_in_page(at);
			u32 n = min_t(u32, left, PAGE_SIZE - offset_in_page(at));

			if (to_guest)
				memcpy(p, pg, n);
			else
				memcpy(pg, p, n);
			p += n;
			left -= n;
			at += n;
			if (may_sleep)
				cond_resched();
		}
	}
}

int kspawn_bounce_start(struct kspawn_disk *d, struct kspawn_bounce *b,
			const struct kb_blk_req *rq)
{
	unsigned int n = DIV_ROUND_UP(rq->len, PAGE_SIZE);

	if (get(d, b, n))
		return -ENOMEM;
	if (rq->write)
		copy(b, rq, false, true);
	return n;
}

void kspawn_bounce_end(struct kspawn_disk *d, struct kspawn_bounce *b,
		       const struct kb_blk_req *rq, bool ok, bool may_sleep)
{
	if (ok && !rq->write) {
		copy(b, rq, true, may_sleep);
		if (may_sleep)
			atomic_long_inc(&d->copied_late);
	}
	put(d, b);
}
