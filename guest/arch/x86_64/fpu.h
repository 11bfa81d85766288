/*
 * FPU/SSE state.  Kernel code never touches it (-mgeneral-regs-only), but
 * apps and newlib do, so every thread has its own copy, saved and restored
 * eagerly on each switch (fxsave/fxrstor: x87, MMX, SSE and MXCSR).
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <stdint.h>

struct fpu_state {
	uint8_t fxsave[512];
} __attribute__((aligned(16)));

/* Enable x87/SSE on this CPU (CR0, CR4) and capture the clean state. */
void fpu_init(void);

/* Enable x87/SSE on another CPU (the clean state is CPU 0's). */
void fpu_cpu_init(void);

/* Reset st to the state a new thread starts with. */
void fpu_state_init(struct fpu_state *st);

static inline void fpu_save(struct fpu_state *st)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*st));
}

/* MXCSR as a new thread has it: every exception masked, round to nearest. */
#define FPU_MXCSR_DEFAULT 0x1f80u

/*
 * App code run from an interrupt (a blk completion callback, a UDP
 * receive callback) may use SSE: apps and newlib are built with it, and
 * the interrupted thread's registers are live, saved only at a switch.
 * So such a call is bracketed: fpu_save_for_app() into a struct
 * fpu_state on the stack before it, fpu_restore() after.  The call gets
 * the control state a new thread starts with, not the interrupted
 * thread's rounding mode or unmasked exceptions (one of which would turn
 * an inexact result in the callback into a #XM panic).
 */
static inline void fpu_save_for_app(struct fpu_state *st)
{
	static const uint32_t mxcsr = FPU_MXCSR_DEFAULT;

	fpu_save(st);
	__asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
}

static inline void fpu_restore(const struct fpu_state *st)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*st));
}

#endif
