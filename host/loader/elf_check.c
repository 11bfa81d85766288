// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Guest image validation.  The image comes from user space and ends up
 * running with ring-0 rights on a core of its own: every field is checked,
 * every offset and size with overflow in mind, before anything is copied.
 *
 * Headers are copied out with memcpy so that a misaligned or truncated
 * buffer is never dereferenced in place.  A refusal says what was wrong
 * with the numbers that show it: kspawnctl prints it to the user, the
 * module logs it.
 */
#ifdef __KERNEL__
#include <linux/elf.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include "abi/kspawn_abi.h"
#include "elf_check.h"

/* A uint64_t for %llu, in the kernel and out. */
#define LLU(x) ((unsigned long long)(x))

struct check {
	const unsigned char *img;
	uint64_t size;
	uint64_t region_size;
	struct elf_check_info *info;
	char *why;
	size_t why_size;
	int seen_note;
	uint32_t nnotes;		/* walked so far, in every PT_NOTE */
};

static int refuse(struct check *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct check *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->why_size, fmt, ap);
	va_end(ap);
	return err;
}

/* [off, off + len) lies inside the file. */
static int in_file(const struct check *c, uint64_t off, uint64_t len)
{
	return off <= c->size && len <= c->size - off;
}

static const char *const wrong_type[] = {
	[ET_REL] = "a relocatable object file",
	[ET_DYN] = "a position-independent executable or shared object",
	[ET_CORE] = "a core dump",
};

