#ifndef ARCH_X86_64_FAULT_H
#define ARCH_X86_64_FAULT_H

#include "arch/x86_64/trap.h"

/* The name of exception vector v ("#PF page fault"), or NULL. */
const char *fault_name(unsigned int v);

/* Report an unhandled exception and stop the guest. */
void fault_panic(const struct trap_frame *tf) __attribute__((noreturn));

#endif
