#include "kern/shared.h"

struct kspawn_header *kspawn_hdr;

const char *shared_check(const struct kspawn_header *hdr)
{
	if (hdr->magic != KSPAWN_MAGIC)
		return "bad magic";
	if (hdr->abi_major != KSPAWN_ABI_MAJOR)
		return "ABI major version mismatch";
	if (hdr->header_size < offsetof(struct kspawn_header, reserved))
		return "header too short";
	if (hdr->region_base & (KSPAWN_REGION_ALIGN - 1))
		return "region not aligned";
	if (hdr->region_size > KSPAWN_REGION_MAX)
		return "region too large";
	if (!hdr->state_off || hdr->state_off + sizeof(struct kspawn_state) >
				       hdr->shared_size)
		return "state record outside the shared area";
	return NULL;
}

/* Attach br to a ring the host described; -1 if absent or if it would not fit. */
int shared_ring(struct kspawn_header *hdr, uint32_t off, struct byte_ring *br)
{
	uint64_t end = (uint64_t)off + sizeof(struct kspawn_ring);

	br->r = NULL;
	if (!off || end > hdr->shared_size)
		return -1;
	return byte_ring_attach(br, (struct kspawn_ring *)((char *)hdr + off),
				hdr->shared_size - end);
}

struct kspawn_state *shared_state(void)
{
	return (struct kspawn_state *)((char *)kspawn_hdr +
				       kspawn_hdr->state_off);
}

uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)va - KSPAWN_VA_REGION + kspawn_hdr->region_base;
}

void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa - kspawn_hdr->region_base + KSPAWN_VA_REGION);
}