static int check_ehdr(struct check *c, Elf64_Ehdr *eh)
{
	if (c->size < SELFMAG || memcmp(c->img, ELFMAG, SELFMAG))
		return refuse(c, -ENOEXEC, "not an ELF file (bad magic)");
	if (c->size < sizeof(*eh))
		return refuse(c, -ENOEXEC,
			      "truncated: %llu bytes, shorter than an ELF header",
			      LLU(c->size));
	memcpy(eh, c->img, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_machine != EM_X86_64 || eh->e_version != EV_CURRENT)
		return refuse(c, -ENOEXEC,
			      "not a 64-bit little-endian x86-64 ELF file");
	/*
	 * The usual wrong files, named: /bin/ls is a PIE (ET_DYN), and a
	 * number alone does not say what the user gave.
	 */
	if (eh->e_type < ARRAY_SIZE(wrong_type) &&
	    wrong_type[eh->e_type])
		return refuse(c, -ENOEXEC,
			      "%s (e_type %u), not a kspawn guest image",
			      wrong_type[eh->e_type], eh->e_type);
	if (eh->e_type != ET_EXEC)
		return refuse(c, -ENOEXEC, "not an ELF executable (e_type %u)",
			      eh->e_type);
	if (eh->e_ehsize != sizeof(Elf64_Ehdr))
		return refuse(c, -ENOEXEC, "unexpected ELF header size %u",
			      eh->e_ehsize);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_CHECK_MAX_PHDRS)
		return refuse(c, -ENOEXEC,
			      "bad program header table (%u entries of %u bytes)",
			      eh->e_phnum, eh->e_phentsize);
	if (!in_file(c, eh->e_phoff,
		     (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return refuse(c, -ENOEXEC,
			      "truncated: the program headers end past the file's %llu bytes",
			      LLU(c->size));
	return 0;
}

static int check_load(struct check *c, const Elf64_Phdr *ph, uint32_t i)
{
	struct elf_check_info *info = c->info;
	struct elf_check_seg *s;
	uint64_t end;

	if (info->nsegs == ELF_CHECK_MAX_LOAD)
		return refuse(c, -ENOEXEC, "more than %d PT_LOAD segments",
			      ELF_CHECK_MAX_LOAD);
	/* Their sum, when it wraps, would name a small end inside the file. */
	if (ph->p_offset + ph->p_filesz < ph->p_offset)
		return refuse(c, -ENOEXEC,
			      "truncated: segment %u at offset %llu with %llu bytes ends at or past 2^64",
			      i, LLU(ph->p_offset), LLU(ph->p_filesz));
	if (!in_file(c, ph->p_offset, ph->p_filesz))
		return refuse(c, -ENOEXEC,
			      "truncated: segment %u needs bytes up to %llu, the file has %llu",
			      i, LLU(ph->p_offset + ph->p_filesz), LLU(c->size));
	if (ph->p_filesz > ph->p_memsz || ph->p_memsz == 0)
		return refuse(c, -ENOEXEC,
			      "segment %u: file size %llu, memory size %llu",
			      i, LLU(ph->p_filesz), LLU(ph->p_memsz));
	if (ph->p_paddr < KSPAWN_IMAGE_OFFSET ||
	    ph->p_paddr > KSPAWN_REGION_MAX ||
	    ph->p_memsz > KSPAWN_REGION_MAX - ph->p_paddr ||
	    ph->p_vaddr != KSPAWN_VA_REGION + ph->p_paddr)
		return refuse(c, -ENOEXEC,
			      "segment %u at 0x%llx (load 0x%llx) is not linked for a guest region (want load address = virtual - 0x%llx, at least 0x%llx)",
			      i, LLU(ph->p_vaddr), LLU(ph->p_paddr),
			      LLU(KSPAWN_VA_REGION), LLU(KSPAWN_IMAGE_OFFSET));
	end = ph->p_paddr + ph->p_memsz;
	if (c->region_size && end > c->region_size)
		return refuse(c, -E2BIG,
			      "segment %u ends at offset 0x%llx, outside a region of %llu MiB",
			      i, LLU(end), LLU(c->region_size >> 20));
	for (uint32_t k = 0; k < info->nsegs; k++) {
		s = &info->segs[k];
		if (ph->p_paddr < s->paddr + s->memsz && s->paddr < end)
			return refuse(c, -ENOEXEC,
				      "segment %u overlaps an earlier one at load 0x%llx",
				      i, LLU(s->paddr));
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
	if (nh.n_namesz != sizeof(name) ||
	    memcmp(c->img + off + sizeof(nh), name, sizeof(name)))
		return total;	/* someone else's */
	off += sizeof(nh) + namesz;
	if (nh.n_type == KSPAWN_NOTE_ABI && nh.n_descsz == sizeof(abi)) {
		memcpy(&abi, c->img + off, sizeof(abi));
		c->info->abi_major = abi.abi_major;
		c->info->abi_minor = abi.abi_minor;
		c->info->min_region_mib = abi.min_region_mib;
		c->seen_note = 1;
	} else if (nh.n_type == KSPAWN_NOTE_APPS) {
		/*
		 * Names a reader may walk with string functions: NUL last
		 * (or no byte at all: an image without apps, said so).
		 */
		if (nh.n_descsz && c->img[off + nh.n_descsz - 1])
			return 0;
		c->info->apps_off = off;
		c->info->apps_size = nh.n_descsz;
	}
	return total;
}

static int check_notes(struct check *c, const Elf64_Phdr *ph, uint32_t i)
{
	uint64_t off = ph->p_offset, end, n;

	if (!in_file(c, ph->p_offset, ph->p_filesz))
		return refuse(c, -ENOEXEC,
			      "truncated: note segment %u ends past the file's %llu bytes",
			      i, LLU(c->size));
	end = ph->p_offset + ph->p_filesz;
	while (off < end) {
		/*
		 * Bounded by count, not only by the file: a 64 MiB image of
		 * empty 12-byte notes under 32 PT_NOTE headers is 179 million
		 * notes, seconds of a CPU inside the module's ioctl.
		 */
		if (++c->nnotes > ELF_CHECK_MAX_NOTES)
			return refuse(c, -ENOEXEC, "more than %d notes",
				      ELF_CHECK_MAX_NOTES);
		n = note_at(c, off, end);
		if (!n)
			return refuse(c, -ENOEXEC,
				      "malformed note at offset %llu (segment %u)",
				      LLU(off), i);
		off += n;
	}
	return 0;
}

/*
 * The header pass: notes, and what rules the whole image out.  The loads
 * wait for the ABI: an image for another ABI may be laid out otherwise.
 */
static int check_phdr(struct check *c, const Elf64_Phdr *ph, uint32_t i)
{
	switch (ph->p_type) {
	case PT_NOTE:
		return check_notes(c, ph, i);
	case PT_DYNAMIC:
	case PT_INTERP:
		return refuse(c, -ENOEXEC,
			      "segment %u: a dynamic image, a guest must be static",
			      i);
	default:
		return 0;	/* PT_LOAD later; PT_GNU_STACK and friends: nothing */
	}
}

static int check_note_abi(struct check *c)
{
	const struct elf_check_info *info = c->info;

	if (!c->seen_note)
		return refuse(c, -ENOEXEC,
			      "no .note.kspawn ABI note: not a kspawn guest image");
	if (info->abi_major != KSPAWN_ABI_MAJOR)
		return refuse(c, -EPROTO,
			      "built for kspawn ABI %u.%u, not ABI %u.x",
			      info->abi_major, info->abi_minor,
			      KSPAWN_ABI_MAJOR);
	/* No --mem can help: the image could never be given its region. */
	if ((uint64_t)info->min_region_mib << 20 > KSPAWN_REGION_MAX)
		return refuse(c, -ENOEXEC,
			      "the image asks for a region of at least %u MiB, more than the %llu MiB a guest may have",
			      info->min_region_mib,
			      LLU(KSPAWN_REGION_MAX >> 20));
	if (c->region_size &&
	    (uint64_t)info->min_region_mib << 20 > c->region_size)
		return refuse(c, -E2BIG,
			      "the image needs a region of at least %u MiB, not %llu MiB",
			      info->min_region_mib, LLU(c->region_size >> 20));
	return 0;
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
	return refuse(c, -ENOEXEC,
		      "entry point 0x%llx is not inside an executable segment (text)",
		      LLU(entry));
}

static void phdr_at(const struct check *c, const Elf64_Ehdr *eh, uint32_t i,
		    Elf64_Phdr *ph)
{
	memcpy(ph, c->img + eh->e_phoff + (uint64_t)i * sizeof(*ph),
	       sizeof(*ph));
}

int elf_check(const void *image, uint64_t size, uint64_t region_size,
	      struct elf_check_info *info, char *why, size_t why_size)
{
	struct check c = { image, size, region_size, info, why, why_size, 0, 0 };
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint32_t i;
	int err;

	memset(info, 0, sizeof(*info));
	refuse(&c, 0, "ok");
	err = check_ehdr(&c, &eh);
	if (err)
		return err;
	for (i = 0; !err && i < eh.e_phnum; i++) {
		phdr_at(&c, &eh, i, &ph);
		err = check_phdr(&c, &ph, i);
	}
	if (!err)
		err = check_note_abi(&c);
	for (i = 0; !err && i < eh.e_phnum; i++) {
		phdr_at(&c, &eh, i, &ph);
		if (ph.p_type == PT_LOAD)
			err = check_load(&c, &ph, i);
	}
	if (err)
		return err;
	if (!info->nsegs)
		return refuse(&c, -ENOEXEC, "no loadable segment");
	err = check_entry(&c, eh.e_entry);
	if (!err)
		info->entry = eh.e_entry;
	return err;
}

uint64_t elf_check_region(uint64_t mem, const struct elf_check_info *info)
{
	uint64_t want = mem;

	if (want > KSPAWN_REGION_MAX)
		return want;	/* too big: the caller refuses it as it is */
	if (!want) {
		want = (uint64_t)info->min_region_mib << 20;
		if (want < KSPAWN_REGION_MIN)
			want = KSPAWN_REGION_MIN;
	}
	return (want + KSPAWN_REGION_ALIGN - 1) & ~(KSPAWN_REGION_ALIGN - 1);
}
