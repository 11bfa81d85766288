// SPDX-License-Identifier: GPL-2.0
/*
 * Boot page tables for a guest, in the first pages of its region (the ABI
 * leaves the region's first MiB to the loader).  They map just enough for
 * the trampoline to reach the guest's entry point:
 *   - the trampoline page, identity mapped (the code enabling paging runs
 *     from it), with 4 KiB granularity so nothing else of low memory shows;
 *   - the region at KSPAWN_VA_REGION with 2 MiB pages;
 *   - the shared area's chunk at KSPAWN_VA_SHARED.
 * The guest replaces them with its own tables as one of its first steps.
 */
#include <linux/bits.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "kspawn.h"

#define PTE_P BIT_ULL(0)
#define PTE_W BIT_ULL(1)
#define PTE_PS BIT_ULL(7)
#define TABLE (PTE_P | PTE_W)

enum { T_PML4, T_PDPT_LOW, T_PD_LOW, T_PT_LOW, T_PDPT_HIGH, T_PD_REGION,
	T_PD_SHARED, T_COUNT };

static unsigned int idx(u64 va, unsigned int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

int kspawn_pgtable_build(struct kspawn_instance *in, u64 trampoline_phys)
{
	u64 (*t)[512] = in->region;
	u64 base = in->region_phys;

	BUILD_BUG_ON(T_COUNT * 4096 != KSPAWN_PGTABLE_BYTES);
	BUILD_BUG_ON(KSPAWN_PGTABLE_BYTES > KSPAWN_IMAGE_OFFSET);
	if (in->region_size > KSPAWN_REGION_MAX || base + 0x100000 > SZ_4G)
		return -EINVAL;
	/* No memset: the region comes out of the pool zeroed. */

	t[T_PML4][0] = (base + T_PDPT_LOW * 4096) | TABLE;
	t[T_PDPT_LOW][0] = (base + T_PD_LOW * 4096) | TABLE;
	t[T_PD_LOW][0] = (base + T_PT_LOW * 4096) | TABLE;
	t[T_PT_LOW][idx(trampoline_phys, 0)] = trampoline_phys | PTE_P | PTE_W;

	t[T_PML4][idx(KSPAWN_VA_REGION, 3)] = (base + T_PDPT_HIGH * 4096) | TABLE;
	t[T_PDPT_HIGH][idx(KSPAWN_VA_REGION, 2)] =
		(base + T_PD_REGION * 4096) | TABLE;
	for (u64 off = 0; off < in->region_size; off += KSPAWN_CHUNK)
		t[T_PD_REGION][off / KSPAWN_CHUNK] =
			(base + off) | PTE_PS | PTE_P | PTE_W;

	t[T_PDPT_HIGH][idx(KSPAWN_VA_SHARED, 2)] =
		(base + T_PD_SHARED * 4096) | TABLE;
	t[T_PD_SHARED][0] = in->shared_phys | PTE_PS | PTE_P | PTE_W;
	return 0;
}
