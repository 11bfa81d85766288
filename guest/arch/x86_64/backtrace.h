#ifndef ARCH_X86_64_BACKTRACE_H
#define ARCH_X86_64_BACKTRACE_H

#include <stdint.h>

/*
 * Print "#0 rip" and then the callers found by following the frame-pointer
 * chain from rbp (the kernel is built with frame pointers).  Every frame is
 * checked before it is read, so a corrupt stack ends the walk, not the
 * report.
 */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
