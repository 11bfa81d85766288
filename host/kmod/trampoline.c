// SPDX-License-Identifier: GPL-2.0
/*
 * The low trampoline page (memmap=4K$ADDR): where a stolen core starts in
 * real mode.  It must be below 1 MiB (the STARTUP IPI vector is its page
 * number), must not be Linux's own real-mode trampoline, and real hardware
 * reserves vectors 0xa0-0xbf.  One page serves every instance: starts are
 * serialised by the boot lock (lifecycle.c), and the page is reused only
 * once the core has said in the page itself that it left it (tp_done):
 * never on the word of the header, which the guest's running CPUs can
 * write.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "kspawn.h"
#include "trampoline.h"

static struct {
	u64 phys;
	void *va;
} tramp;

static int tramp_check(u64 phys)
{
	u64 vector = phys >> PAGE_SHIFT;

	if (!phys || !PAGE_ALIGNED(phys) || phys >= SZ_1M) {
		pr_err("trampoline=%#llx: must be a page below 1 MiB\n", phys);
		return -EINVAL;
	}
	if (vector >= 0xa0 && vector <= 0xbf) {
		pr_err("trampoline=%#llx: STARTUP vectors 0xa0-0xbf are reserved\n",
		       phys);
		return -EINVAL;
	}
	if (region_intersects(phys, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("trampoline page %#llx is System RAM: boot with memmap=4K$%#llx\n",
		       phys, phys);
		return -EBUSY;
	}
	return 0;
}

int kspawn_trampoline_init(u64 phys)
{
	size_t len = kspawn_trampoline_end - kspawn_trampoline_start;
	int err = tramp_check(phys);

	if (err)
		return err;
	if (WARN_ON(len > PAGE_SIZE))
		return -EINVAL;
	/* tramp16.S's parameter block and the struct must agree. */
	if (WARN_ON(kspawn_trampoline_end - kspawn_trampoline_params !=
		    sizeof(struct kspawn_tramp_params)))
		return -EINVAL;
	/*
	 * No request_mem_region(): Linux marks every reserved range below
	 * 1 MiB busy itself, so the claim would always fail; the System RAM
	 * check above is what keeps us off memory Linux uses.
	 */
	tramp.va = memremap(phys, PAGE_SIZE, MEMREMAP_WB);
	if (!tramp.va)
		return -ENOMEM;
	tramp.phys = phys;
	return 0;
}

void kspawn_trampoline_exit(void)
{
	memunmap(tramp.va);
}

u64 kspawn_trampoline_phys(void)
{
	return tramp.phys;
}

/*
 * Copy the code and its parameters in; the caller holds the boot lock.
 * Only the parameters may differ from one install to the next: a core
 * that has set tp_done still fetches its last jump from this page and
 * keeps its GDTR on the page's gdt until the guest loads its own, so
 * those bytes must be rewritten as they were (they come from .rodata).
 */
void kspawn_trampoline_install(u64 cr3, u64 entry, u64 header_va,
			       u64 stamp_va, u32 index)
{
	size_t len = kspawn_trampoline_end - kspawn_trampoline_start;
	size_t off = kspawn_trampoline_params - kspawn_trampoline_start;
	struct kspawn_tramp_params p = {
		.cr3 = cr3, .entry = entry, .header = header_va,
		.stamp = stamp_va, .index = index,
	};

	memcpy(tramp.va, kspawn_trampoline_start, len);
	memcpy(tramp.va + off, &p, sizeof(p));	/* done = 0 */
	/* The core reads the page after the SIPI: make the bytes visible. */
	wmb();
}

/*
 * The core last sent the STARTUP IPI has read its parameters and written
 * its last word to the page: the page may be rewritten (boot lock held)
 * with the same code and new parameters.
 */
bool kspawn_trampoline_left(void)
{
	size_t off = kspawn_trampoline_params - kspawn_trampoline_start;
	const struct kspawn_tramp_params *p = tramp.va + off;

	return READ_ONCE(p->done) != 0;
}
