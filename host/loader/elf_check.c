// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Guest image validation.  The image comes from user space and ends up
 * running with ring-0 rights on a core of its own: every field is checked,
 * every offset and size with overflow in mind, before anything is copied.
 *
 * Headers are copied out with memcpy so that a misaligned or truncated
 * buffer is never dereferenced in place.
 */
#ifdef __KERNEL__
#include <linux/elf.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <elf.h>
#include <errno.h>
#include <string.h>
#endif

#include "abi/kspawn_abi.h"
#include "elf_check.h"

struct check {
	const unsigned char *img;
	uint64_t size;
	uint64_t region_size;
	struct elf_check_info *info;
	const char **why;
	int seen_note;
};

static int refuse(struct check *c, int err, const char *why)
{
	*c->why = why;
	return err;
}

/* [off, off + len) lies inside the file. */
static int in_file(const struct check *c, uint64_t off, uint64_t len)
{
	return off <= c->size && len <= c->size - off;
}

static int check_ehdr(struct check *c, Elf64_Ehdr *eh)
{
	if (c->size < sizeof(*eh))
		return refuse(c, -ENOEXEC, "truncated: shorter than an ELF header");
	memcpy(eh, c->img, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return refuse(c, -ENOEXEC, "bad magic: not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_machine != EM_X86_64 || eh->e_version != EV_CURRENT)
		return refuse(c, -ENOEXEC, "not a little-endian x86-64 ELF64");
	if (eh->e_type != ET_EXEC)
		return refuse(c, -ENOEXEC, "not an executable (ET_EXEC)");
	if (eh->e_ehsize != sizeof(Elf64_Ehdr) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr))
		return refuse(c, -ENOEXEC, "unexpected ELF header sizes");
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_CHECK_MAX_PHDRS)
		return refuse(c, -ENOEXEC, "no or too many program headers");
	if (!in_file(c, eh->e_phoff,
		     (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return refuse(c, -ENOEXEC, "truncated: program headers past the end");
	return 0;
}

static int check_load(struct check *c, const Elf64_Phdr *ph)
{
	struct elf_check_info *info = c->info;
	struct elf_check_seg *s;
	uint64_t end;

	if (info->nsegs == ELF_CHECK_MAX_LOAD)
		return refuse(c, -ENOEXEC, "too many PT_LOAD segments");
	if (!in_file(c, ph->p_offset, ph->p_filesz))
		return refuse(c, -ENOEXEC, "truncated: segment past the end of the file");
	if (ph->p_filesz > ph->p_memsz || ph->p_memsz == 0)
		return refuse(c, -ENOEXEC, "segment file size exceeds its memory size");
	if (ph->p_paddr < KSPAWN_IMAGE_OFFSET ||
	    ph->p_paddr > KSPAWN_REGION_MAX ||
	    ph->p_memsz > KSPAWN_REGION_MAX - ph->p_paddr)
		return refuse(c, -ENOEXEC, "segment outside a region");
	if (ph->p_vaddr != KSPAWN_VA_REGION + ph->p_paddr)
		return refuse(c, -ENOEXEC, "segment not linked at the region address");
	end = ph->p_paddr + ph->p_memsz;
	if (c->region_size && end > c->region_size)
		return refuse(c, -E2BIG, "segment outside the region asked for");
	for (uint32_t i = 0; i < info->nsegs; i++) {
		s = &info->segs[i];
		if (ph->p_paddr < s->paddr + s->memsz && s->paddr < end)
			return refuse(c, -ENOEXEC, "overlapping segments");
	}
	s = &info->segs[info->nsegs++];
	s->offset = ph->p_offset;
	s->filesz = ph->p_filesz;
	s->paddr = ph->p_paddr;
	s->memsz = ph->p_memsz;
	s->flags = ph->p_flags;
	if (end > info->load_end)
		info->load_end = end;
	return 0;
}

/* One note at off; returns its total size, or 0 if malformed. */
static uint64_t note_at(struct check *c, uint64_t off, uint64_t end)
{
	static const char name[] = KSPAWN_NOTE_NAME;
	struct kspawn_note_abi abi;
	Elf64_Nhdr nh;
	uint64_t namesz, descsz, total;

	if (end - off < sizeof(nh))
		return 0;
	memcpy(&nh, c->img + off, sizeof(nh));
	namesz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
	descsz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
	total = sizeof(nh) + namesz + descsz;
	if (total > end - off)
		return 0;
	if (nh.n_namesz == sizeof(name) && nh.n_type == KSPAWN_NOTE_ABI &&
	    nh.n_descsz == sizeof(abi) &&
	    !memcmp(c->img + off + sizeof(nh), name, sizeof(name))) {
		memcpy(&abi, c->img + off + sizeof(nh) + namesz, sizeof(abi));
		c->info->abi_major = abi.abi_major;
		c->info->abi_minor = abi.abi_minor;
		c->info->min_region_mib = abi.min_region_mib;
		c->seen_note = 1;
	}
	return total;
}

static int check_notes(struct check *c, const Elf64_Phdr *ph)
{
	uint64_t off = ph->p_offset, end, n;

	if (!in_file(c, ph->p_offset, ph->p_filesz))
		return refuse(c, -ENOEXEC, "truncated: notes past the end of the file");
	end = ph->p_offset + ph->p_filesz;
	while (off < end) {
		n = note_at(c, off, end);
		if (!n)
			return refuse(c, -ENOEXEC, "malformed note");
		off += n;
	}
	return 0;
}

static int check_phdr(struct check *c, const Elf64_Phdr *ph)
{
	switch (ph->p_type) {
	case PT_LOAD:
		return check_load(c, ph);
	case PT_NOTE:
		return check_notes(c, ph);
	case PT_DYNAMIC:
	case PT_INTERP:
		return refuse(c, -ENOEXEC, "dynamic image: a guest must be static");
	default:
		return 0;	/* PT_GNU_STACK and friends: nothing to load */
	}
}

/* The entry point lies in the file-backed part of an executable segment. */
static int check_entry(struct check *c, uint64_t entry)
{
	const struct elf_check_info *info = c->info;

	for (uint32_t i = 0; i < info->nsegs; i++) {
		const struct elf_check_seg *s = &info->segs[i];
		uint64_t va = KSPAWN_VA_REGION + s->paddr;

		if ((s->flags & PF_X) && entry >= va && entry - va < s->filesz)
			return 0;
	}
	return refuse(c, -ENOEXEC, "entry point not inside an executable segment");
}

static int check_note_abi(struct check *c)
{
	const struct elf_check_info *info = c->info;

	if (!c->seen_note)
		return refuse(c, -ENOEXEC, "no .note.kspawn ABI note");
	if (info->abi_major != KSPAWN_ABI_MAJOR)
		return refuse(c, -EPROTO, "built for another ABI major version");
	if (c->region_size &&
	    (uint64_t)info->min_region_mib << 20 > c->region_size)
		return refuse(c, -E2BIG, "region smaller than the image's minimum");
	return 0;
}

int elf_check(const void *image, uint64_t size, uint64_t region_size,
	      struct elf_check_info *info, const char **why)
{
	struct check c = { image, size, region_size, info, why, 0 };
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int err;

	memset(info, 0, sizeof(*info));
	*why = "ok";
	err = check_ehdr(&c, &eh);
	if (err)
		return err;
	for (uint32_t i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, c.img + eh.e_phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		err = check_phdr(&c, &ph);
		if (err)
			return err;
	}
	if (!info->nsegs)
		return refuse(&c, -ENOEXEC, "no PT_LOAD segment");
	err = check_entry(&c, eh.e_entry);
	if (err)
		return err;
	info->entry = eh.e_entry;
	return check_note_abi(&c);
}
