/*
 * mkbadimg: derive broken guest images from a good one, for the tests that
 * check that kspawnctl and kspawn.ko refuse them.
 *
 *   mkbadimg GOOD.elf OUTDIR
 *
 * writes, each with one defect:
 *   truncated.elf      cut in the middle of its loadable segments
 *   bad-magic.elf      "\x7fELF" spelled "\x7fXLF"
 *   abi-major.elf      .note.kspawn says ABI major + 1
 *   seg-outside.elf    the writable segment moved to 64 MiB into the region
 *   entry-outside.elf  the entry point in the (non-executable) data segment
 *   many-notes.elf     its PT_NOTE moved to the end of the file, where 64
 *                      empty notes come before the ABI note: one too many
 *                      (ELF_CHECK_MAX_NOTES)
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/kspawn_abi.h"
#include "host/loader/elf_check.h"

#define SEG_OUTSIDE_OFFSET (64ULL << 20)

struct buf {
	unsigned char *p;
	size_t n;
};

static void die(const char *what)
{
	fprintf(stderr, "mkbadimg: %s\n", what);
	exit(1);
}

static struct buf slurp(const char *path)
{
	struct buf b = { 0 };
	FILE *f = fopen(path, "rb");

	if (!f || fseek(f, 0, SEEK_END) || (long)(b.n = ftell(f)) < 0)
		die(strerror(errno));
	rewind(f);
	b.p = malloc(b.n);
	if (!b.p || fread(b.p, 1, b.n, f) != b.n)
		die("cannot read the good image");
	fclose(f);
	if (b.n < sizeof(Elf64_Ehdr) || memcmp(b.p, ELFMAG, SELFMAG))
		die("the good image is not an ELF file");
	return b;
}

static void spill(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die(strerror(errno));
}

static struct buf copy(struct buf b)
{
	struct buf c = { malloc(b.n), b.n };

	if (!c.p)
		die("out of memory");
	memcpy(c.p, b.p, b.n);
	return c;
}

static Elf64_Ehdr *ehdr(struct buf b)
{
	return (Elf64_Ehdr *)b.p;
}

static Elf64_Phdr *phdr(struct buf b, int i)
{
	return (Elf64_Phdr *)(b.p + ehdr(b)->e_phoff) + i;
}

/* The first PT_LOAD whose flags are exactly want (PF_R|PF_W: data). */
static Elf64_Phdr *load_with(struct buf b, unsigned int want)
{
	for (int i = 0; i < ehdr(b)->e_phnum; i++)
		if (phdr(b, i)->p_type == PT_LOAD &&
		    phdr(b, i)->p_flags == want)
			return phdr(b, i);
	die("no segment with the wanted flags");
	return NULL;
}

/* Where the loadable bytes end in the file: debug info follows them. */
static size_t loads_end(struct buf b)
{
	size_t end = 0;

	for (int i = 0; i < ehdr(b)->e_phnum; i++) {
		Elf64_Phdr *ph = phdr(b, i);

		if (ph->p_type == PT_LOAD && ph->p_offset + ph->p_filesz > end)
			end = ph->p_offset + ph->p_filesz;
	}
	if (!end || end > b.n)
		die("the good image has no loadable segment inside the file");
	return end;
}

static struct kspawn_note_abi *abi_note(struct buf b)
{
	for (int i = 0; i < ehdr(b)->e_phnum; i++) {
		Elf64_Phdr *ph = phdr(b, i);
		size_t off = ph->p_offset;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(Elf64_Nhdr) <= ph->p_offset + ph->p_filesz) {
			Elf64_Nhdr *nh = (Elf64_Nhdr *)(b.p + off);
			size_t name = off + sizeof(*nh);
			size_t desc = name + ((nh->n_namesz + 3) & ~3u);

			if (nh->n_type == KSPAWN_NOTE_ABI &&
			    !strcmp((char *)b.p + name, KSPAWN_NOTE_NAME))
				return (struct kspawn_note_abi *)(b.p + desc);
			off = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	die("the good image has no .note.kspawn");
	return NULL;
}

/* b with ELF_CHECK_MAX_NOTES empty notes and its ABI note appended. */
static struct buf many_notes(struct buf good)
{
	struct {
		Elf64_Nhdr nh;
		char name[8];
		struct kspawn_note_abi desc;
	} abi = { { sizeof(KSPAWN_NOTE_NAME), sizeof(abi.desc),
		    KSPAWN_NOTE_ABI }, KSPAWN_NOTE_NAME, *abi_note(good) };
	size_t empty = ELF_CHECK_MAX_NOTES * sizeof(Elf64_Nhdr);
	size_t at = (good.n + 3) & ~(size_t)3;
	struct buf b = { calloc(1, at + empty + sizeof(abi)),
			 at + empty + sizeof(abi) };

	if (!b.p)
		die("out of memory");
	memcpy(b.p, good.p, good.n);
	memcpy(b.p + at + empty, &abi, sizeof(abi));
	for (int i = 0; i < ehdr(b)->e_phnum; i++) {
		Elf64_Phdr *ph = phdr(b, i);

		if (ph->p_type == PT_NOTE) {
			ph->p_offset = at;
			ph->p_filesz = empty + sizeof(abi);
			return b;
		}
	}
	die("the good image has no PT_NOTE");
	return b;
}

int main(int argc, char **argv)
{
	struct buf good, b;
	Elf64_Phdr *data;

	if (argc != 3) {
		fprintf(stderr, "usage: mkbadimg GOOD.elf OUTDIR\n");
		return 2;
	}
	good = slurp(argv[1]);

	spill(argv[2], "truncated.elf", good.p, loads_end(good) / 2);

	b = copy(good);
	b.p[1] = 'X';
	spill(argv[2], "bad-magic.elf", b.p, b.n);

	b = copy(good);
	abi_note(b)->abi_major = KSPAWN_ABI_MAJOR + 1;
	spill(argv[2], "abi-major.elf", b.p, b.n);

	b = copy(good);
	data = load_with(b, PF_R | PF_W);
	data->p_paddr = SEG_OUTSIDE_OFFSET;
	data->p_vaddr = KSPAWN_VA_REGION + SEG_OUTSIDE_OFFSET;
	spill(argv[2], "seg-outside.elf", b.p, b.n);

	b = copy(good);
	ehdr(b)->e_entry = load_with(b, PF_R | PF_W)->p_vaddr;
	spill(argv[2], "entry-outside.elf", b.p, b.n);

	b = many_notes(good);
	spill(argv[2], "many-notes.elf", b.p, b.n);
	return 0;
}
