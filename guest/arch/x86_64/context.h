/*
 * Saved CPU context of a thread that is not running: the callee-saved
 * registers on its stack (switch.S) and its FPU/SSE state (fpu.h).
 */
#ifndef ARCH_X86_64_CONTEXT_H
#define ARCH_X86_64_CONTEXT_H

#include <stdint.h>

/* Save callee-saved registers and sp into *save_sp, resume new_sp. */
void context_switch(void **save_sp, void *new_sp);

/*
 * Prepare a stack (top: its highest address) so that switching to the
 * returned sp calls start(arg) with interrupts as the switcher left them.
 */
void *context_init(void *top, void (*start)(void *), void *arg);

/* Where a thread switched out with sp saved its registers. */
struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t rip;		/* where context_switch returns to */
};

#endif
