/*
 * libFuzzer: the guest image validation kspawn.ko runs on whatever user
 * space hands it (host/loader/elf_check.c).  Any input must get a verdict
 * without reading outside the buffer, a refusal a reason; an accepted image
 * must really lie inside the file and the region it was checked for, its
 * segments apart, its entry point in the file bytes of an executable one.
 *
 * fuzz-sources: host/loader/elf_check.c
 */
#include <assert.h>
#include <elf.h>
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
	int entry_in_text = 0;

	if (elf_check(data, size, region, &info, why, sizeof(why))) {
		assert(memchr(why, 0, sizeof(why)) && why[0]);
		return 0;
	}
	for (uint32_t i = 0; i < info.nsegs; i++) {
		const struct elf_check_seg *s = &info.segs[i];
		uint64_t va = KSPAWN_VA_REGION + s->paddr;

		assert(s->offset <= size && s->filesz <= size - s->offset);
		assert(s->filesz <= s->memsz);
		assert(s->paddr >= KSPAWN_IMAGE_OFFSET);
		assert(s->paddr <= region && s->memsz <= region - s->paddr);
		/* load.c copies every segment: no two may share a byte */
		for (uint32_t k = 0; k < i; k++)
			assert(s->paddr >= info.segs[k].paddr + info.segs[k].memsz ||
			       info.segs[k].paddr >= s->paddr + s->memsz);
		if ((s->flags & PF_X) && info.entry >= va &&
		    info.entry - va < s->filesz)
			entry_in_text = 1;
	}
	assert(entry_in_text);
	assert(info.abi_major == KSPAWN_ABI_MAJOR);
	/* kspawnctl walks the app list with string functions. */
	if (info.apps_size)
		assert(info.apps_off <= size &&
		       info.apps_size <= size - info.apps_off &&
		       !data[info.apps_off + info.apps_size - 1]);
	return 0;
}
