/*
 * The smallest valid guest image the unit tests build: one text and one
 * data segment and the ABI note, asking for a 16 MiB region; with_apps()
 * adds an app list (apps "hello" and "spin") to its note segment.  Tests
 * break a copy of it one way each (test_image.c) or write it whole
 * (test_run.c).
 */
#ifndef TESTS_UNIT_TINY_IMAGE_H
#define TESTS_UNIT_TINY_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi/kspawn_abi.h"

#define TEXT_AT KSPAWN_IMAGE_OFFSET
#define DATA_AT (KSPAWN_IMAGE_OFFSET + 0x1000)
#define MIN_MIB 16

struct tiny {
	Elf64_Ehdr eh;
	Elf64_Phdr text, data, note;
	struct {
		Elf64_Nhdr nh;
		char name[8];
		struct kspawn_note_abi desc;
	} abi;
	struct {		/* right after abi: the segment may take it in */
		Elf64_Nhdr nh;
		char name[8];
		char desc[12];
	} apps;
	uint8_t code[64];
	uint8_t bytes[64];
};

/* Where its last segment ends: what kspawnctl sends of it. */
#define TINY_END (offsetof(struct tiny, bytes) + sizeof(((struct tiny *)0)->bytes))

static inline struct tiny good(void)
{
	struct tiny t = { 0 };

	memcpy(t.eh.e_ident, ELFMAG, SELFMAG);
	t.eh.e_ident[EI_CLASS] = ELFCLASS64;
	t.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	t.eh.e_ident[EI_VERSION] = EV_CURRENT;
	t.eh.e_type = ET_EXEC;
	t.eh.e_machine = EM_X86_64;
	t.eh.e_version = EV_CURRENT;
	t.eh.e_entry = KSPAWN_VA_REGION + TEXT_AT + 8;
	t.eh.e_phoff = offsetof(struct tiny, text);
	t.eh.e_ehsize = sizeof(Elf64_Ehdr);
	t.eh.e_phentsize = sizeof(Elf64_Phdr);
	t.eh.e_phnum = 3;
	t.text = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
			       .p_offset = offsetof(struct tiny, code),
			       .p_vaddr = KSPAWN_VA_REGION + TEXT_AT,
			       .p_paddr = TEXT_AT, .p_filesz = 64,
			       .p_memsz = 64 };
	t.data = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
			       .p_offset = offsetof(struct tiny, bytes),
			       .p_vaddr = KSPAWN_VA_REGION + DATA_AT,
			       .p_paddr = DATA_AT, .p_filesz = 64,
			       .p_memsz = 0x1000 };
	t.note = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R,
			       .p_offset = offsetof(struct tiny, abi),
			       .p_filesz = sizeof(t.abi) };
	t.abi.nh = (Elf64_Nhdr){ sizeof(KSPAWN_NOTE_NAME),
				 sizeof(struct kspawn_note_abi),
				 KSPAWN_NOTE_ABI };
	strcpy(t.abi.name, KSPAWN_NOTE_NAME);
	t.abi.desc = (struct kspawn_note_abi){ KSPAWN_ABI_MAJOR,
					       KSPAWN_ABI_MINOR, MIN_MIB };
	t.apps.nh = (Elf64_Nhdr){ sizeof(KSPAWN_NOTE_NAME),
				  sizeof("hello\0spin"), KSPAWN_NOTE_APPS };
	strcpy(t.apps.name, KSPAWN_NOTE_NAME);
	memcpy(t.apps.desc, "hello\0spin", sizeof("hello\0spin"));
	return t;
}

/* The note segment takes in the app list too. */
static inline struct tiny with_apps(struct tiny t)
{
	t.note.p_filesz = sizeof(t.abi) + sizeof(t.apps);
	return t;
}

#endif
