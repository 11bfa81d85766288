#include <string.h>

#include "arch/x86_64/paging.h"
#include "arch/x86_64/asm.h"
#include "arch/x86_64/cpu.h"

#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define LEVELS 4

extern char __text_start[], __text_end[], __rodata_start[], __data_start[];
extern char __ksyms_start[], __ksyms_end[];

static uint64_t *pml4;
static paging_page_fn alloc_page;
static uint64_t region_base;

/* Page tables are region memory: linear map back and forth. */
static uint64_t table_phys(const void *va)
{
	return (uint64_t)va - KSPAWN_VA_REGION + region_base;
}

static uint64_t *table_virt(uint64_t pte)
{
	return (uint64_t *)((pte & PTE_ADDR) - region_base + KSPAWN_VA_REGION);
}

/* Bits 63..48 copies of bit 47: the only addresses the CPU translates. */
static int canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/*
 * The PTE slot for va, creating intermediate tables if create is set.
 * The walk reads bits 47..12 only: a non-canonical va (the gdb stub's
 * addresses are whatever gdb sends) would find the slot of the canonical
 * address it shares them with, and be taken for mapped, where any access
 * to it is a #GP.  It has no slot.
 */
static uint64_t *pte_slot(uint64_t va, int create)
{
	uint64_t *table = pml4;

	if (!table)
		return NULL;	/* still on the boot tables */
	if (!canonical(va))
		return NULL;
	for (int level = LEVELS - 1; level > 0; level--) {
		unsigned int i = (va >> (12 + 9 * level)) & 511;

		if (!(table[i] & PTE_P)) {
			uint64_t *next;

			if (!create || !(next = alloc_page()))
				return NULL;
			table[i] = table_phys(next) | PTE_P | PTE_W;
		}
		table = table_virt(table[i]);
	}
	return &table[(va >> 12) & 511];
}

static int map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte = pte_slot(va, 1);

	if (!pte)
		return -1;
	*pte = (pa & PTE_ADDR) | flags | PTE_P;
	return 0;
}

/* Permissions of the region page at va: W^X by section. */
static uint64_t region_flags(uint64_t va)
{
	if (va >= (uint64_t)__text_start && va < (uint64_t)__rodata_start)
		return 0;				/* text: read, execute */
	if (va >= (uint64_t)__rodata_start && va < (uint64_t)__data_start)
		return PTE_NX;				/* rodata, notes */
	if (va >= (uint64_t)__ksyms_start && va < (uint64_t)__ksyms_end)
		return PTE_NX;
	return PTE_W | PTE_NX;
}

static int map_region(const struct kspawn_header *hdr)
{
	for (uint64_t off = 0; off < hdr->region_size; off += PAGE_SIZE) {
		uint64_t va = KSPAWN_VA_REGION + off;

		if (map_page(va, hdr->region_base + off, region_flags(va)))
			return -1;
	}
	return 0;
}

static int map_shared(const struct kspawn_header *hdr)
{
	uint64_t base = hdr->shared_base, end = base + hdr->shared_size;

	/* Alone (PVH), the shared area is part of the image. */
	if (base >= hdr->region_base && end <= hdr->region_base + hdr->region_size)
		return 0;
	for (uint64_t pa = base; pa < end; pa += PAGE_SIZE)
		if (map_page(KSPAWN_VA_SHARED + (pa - base), pa,
			     PTE_W | PTE_NX))
			return -1;
	return 0;
}

int paging_init(const struct kspawn_header *hdr, paging_page_fn get_page)
{
	alloc_page = get_page;
	region_base = hdr->region_base;
	pml4 = alloc_page();
	if (!pml4 || map_region(hdr) || map_shared(hdr))
		return -1;
	paging_load();
	return 0;
}

void paging_load(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	write_cr3(table_phys(pml4));
}

void paging_unmap(uint64_t va)
{
	uint64_t *pte = pte_slot(va, 0);

	if (pte) {
		*pte &= ~(uint64_t)PTE_P;
		invlpg(va);
	}
}

void paging_remap(uint64_t va)
{
	uint64_t *pte = pte_slot(va, 0);

	if (pte && (*pte & PTE_ADDR)) {
		*pte |= PTE_P;
		invlpg(va);
	}
}

int paging_is_mapped(uint64_t va)
{
	uint64_t *pte = pte_slot(va, 0);

	return pte && (*pte & PTE_P);
}

int paging_map_mmio(uint64_t va, uint64_t pa)
{
	if (va < VA_MMIO || va >= VA_MMIO + VA_MMIO_SIZE)
		return -1;
	if (map_page(va, pa, PTE_W | PTE_PCD | PTE_PWT | PTE_NX))
		return -1;
	invlpg(va);
	return 0;
}
