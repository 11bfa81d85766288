// SPDX-License-Identifier: GPL-2.0
/*
 * The memory pool: physical memory the host kernel was told to leave alone
 * (memmap=SIZE$BASE), split into 2 MiB chunks, so every region starts 2 MiB
 * aligned as the ABI requires.  The module never takes memory Linux uses:
 * a pool that overlaps System RAM is refused.  Chunks are zero whenever
 * they are free: the pool is scrubbed at load and a region when freed, so
 * nobody zeroes a region it is given (the loader, the guest).
 *
 * The scrub of a freed region runs in a thread of its own at the lowest
 * priority (kspawn-scrub, nice 19), so that a stop need not wait for it
 * and nobody else is preempted by it (as a stop was, on the worker a
 * system workqueue woke beside it): the region's chunks stay used (and count as free in
 * kspawn_pool_info()) until it is done.  An allocation that finds no room
 * needs the scrubs done now; so do rmmod and a read of the objects
 * counters (kspawn_pool_settle()).  They do not wait for that thread,
 * which a busy machine may not run for a long while (nice 19 under
 * anything else): the scrub is cut into pieces of 64 KiB that anyone may
 * claim, and the waiter zeroes every piece not yet claimed itself.  A
 * piece is zeroed with preemption off from its claim to its end, so a
 * piece someone else holds is being zeroed on a CPU right now, and its
 * end is microseconds away whoever the holder is.
 *
 * One exception, the image's read-only pages: whoever frees a region may
 * name pages to keep (the guest's code and constants), which the scrub
 * leaves as they are and marks kept.  The next allocation resolves every
 * kept page in what it hands out before returning: a page its caller says
 * it will overwrite whole (overwrites(): the loader, whose image has file
 * bytes for all of it, load.c) stays as it is, any other is zeroed.  The
 * loader compares and writes only the bytes that differ, so nobody ever
 * receives a byte the previous guest left, and a guest started again from
 * the same image finds its code where it was: on real hardware that saves
 * zeroing it and writing it again, and under QEMU TCG, which throws away
 * the translated code of any page written to, most of the guest's boot
 * time (docs/perf/spawn.md).
 */
#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/kthread.h>
#include <linux/sched.h>

#include "kspawn.h"

#define PAGES_PER_CHUNK (KSPAWN_CHUNK >> PAGE_SHIFT)
#define PIECE_PAGES (SZ_64K >> PAGE_SHIFT)	/* zeroed without preemption */
#define PIECES_PER_CHUNK (PAGES_PER_CHUNK / PIECE_PAGES)

/*
 * The bitmaps.  A kept bit belongs to whoever has its chunk (the freeing
 * caller, the scrub, the allocating caller in turn; pool_lock orders the
 * hand-overs), and a chunk's bits fill whole words of their own.
 */
/*
 * Held for bitmap steps only; raw, since scrub_piece() takes it with
 * preemption off, where PREEMPT_RT's spinlock_t (a sleeping lock) may not
 * be taken.
 */
static DEFINE_RAW_SPINLOCK(pool_lock);
static void scrub_fn(struct kthread_work *work);
static DEFINE_KTHREAD_WORK(scrub_work, scrub_fn);
static struct kthread_worker *scrubber;

static struct {
	u64 base;
	u64 size;
	void *va;
	unsigned long *used;		/* one bit per chunk */
	unsigned long *scrub;		/* freed, pieces left to claim */
	unsigned long *kept;		/* one bit per page: not scrubbed */
	u8 *claimed;			/* per chunk: pieces claimed so far */
	u8 *zeroing;			/* per chunk: claimed, not yet zeroed */
	unsigned int inflight;		/* pieces claimed, not yet zeroed */
	unsigned int nchunks;
	struct resource *res;
} pool;

static int pool_check(u64 base, u64 size)
{
	if (!size) {
		pr_err("no memory pool: load with pool_base=ADDR pool_size=SIZE and boot with memmap=SIZE$ADDR\n");
		return -EINVAL;
	}
	if (!IS_ALIGNED(base, KSPAWN_CHUNK) || !IS_ALIGNED(size, KSPAWN_CHUNK)) {
		pr_err("pool %#llx+%#llx: base and size must be multiples of 2 MiB\n",
		       base, size);
		return -EINVAL;
	}
	/* The boot page tables live in the region; CR3 is loaded in 32-bit mode. */
	if (base + size < base || base + size > SZ_4G) {
		pr_err("pool %#llx+%#llx: must end below 4 GiB (boot page tables)\n",
		       base, size);
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("pool %#llx-%#llx overlaps System RAM: reserve it with memmap=%lluM$%#llx on the kernel command line\n",
		       base, base + size - 1, size >> 20, base);
		return -EBUSY;
	}
	return 0;
}

