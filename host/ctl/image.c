/*
 * Guest image checks done by kspawnctl before it calls the module, so that
 * a wrong image gets a message that says what is wrong with it (the module
 * checks everything again: it trusts no caller).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/kspawn_abi.h"
#include "image.h"

#define IMAGE_MAX_SIZE (256u << 20)
#define IMAGE_MAX_PHDRS 64

static enum image_error fail(struct image *img, enum image_error e,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(img->error, sizeof(img->error), fmt, ap);
	va_end(ap);
	return e;
}

static enum image_error read_file(struct image *img, const char *path)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(img, IMAGE_ERR_IO, "cannot open %s: %s", path,
			    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(img, IMAGE_ERR_IO, "%s is not a regular file",
			    path);
	}
	if ((uint64_t)st.st_size > IMAGE_MAX_SIZE) {
		close(fd);
		return fail(img, IMAGE_ERR_FORMAT,
			    "%s is %lld bytes, more than a guest image can be",
			    path, (long long)st.st_size);
	}
	img->size = (size_t)st.st_size;
	img->data = malloc(img->size ? img->size : 1);
	if (!img->data) {
		close(fd);
		return fail(img, IMAGE_ERR_IO, "out of memory reading %s",
			    path);
	}
	while (done < img->size) {
		ssize_t n = read(fd, img->data + done, img->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return fail(img, IMAGE_ERR_IO, "cannot read %s: %s",
				    path, n ? strerror(errno) : "short read");
		}
		done += (size_t)n;
	}
	close(fd);
	return IMAGE_OK;
}

static enum image_error check_ehdr(struct image *img, const Elf64_Ehdr *eh)
{
	if (img->size < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return fail(img, IMAGE_ERR_FORMAT,
			    "not an ELF file (bad magic)");
	if (img->size < sizeof(*eh))
		return fail(img, IMAGE_ERR_TRUNCATED,
			    "truncated: %zu bytes, shorter than an ELF header",
			    img->size);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return fail(img, IMAGE_ERR_FORMAT,
			    "not a 64-bit little-endian x86-64 ELF file");
	if (eh->e_type != ET_EXEC)
		return fail(img, IMAGE_ERR_FORMAT,
			    "not an ELF executable (e_type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phnum > IMAGE_MAX_PHDRS)
		return fail(img, IMAGE_ERR_FORMAT,
			    "bad program header table (%u entries of %u bytes)",
			    eh->e_phnum, eh->e_phentsize);
	if (eh->e_phoff > img->size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) >
		    img->size - eh->e_phoff)
		return fail(img, IMAGE_ERR_TRUNCATED,
			    "truncated: the program headers end past the file's %zu bytes",
			    img->size);
	return IMAGE_OK;
}

static enum image_error check_load(struct image *img, const Elf64_Phdr *ph,
				   int i, uint64_t region_size)
{
	if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset)
		return fail(img, IMAGE_ERR_TRUNCATED,
			    "truncated: segment %d needs bytes up to %llu, the file has %zu",
			    i, (unsigned long long)(ph->p_offset + ph->p_filesz),
			    img->size);
	if (ph->p_filesz > ph->p_memsz)
		return fail(img, IMAGE_ERR_FORMAT,
			    "segment %d: file size larger than memory size", i);
	if (ph->p_vaddr != KSPAWN_VA_REGION + ph->p_paddr ||
	    ph->p_paddr < KSPAWN_IMAGE_OFFSET ||
	    ph->p_paddr >= KSPAWN_REGION_MAX ||
	    ph->p_memsz > KSPAWN_REGION_MAX)
		return fail(img, IMAGE_ERR_LAYOUT,
			    "segment %d at 0x%llx (load 0x%llx) is not linked for a guest region "
			    "(want load address = virtual - 0x%llx, at least 0x%llx)",
			    i, (unsigned long long)ph->p_vaddr,
			    (unsigned long long)ph->p_paddr,
			    (unsigned long long)KSPAWN_VA_REGION,
			    (unsigned long long)KSPAWN_IMAGE_OFFSET);
	if (ph->p_paddr + ph->p_memsz > region_size)
		return fail(img, IMAGE_ERR_REGION,
			    "segment %d ends at offset 0x%llx, outside a region of %llu MiB (--mem)",
			    i, (unsigned long long)(ph->p_paddr + ph->p_memsz),
			    (unsigned long long)(region_size >> 20));
	if (ph->p_paddr + ph->p_memsz > img->load_end)
		img->load_end = ph->p_paddr + ph->p_memsz;
	return IMAGE_OK;
}

/* Scan one PT_NOTE segment for the kspawn ABI note; 1 if found. */
static int find_note(struct image *img, const Elf64_Phdr *ph)
{
	const uint64_t namesz_want = sizeof(KSPAWN_NOTE_NAME);
	uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	while (end - off >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *nh = (const void *)(img->data + off);
		uint64_t name = off + sizeof(*nh);
		uint64_t desc = name + ((nh->n_namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((nh->n_descsz + 3ull) & ~3ull);

		if (next > end || next <= off)
			return 0;
		if (nh->n_type == KSPAWN_NOTE_ABI &&
		    nh->n_namesz == namesz_want &&
		    !memcmp(img->data + name, KSPAWN_NOTE_NAME, namesz_want) &&
		    nh->n_descsz >= sizeof(struct kspawn_note_abi)) {
			struct kspawn_note_abi n;

			memcpy(&n, img->data + desc, sizeof(n));
			img->abi_major = n.abi_major;
			img->abi_minor = n.abi_minor;
			img->min_region_mib = n.min_region_mib;
			return 1;
		}
		off = next;
	}
	return 0;
}

static enum image_error scan_notes(struct image *img, const Elf64_Ehdr *eh)
{
	const Elf64_Phdr *ph = (const void *)(img->data + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		if (ph[i].p_offset > img->size ||
		    ph[i].p_filesz > img->size - ph[i].p_offset)
			return fail(img, IMAGE_ERR_TRUNCATED,
				    "truncated: note segment %d ends past the file's %zu bytes",
				    i, img->size);
		if (find_note(img, &ph[i]))
			return IMAGE_OK;
	}
	return fail(img, IMAGE_ERR_NOTE,
		    "no .note.kspawn ABI note: not a kspawn guest image");
}

static enum image_error check_loads(struct image *img, const Elf64_Ehdr *eh,
				    uint64_t region_size)
{
	const Elf64_Phdr *ph = (const void *)(img->data + eh->e_phoff);
	int entry_ok = 0, loads = 0;
	enum image_error e;

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		e = check_load(img, &ph[i], i, region_size);
		if (e)
			return e;
		loads++;
		if ((ph[i].p_flags & PF_X) && eh->e_entry >= ph[i].p_vaddr &&
		    eh->e_entry - ph[i].p_vaddr < ph[i].p_filesz)
			entry_ok = 1;
	}
	if (!loads)
		return fail(img, IMAGE_ERR_FORMAT, "no loadable segment");
	if (!entry_ok)
		return fail(img, IMAGE_ERR_LAYOUT,
			    "entry point 0x%llx is not inside an executable segment (text)",
			    (unsigned long long)eh->e_entry);
	return IMAGE_OK;
}

static enum image_error check_abi(struct image *img, uint64_t region_size)
{
	if (img->abi_major != KSPAWN_ABI_MAJOR)
		return fail(img, IMAGE_ERR_ABI,
			    "image built for kspawn ABI %u.%u; this kspawnctl speaks ABI %u.x (%u.%u): rebuild the image or use a matching kspawn",
			    img->abi_major, img->abi_minor, KSPAWN_ABI_MAJOR,
			    KSPAWN_ABI_MAJOR, KSPAWN_ABI_MINOR);
	if ((uint64_t)img->min_region_mib << 20 > region_size)
		return fail(img, IMAGE_ERR_REGION,
			    "image needs a region of at least %u MiB, asked for %llu MiB (--mem)",
			    img->min_region_mib,
			    (unsigned long long)(region_size >> 20));
	return IMAGE_OK;
}

/* The region an image gets when the user does not say: what its note asks. */
static uint64_t default_region(const struct image *img)
{
	uint64_t size = (uint64_t)img->min_region_mib << 20;

	if (size < KSPAWN_REGION_MIN)
		size = KSPAWN_REGION_MIN;
	return (size + KSPAWN_REGION_ALIGN - 1) & ~(KSPAWN_REGION_ALIGN - 1);
}

enum image_error image_load(struct image *img, const char *path,
			    uint64_t *region_size)
{
	const Elf64_Ehdr *eh;
	enum image_error e;

	memset(img, 0, sizeof(*img));
	e = read_file(img, path);
	if (e)
		return e;
	eh = (const void *)img->data;
	e = check_ehdr(img, eh);
	if (e)
		return e;
	img->entry = eh->e_entry;
	/* The ABI first: an image for another ABI may be laid out otherwise. */
	e = scan_notes(img, eh);
	if (e)
		return e;
	if (!*region_size)
		*region_size = default_region(img);
	e = check_abi(img, *region_size);
	if (e)
		return e;
	return check_loads(img, eh, *region_size);
}

void image_free(struct image *img)
{
	free(img->data);
	img->data = NULL;
}
