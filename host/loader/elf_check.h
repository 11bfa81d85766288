/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Validation of a guest ELF image: the one checker, shared by kspawn.ko
 * (which trusts no caller), kspawnctl (which explains a refusal before it
 * calls the module) and the fuzzers.  Portable: no allocation, no I/O.
 */
#ifndef KSPAWN_ELF_CHECK_H
#define KSPAWN_ELF_CHECK_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

#define ELF_CHECK_MAX_LOAD 8		/* PT_LOAD segments an image may have */
#define ELF_CHECK_MAX_PHDRS 32
#define ELF_CHECK_MAX_NOTES 64		/* notes, all PT_NOTE segments together */
#define ELF_CHECK_WHY_MAX 192		/* room for the reason of a refusal */

struct elf_check_seg {
	uint64_t offset;		/* in the file */
	uint64_t filesz;
	uint64_t paddr;			/* offset from the region base */
	uint64_t memsz;
	uint32_t flags;			/* PF_R | PF_W | PF_X */
};

struct elf_check_info {
	uint64_t entry;
	uint64_t load_end;		/* highest paddr + memsz */
	uint32_t nsegs;
	struct elf_check_seg segs[ELF_CHECK_MAX_LOAD];
	uint16_t abi_major;		/* from .note.kspawn */
	uint16_t abi_minor;
	uint32_t min_region_mib;
	/*
	 * The KSPAWN_NOTE_APPS descriptor in the file: NUL-terminated
	 * names, the last byte a NUL.  apps_off 0: the image has no such
	 * note (and says nothing of its apps); apps_size 0: it has none.
	 */
	uint64_t apps_off;
	uint32_t apps_size;
};

/*
 * Check the image for a region of region_size bytes (0: only the image's own
 * consistency, the region checks are skipped).  The ABI note is checked
 * before the segments: an image for another ABI may be laid out otherwise.
 * Returns 0 with *info filled, or a negative errno with why (why_size
 * bytes, ELF_CHECK_WHY_MAX is enough) saying what was wrong, numbers
 * included, and *info filled as far as the check went (the note's fields
 * for -EPROTO):
 *   -ENOEXEC  not a kspawn guest image (format, truncation, layout, note)
 *   -E2BIG    a segment or the note's minimum does not fit region_size
 *   -EPROTO   built for another ABI major version
 */
int elf_check(const void *image, uint64_t size, uint64_t region_size,
	      struct elf_check_info *info, char *why, size_t why_size);

/*
 * The region an image is given for a request of mem bytes: mem, or when
 * mem is 0 what the image's note asks (at least KSPAWN_REGION_MIN), in
 * whole KSPAWN_REGION_ALIGN chunks.  A mem beyond KSPAWN_REGION_MAX comes
 * back as it is, for the caller to refuse.
 */
uint64_t elf_check_region(uint64_t mem, const struct elf_check_info *info);

#endif
