/*
 * The guest's own page tables: the region at KSPAWN_VA_REGION with
 * per-section permissions, the shared area at KSPAWN_VA_SHARED, device
 * memory in an uncached window, and nothing else (no identity map).
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stddef.h>
#include <stdint.h>

#include "abi/kspawn_abi.h"

/* Device memory lives here; not part of the ABI, the guest's own choice. */
#define VA_MMIO 0xffffffffe0000000ULL
#define VA_MMIO_SIZE (256ULL << 20)

/* Where page-table pages come from: a zeroed page (kernel VA) or NULL. */
typedef void *(*paging_page_fn)(void);

/* Build the tables and switch CR3 to them. */
int paging_init(const struct kspawn_header *hdr, paging_page_fn get_page);

/* Switch this CPU to the tables paging_init built (another CPU's start). */
void paging_load(void);

/* Unmap / map back one page of the region (guard pages). */
void paging_unmap(uint64_t va);
void paging_remap(uint64_t va);

/* Is va mapped (present) in the current tables?  Never if not canonical. */
int paging_is_mapped(uint64_t va);

/* Map one 4 KiB page of device memory, uncached, at va in the MMIO window. */
int paging_map_mmio(uint64_t va, uint64_t pa);

#endif
