// SPDX-License-Identifier: GPL-2.0
/*
 * The memory pool: physical memory the host kernel was told to leave alone
 * (memmap=SIZE$BASE), split into 2 MiB chunks, so every region starts 2 MiB
 * aligned as the ABI requires.  The module never takes memory Linux uses:
 * a pool that overlaps System RAM is refused.  Chunks are zero whenever
 * they are free: the pool is scrubbed at load and a region when freed, so
 * nobody zeroes a region it is given (the loader, the guest).
 *
 * The scrub of a freed region runs in a work item, so that a stop need not
 * wait for it: the region's chunks stay used (and count as free in
 * kspawn_pool_info()) until it is done.  An allocation that finds no room
 * waits for the scrubs in flight and looks again; so do rmmod and a read
 * of the objects counters (kspawn_pool_settle()).
 */
#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#include "kspawn.h"

static DEFINE_MUTEX(pool_lock);	/* the bitmaps */
static void scrub_fn(struct work_struct *work);
static DECLARE_WORK(scrub_work, scrub_fn);

static struct {
	u64 base;
	u64 size;
	void *va;
	unsigned long *used;		/* one bit per chunk */
	unsigned long *scrub;		/* freed, used until scrubbed */
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
	if (!pool.used || !pool.scrub) {
		err = -ENOMEM;
		goto err_release;
	}
	pool.va = memremap(base, size, MEMREMAP_WB);
	if (!pool.va) {
		pr_err("pool %#llx-%#llx: memremap failed\n", base,
		       base + size - 1);
		err = -ENOMEM;
		goto err_free;
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

err_free:
	bitmap_free(pool.used);
	bitmap_free(pool.scrub);
err_release:
	release_mem_region(base, size);
	return err;
}

void kspawn_pool_exit(void)
{
	flush_work(&scrub_work);
	memunmap(pool.va);
	bitmap_free(pool.used);
	bitmap_free(pool.scrub);
	release_mem_region(pool.base, pool.size);
}

/* Scrub each freed chunk, then free it; until none is left to scrub. */
static void scrub_fn(struct work_struct *work)
{
	unsigned long i;

	for (;;) {
		mutex_lock(&pool_lock);
		i = find_first_bit(pool.scrub, pool.nchunks);
		mutex_unlock(&pool_lock);
		if (i >= pool.nchunks)
			return;
		/* The chunk is ours: used, so nobody allocates it meanwhile. */
		memset(pool.va + (u64)i * KSPAWN_CHUNK, 0, KSPAWN_CHUNK);
		mutex_lock(&pool_lock);
		clear_bit(i, pool.scrub);
		clear_bit(i, pool.used);
		mutex_unlock(&pool_lock);
		cond_resched();
	}
}

/* Wait until every region freed so far is scrubbed and free. */
void kspawn_pool_settle(void)
{
	flush_work(&scrub_work);
}

/* First fit; n chunks marked used, or pool.nchunks if none. */
static unsigned long take(unsigned int n)
{
	unsigned long first;

	mutex_lock(&pool_lock);
	first = bitmap_find_next_zero_area(pool.used, pool.nchunks, 0, n, 0);
	if (first < pool.nchunks)
		bitmap_set(pool.used, first, n);
	mutex_unlock(&pool_lock);
	return first;
}

/* Returns the kernel mapping of size bytes, zero. */
void *kspawn_pool_alloc(u64 size, u64 *phys)
{
	unsigned int n = DIV_ROUND_UP_ULL(size, KSPAWN_CHUNK);
	unsigned long first;

	if (!n || n > pool.nchunks)
		return NULL;
	first = take(n);
	if (first >= pool.nchunks) {
		/* Room may be waiting for its scrub. */
		kspawn_pool_settle();
		first = take(n);
	}
	if (first >= pool.nchunks)
		return NULL;
	kspawn_count(KSPAWN_CNT_POOL_CHUNKS, n);
	*phys = pool.base + (u64)first * KSPAWN_CHUNK;
	return pool.va + (u64)first * KSPAWN_CHUNK;
}

/*
 * Free a region the caller will no longer touch; it is scrubbed before
 * anyone else can have it, but the caller does not wait for that.
 */
void kspawn_pool_free(u64 phys, u64 size)
{
	unsigned int n = DIV_ROUND_UP_ULL(size, KSPAWN_CHUNK);

	if (WARN_ON(phys < pool.base || phys - pool.base >= pool.size))
		return;
	mutex_lock(&pool_lock);
	bitmap_set(pool.scrub, (phys - pool.base) / KSPAWN_CHUNK, n);
	mutex_unlock(&pool_lock);
	queue_work(system_unbound_wq, &scrub_work);
	kspawn_count(KSPAWN_CNT_POOL_CHUNKS, -(long)n);
}

void kspawn_pool_info(u64 *base, u64 *size, u64 *free)
{
	*base = pool.base;
	*size = pool.size;
	mutex_lock(&pool_lock);
	*free = (u64)(pool.nchunks - bitmap_weight(pool.used, pool.nchunks) +
		      bitmap_weight(pool.scrub, pool.nchunks)) * KSPAWN_CHUNK;
	mutex_unlock(&pool_lock);
}
