/*
 * PVH boot: turn the firmware's hvm_start_info into a local ABI header so
 * that kmain() runs the same code whether it was spawned by kspawn.ko or
 * booted alone.  The region starts at physical 0 here; the shared area is a
 * static structure inside the image.
 */
#include <stdint.h>
#include <string.h>

#include "abi/kspawn_abi.h"
#include "kern/main.h"

#define HVM_START_MAGIC 0x336ec578
#define E820_RAM 1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* The whole shared area of a standalone guest. */
static struct {
	struct kspawn_header hdr;
	struct kspawn_state state;
	struct kspawn_ring debug_out;
	uint8_t debug_out_data[KSPAWN_DEBUG_RING_SIZE];
	struct kspawn_ring debug_in;
	uint8_t debug_in_data[KSPAWN_DEBUG_RING_SIZE];
} local __attribute__((aligned(4096)));

/* Only the first 1 GiB is mapped this early, and physical = virtual - VA. */
static void *early_phys(uint64_t pa)
{
	return (void *)(pa + KSPAWN_VA_REGION);
}

/* End of the RAM range holding the image, capped to what one region holds. */
static uint64_t ram_end(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *map;
	uint64_t end = 0;

	if (si->version < 1 || !si->memmap_paddr)
		return 128ULL << 20;	/* no map: assume a small machine */
	map = early_phys(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (map[i].type != E820_RAM)
			continue;
		if (map[i].addr <= KSPAWN_IMAGE_OFFSET &&
		    map[i].addr + map[i].size > KSPAWN_IMAGE_OFFSET)
			end = map[i].addr + map[i].size;
	}
	if (end > KSPAWN_REGION_MAX)
		end = KSPAWN_REGION_MAX;
	return end & ~(uint64_t)4095;
}

static void copy_cmdline(struct kspawn_header *hdr,
			 const struct hvm_start_info *si)
{
	const char *src;
	size_t n = 0;

	if (!si->cmdline_paddr)
		return;
	src = early_phys(si->cmdline_paddr);
	while (n + 1 < sizeof(hdr->cmdline) && src[n]) {
		hdr->cmdline[n] = src[n];
		n++;
	}
	hdr->cmdline[n] = '\0';
}

static uint32_t local_off(const void *p)
{
	return (uint32_t)((const char *)p - (const char *)&local);
}

void pvh_main(uint32_t start_info_pa)
{
	const struct hvm_start_info *si = early_phys(start_info_pa);
	struct kspawn_header *hdr = &local.hdr;

	hdr->magic = KSPAWN_MAGIC;
	hdr->abi_major = KSPAWN_ABI_MAJOR;
	hdr->abi_minor = KSPAWN_ABI_MINOR;
	hdr->header_size = sizeof(*hdr);
	hdr->host_features = KSPAWN_F_DEBUG | KSPAWN_F_HEARTBEAT;
	hdr->flags = KSPAWN_HF_STANDALONE;
	hdr->region_base = 0;
	hdr->region_size = si->magic == HVM_START_MAGIC ? ram_end(si) :
							   128ULL << 20;
	hdr->shared_base = (uint64_t)&local - KSPAWN_VA_REGION;
	hdr->shared_size = sizeof(local);
	hdr->ncpus = 1;
	hdr->state_off = local_off(&local.state);
	hdr->debug_out_off = local_off(&local.debug_out);
	hdr->debug_in_off = local_off(&local.debug_in);
	local.debug_out.size = KSPAWN_DEBUG_RING_SIZE;
	local.debug_in.size = KSPAWN_DEBUG_RING_SIZE;
	if (si->magic == HVM_START_MAGIC)
		copy_cmdline(hdr, si);
	kmain(hdr);
}