int kspawn_pool_init(u64 base, u64 size)
{
	int err = pool_check(base, size);

	if (err)
		return err;
	pool.res = request_mem_region(base, size, "kspawn pool");
	if (!pool.res) {
		pr_err("pool %#llx-%#llx is claimed by someone else (see /proc/iomem)\n",
		       base, base + size - 1);
		return -EBUSY;
	}
	pool.nchunks = size / KSPAWN_CHUNK;
	pool.used = bitmap_zalloc(pool.nchunks, GFP_KERNEL);
	pool.scrub = bitmap_zalloc(pool.nchunks, GFP_KERNEL);
	pool.kept = bitmap_zalloc(pool.nchunks * PAGES_PER_CHUNK, GFP_KERNEL);
	pool.claimed = kcalloc(pool.nchunks, 2, GFP_KERNEL);
	pool.zeroing = pool.claimed ? pool.claimed + pool.nchunks : NULL;
	if (!pool.used || !pool.scrub || !pool.kept || !pool.claimed) {
		err = -ENOMEM;
		goto err_free;
	}
	scrubber = kthread_create_worker(0, "kspawn-scrub");
	if (IS_ERR(scrubber)) {
		err = PTR_ERR(scrubber);
		goto err_free;
	}
	set_user_nice(scrubber->task, MAX_NICE);
	pool.va = memremap(base, size, MEMREMAP_WB);
	if (!pool.va) {
		pr_err("pool %#llx-%#llx: memremap failed\n", base,
		       base + size - 1);
		err = -ENOMEM;
		goto err_worker;
	}
	/*
	 * Scrubbed once here; afterwards every region is scrubbed when it is
	 * freed, so a region comes out of the pool already zeroed.
	 */
	memset(pool.va, 0, size);
	pool.base = base;
	pool.size = size;
	pr_info("pool: %llu MiB at %#llx\n", size >> 20, base);
	return 0;

err_worker:
	kthread_destroy_worker(scrubber);
err_free:
	bitmap_free(pool.used);
	bitmap_free(pool.scrub);
	bitmap_free(pool.kept);
	kfree(pool.claimed);
	release_mem_region(base, size);
	return err;
}

void kspawn_pool_exit(void)
{
	unsigned long p;

	kspawn_pool_settle();
	kthread_destroy_worker(scrubber);
	/*
	 * Kept pages hold the last guests' bytes (a guest can write its own
	 * read-only pages); whoever uses this memory after us must not see
	 * them.
	 */
	for_each_set_bit(p, pool.kept, pool.nchunks * PAGES_PER_CHUNK)
		memset(pool.va + p * PAGE_SIZE, 0, PAGE_SIZE);
	memunmap(pool.va);
	bitmap_free(pool.used);
	bitmap_free(pool.scrub);
	bitmap_free(pool.kept);
	kfree(pool.claimed);
	release_mem_region(pool.base, pool.size);
}

/* Zero piece p of chunk i but for its kept pages, in runs. */
static void zero_piece(unsigned long i, unsigned int p)
{
	unsigned long first = i * PAGES_PER_CHUNK + p * PIECE_PAGES;
	unsigned long end = first + PIECE_PAGES, from, to;

	for (from = find_next_zero_bit(pool.kept, end, first); from < end;
	     from = find_next_zero_bit(pool.kept, end, to)) {
		to = find_next_bit(pool.kept, end, from);
		memset(pool.va + from * PAGE_SIZE, 0, (to - from) * PAGE_SIZE);
	}
}

/*
 * Claim a piece of a freed chunk and zero it; the last piece's end frees
 * the chunk.  False if no piece is left to claim.  Preemption stays off
 * from the claim to the end (see the top of this file); the chunk is
 * used throughout, so nobody allocates it meanwhile.
 */
static bool scrub_piece(void)
{
	unsigned long i;
	unsigned int p;

	preempt_disable();
	raw_spin_lock(&pool_lock);
	i = find_first_bit(pool.scrub, pool.nchunks);
	if (i >= pool.nchunks) {
		raw_spin_unlock(&pool_lock);
		preempt_enable();
		return false;
	}
	p = pool.claimed[i]++;
	if (pool.claimed[i] == PIECES_PER_CHUNK)
		clear_bit(i, pool.scrub);
	pool.zeroing[i]++;
	pool.inflight++;
	raw_spin_unlock(&pool_lock);
	zero_piece(i, p);
	raw_spin_lock(&pool_lock);
	pool.inflight--;
	if (!--pool.zeroing[i] && pool.claimed[i] == PIECES_PER_CHUNK) {
		pool.claimed[i] = 0;
		clear_bit(i, pool.used);
	}
	raw_spin_unlock(&pool_lock);
	preempt_enable();
	return true;
}

