/*
 * Panics: the end of the line for the guest.  The report goes to the
 * console and into the ABI panic record, the state becomes PANICKED, and
 * the guest stops (QEMU exits with GUEST_EXIT_PANIC when booted alone).
 */
#ifndef KERN_PANIC_H
#define KERN_PANIC_H

#include "abi/kspawn_abi.h"

void panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* For report writers: guard against a panic inside a panic. */
void panic_enter(void);

/* Publish rec to the host and stop; rec->message must be filled. */
void panic_finish(const struct kspawn_panic *rec) __attribute__((noreturn));

/* Has a CPU entered panic_enter()?  It ends the guest itself, panicked. */
int panic_under_way(void);

#endif
