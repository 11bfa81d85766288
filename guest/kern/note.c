/*
 * The .note.kspawn ELF notes: the ABI, for a loader to check before
 * spawning, and the apps' names (KSPAWN_NOTE_APPS).
 */
#include "abi/kspawn_abi.h"

#define KSPAWN_MIN_REGION_MIB 16

static const struct {
	uint32_t namesz;
	uint32_t descsz;
	uint32_t type;
	char name[8];
	struct kspawn_note_abi desc;
} kspawn_abi_note __attribute__((used, section(".note.kspawn"), aligned(4))) = {
	.namesz = sizeof(KSPAWN_NOTE_NAME),
	.descsz = sizeof(struct kspawn_note_abi),
	.type = KSPAWN_NOTE_ABI,
	.name = KSPAWN_NOTE_NAME,
	.desc = { KSPAWN_ABI_MAJOR, KSPAWN_ABI_MINOR, KSPAWN_MIN_REGION_MIB },
};

/*
 * KSPAWN_NOTE_APPS: only its header is here.  The descriptor is what
 * APP() put in .kspawn_app_names, which the linker script places right
 * after this header and measures (__app_names_size): no list to keep.
 */
#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(".pushsection .note.kspawn.apps, \"a\"\n"
	".balign 4\n"
	".long 2f - 1f, __app_names_size, " STR(KSPAWN_NOTE_APPS) "\n"
	"1: .asciz \"" KSPAWN_NOTE_NAME "\"\n"
	"2: .balign 4\n"
	".popsection\n");
