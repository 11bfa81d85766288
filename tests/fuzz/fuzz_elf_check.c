/*
 * libFuzzer: the guest image validation kspawn.ko runs on whatever user
 * space hands it (host/loader/elf_check.c).  Any input must get a verdict
 * without reading outside the buffer, a refusal a reason; an accepted image
 * must really lie inside the file and the region it was checked for.
 *
 * fuzz-sources: host/loader/elf_check.c
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi/kspawn_abi.h"
#include "host/loader/elf_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_check_info info;
	char why[ELF_CHECK_WHY_MAX];
	uint64_t region = 16ULL << 20;

	if (elf_check(data, size, region, &info, why, sizeof(why))) {
		assert(memchr(why, 0, sizeof(why)) && why[0]);
		return 0;
	}
	for (uint32_t i = 0; i < info.nsegs; i++) {
		const struct elf_check_seg *s = &info.segs[i];

		assert(s->offset + s->filesz <= size);
		assert(s->filesz <= s->memsz);
		assert(s->paddr >= KSPAWN_IMAGE_OFFSET);
		assert(s->paddr + s->memsz <= region);
	}
	assert(info.abi_major == KSPAWN_ABI_MAJOR);
	return 0;
}
