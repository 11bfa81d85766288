/*
 * Kernel console.  Output goes to COM1 when the guest boots alone and to the
 * ABI console ring when it is spawned by kspawn.ko.  kprintf is safe in
 * interrupt handlers and panics: it formats with lib/format (no SSE, no
 * allocation) and serialises writers with interrupts off.
 */
#ifndef KERN_CONSOLE_H
#define KERN_CONSOLE_H

#include <stddef.h>
#include "abi/kspawn_abi.h"

void console_init(struct kspawn_header *hdr);
void console_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read one byte of console input; -1 if none is waiting. */
int console_getc(void);

#endif
