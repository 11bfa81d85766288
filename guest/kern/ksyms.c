#include <string.h>

#include "kern/ksyms.h"

struct ksym {
	uint64_t addr;
	uint64_t name_off;
};

extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];
extern const char __text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (!hi || addr < ksyms_table[0].addr || addr >= (uint64_t)__text_end)
		return NULL;
	/* The last symbol at or below addr. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_names + ksyms_table[lo].name_off;
}

uint64_t ksym_address(const char *name)
{
	for (uint64_t i = 0; i < ksyms_count; i++)
		if (strcmp(ksyms_names + ksyms_table[i].name_off, name) == 0)
			return ksyms_table[i].addr;
	return 0;
}
