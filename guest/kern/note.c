/* The .note.kspawn ELF note: lets a loader check the ABI before spawning. */
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
