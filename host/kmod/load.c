// SPDX-License-Identifier: GPL-2.0
/*
 * Loading an image: decide the region size, validate the ELF for it
 * (host/loader/elf_check.c: the image is untrusted), then copy its
 * segments into the region.
 */
#include <linux/elf.h>
#include <linux/minmax.h>
#include <linux/mm.h>
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
		pr_info_ratelimited("refused: region of %llu MiB, the most is %llu MiB\n",
				    *mem >> 20, KSPAWN_REGION_MAX >> 20);
		return -E2BIG;
	}
	region = elf_check_region(*mem, info);
	if (region < KSPAWN_REGION_MIN || region > KSPAWN_REGION_MAX) {
		pr_info_ratelimited("refused: region of %llu bytes (between %llu and %llu MiB)\n",
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
	pr_info_ratelimited("refused image: %s\n", why);
	return err;
}

/*
 * Whether the kept page at offset off of a new region may stay as it is
 * (pool.c): yes if a segment's file bytes cover all of it, since
 * kspawn_image_copy() then makes every byte of it the image's.  It holds
 * them already, most often: the same image ran there last.
 */
bool kspawn_image_overwrites(void *arg, u64 off)
{
	const struct elf_check_info *info = arg;

	for (u32 i = 0; i < info->nsegs; i++) {
		const struct elf_check_seg *s = &info->segs[i];

		if (off >= s->paddr && off + PAGE_SIZE <= s->paddr + s->filesz)
			return true;
	}
	return false;
}

/*
 * dst = src, writing only the pages that differ: a kept page may hold
 * anything the last guest wrote there, a fresh one is zero.
 */
static void copy_changed(void *dst, const void *src, u64 len)
{
	while (len) {
		u64 n = min_t(u64, len, PAGE_SIZE - offset_in_page(dst));

		if (memcmp(dst, src, n))
			memcpy(dst, src, n);
		dst += n;
		src += n;
		len -= n;
	}
}

void kspawn_image_copy(struct kspawn_instance *in, const void *image,
		       const struct elf_check_info *info)
{
	in->nkeep = 0;
	for (u32 i = 0; i < info->nsegs; i++) {
		const struct elf_check_seg *s = &info->segs[i];

		/* The rest (bss) is zero: regions come out of the pool so. */
		copy_changed(in->region + s->paddr, image + s->offset,
			     s->filesz);
		/* Code and constants stay for the next guest of this image. */
		if (!(s->flags & PF_W) && in->nkeep < ARRAY_SIZE(in->keep))
			in->keep[in->nkeep++] = (struct kspawn_pool_keep) {
				s->paddr, s->filesz };
	}
	in->entry = info->entry;
}
