// SPDX-License-Identifier: GPL-2.0
/*
 * The memory pool: physical memory the host kernel was told to leave alone
 * (memmap=SIZE$BASE), split into 2 MiB chunks, so every region starts 2 MiB
 * aligned as the ABI requires.  The module never takes memory Linux uses:
 * a pool that overlaps System RAM is refused.  Chunks are zero whenever
 * they are free: the pool is scrubbed at load and a region when freed.
 */
#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "kspawn.h"

static DEFINE_MUTEX(pool_lock);	/* the bitmap */

static struct {
	u64 base;
	u64 size;
	void *va;
	unsigned long *used;		/* one bit per chunk */
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
	if (!pool.used) {
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
err_release:
	release_mem_region(base, size);
	return err;
}

void kspawn_pool_exit(void)
{
	memunmap(pool.va);
	bitmap_free(pool.used);
	release_mem_region(pool.base, pool.size);
}

/* First fit.  Returns the kernel mapping. */
void *kspawn_pool_alloc(u64 size, u64 *phys)
{
	unsigned int n = DIV_ROUND_UP_ULL(size, KSPAWN_CHUNK);
	unsigned long first;

	if (!n || n > pool.nchunks)
		return NULL;
	mutex_lock(&pool_lock);
	first = bitmap_find_next_zero_area(pool.used, pool.nchunks, 0, n, 0);
	if (first < pool.nchunks)
		bitmap_set(pool.used, first, n);
	mutex_unlock(&pool_lock);
	if (first >= pool.nchunks)
		return NULL;
	kspawn_count(KSPAWN_CNT_POOL_CHUNKS, n);
	*phys = pool.base + (u64)first * KSPAWN_CHUNK;
	return pool.va + (u64)first * KSPAWN_CHUNK;
}

void kspawn_pool_free(u64 phys, u64 size)
{
	unsigned int n = DIV_ROUND_UP_ULL(size, KSPAWN_CHUNK);

	if (WARN_ON(phys < pool.base || phys - pool.base >= pool.size))
		return;
	mutex_lock(&pool_lock);
	bitmap_clear(pool.used, (phys - pool.base) / KSPAWN_CHUNK, n);
	mutex_unlock(&pool_lock);
	kspawn_count(KSPAWN_CNT_POOL_CHUNKS, -(long)n);
}

void kspawn_pool_info(u64 *base, u64 *size, u64 *free)
{
	*base = pool.base;
	*size = pool.size;
	mutex_lock(&pool_lock);
	*free = (u64)(pool.nchunks - bitmap_weight(pool.used, pool.nchunks)) *
		KSPAWN_CHUNK;
	mutex_unlock(&pool_lock);
}
