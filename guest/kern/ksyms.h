/*
 * The kernel's own symbol table, linked into the image by the second link
 * pass (scripts/gen-ksyms.sh), for symbolised backtraces.
 */
#ifndef KERN_KSYMS_H
#define KERN_KSYMS_H

#include <stdint.h>

/* The function containing addr and the offset into it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* The address of a function by name, or 0. */
uint64_t ksym_address(const char *name);

#endif