static void scrub_fn(struct kthread_work *work)
{
	if (READ_ONCE(kspawn_test_no_scrub_thread))
		return;
	while (scrub_piece())
		cond_resched();
}

/*
 * Every region freed so far scrubbed and free, by this caller if the
 * scrub thread has not got to it; pieces others hold end within moments.
 */
void kspawn_pool_settle(void)
{
	while (scrub_piece())
		cond_resched();
	while (READ_ONCE(pool.inflight))
		cpu_relax();
}

/* First fit; n chunks marked used, or pool.nchunks if none. */
static unsigned long take(unsigned int n)
{
	unsigned long first;

	raw_spin_lock(&pool_lock);
	first = bitmap_find_next_zero_area(pool.used, pool.nchunks, 0, n, 0);
	if (first < pool.nchunks)
		bitmap_set(pool.used, first, n);
	raw_spin_unlock(&pool_lock);
	return first;
}

/*
 * Every kept page of chunks [first, first + n): left for the caller if it
 * overwrites it, else zeroed; no longer kept either way.
 */
static void resolve_kept(unsigned long first, unsigned int n,
			 kspawn_pool_keep_fn overwrites, void *arg)
{
	unsigned long start = first * PAGES_PER_CHUNK, p = start;
	unsigned long end = start + n * PAGES_PER_CHUNK;

	for_each_set_bit_from(p, pool.kept, end) {
		if (!overwrites || !overwrites(arg, (p - start) * PAGE_SIZE))
			memset(pool.va + p * PAGE_SIZE, 0, PAGE_SIZE);
		clear_bit(p, pool.kept);
	}
}

/*
 * Returns the kernel mapping of size bytes: zero, but for kept pages that
 * overwrites() (may be NULL) says the caller writes whole; see the top of
 * this file.
 */
void *kspawn_pool_alloc(u64 size, u64 *phys, kspawn_pool_keep_fn overwrites,
			void *arg)
{
	unsigned int n = DIV_ROUND_UP_ULL(size, KSPAWN_CHUNK);
	unsigned long first;

	if (!n || n > pool.nchunks)
		return NULL;
	first = take(n);
	if (first >= pool.nchunks) {
		/* Room may be waiting for its scrub: do it, now. */
		kspawn_pool_settle();
		first = take(n);
	}
	if (first >= pool.nchunks)
		return NULL;
	resolve_kept(first, n, overwrites, arg);
	kspawn_count(KSPAWN_CNT_POOL_CHUNKS, n);
	*phys = pool.base + (u64)first * KSPAWN_CHUNK;
	return pool.va + (u64)first * KSPAWN_CHUNK;
}

/*
 * Free a region the caller will no longer touch; it is scrubbed before
 * anyone else can have it, but the caller does not wait for that.  The
 * nkeep ranges (offsets in the region; whole pages inside them) are not
 * scrubbed but kept, for the next allocation to resolve.
 */
void kspawn_pool_free(u64 phys, u64 size, const struct kspawn_pool_keep *keep,
		      unsigned int nkeep)
{
	unsigned int n = DIV_ROUND_UP_ULL(size, KSPAWN_CHUNK);
	unsigned long page0;

	if (WARN_ON(phys < pool.base || phys - pool.base >= pool.size))
		return;
	page0 = (phys - pool.base) >> PAGE_SHIFT;
	for (unsigned int k = 0; k < nkeep; k++) {
		u64 from = PAGE_ALIGN(keep[k].off);
		u64 to = min(keep[k].off + keep[k].len, size) & PAGE_MASK;

		if (keep[k].off < size && from < to)
			bitmap_set(pool.kept, page0 + (from >> PAGE_SHIFT),
				   (to - from) >> PAGE_SHIFT);
	}
	raw_spin_lock(&pool_lock);
	bitmap_set(pool.scrub, (phys - pool.base) / KSPAWN_CHUNK, n);
	raw_spin_unlock(&pool_lock);
	kthread_queue_work(scrubber, &scrub_work);
	kspawn_count(KSPAWN_CNT_POOL_CHUNKS, -(long)n);
}

void kspawn_pool_info(u64 *base, u64 *size, u64 *free)
{
	*base = pool.base;
	*size = pool.size;
	raw_spin_lock(&pool_lock);
	*free = (u64)(pool.nchunks - bitmap_weight(pool.used, pool.nchunks) +
		      bitmap_weight(pool.scrub, pool.nchunks)) * KSPAWN_CHUNK;
	for (unsigned long i = 0; i < pool.nchunks; i++)
		*free += pool.claimed[i] && !test_bit(i, pool.scrub) ?
			 KSPAWN_CHUNK : 0;
	raw_spin_unlock(&pool_lock);
}
