// SPDX-License-Identifier: GPL-2.0
/*
 * Loading an image: decide the region size, validate the ELF for it
 * (host/loader/elf_check.c: the image is untrusted), then copy its
 * segments into the region.
 */
#include <linux/string.h>

#include "kspawn.h"

int kspawn_image_check(const void *image, u64 size, u64 *mem,
		       struct elf_check_info *info)
{
	char why[ELF_CHECK_WHY_MAX];
	u64 region;
	int err;

	err = elf_check(image, size, 0, info, why, sizeof(why));
	if (err)
		goto refuse;
	if (*mem > KSPAWN_REGION_MAX) {
		pr_info("refused: region of %llu MiB, the most is %llu MiB\n",
			*mem >> 20, KSPAWN_REGION_MAX >> 20);
		return -E2BIG;
	}
	region = elf_check_region(*mem, info);
	if (region < KSPAWN_REGION_MIN || region > KSPAWN_REGION_MAX) {
		pr_info("refused: region of %llu bytes (between %llu and %llu MiB)\n",
			region, KSPAWN_REGION_MIN >> 20,
			KSPAWN_REGION_MAX >> 20);
		return -EINVAL;
	}
	err = elf_check(image, size, region, info, why, sizeof(why));
	if (err)
		goto refuse;
	*mem = region;
	return 0;
refuse:
	pr_info("refused image: %s\n", why);
	return err;
}

void kspawn_image_copy(struct kspawn_instance *in, const void *image,
		       const struct elf_check_info *info)
{
	for (u32 i = 0; i < info->nsegs; i++) {
		const struct elf_check_seg *s = &info->segs[i];
		void *dst = in->region + s->paddr;

		/* The rest (bss) is zero: regions come out of the pool so. */
		memcpy(dst, image + s->offset, s->filesz);
	}
	in->entry = info->entry;
}
