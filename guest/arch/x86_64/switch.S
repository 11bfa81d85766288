/*
 * Thread context switch.  A switch is a function call, so only the
 * callee-saved registers need saving: they go on the old thread's stack,
 * and its stack pointer into *save_sp.  FPU/SSE state is handled in C
 * (fpu.c) around the call.
 *
 *   void context_switch(void **save_sp, void *new_sp);
 *
 * A new thread's stack is prepared by context_init() (context.c) so that
 * the pops below load its entry function and argument into %r12/%r13 and
 * the ret lands in thread_trampoline.
 */
#include "arch/x86_64/asm.h"

	.text
	.p2align 4
	.globl context_switch
context_switch:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, (%rdi)
	mov	%rsi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

/*
 * First code a new thread runs: %r12 = start function, %r13 = its
 * argument.  %rbp = 0 ends our backtraces here, and the CFI tells gdb
 * there is no caller.  The start function never returns.
 */
	.cfi_sections .debug_frame
	.p2align 4
	.globl thread_trampoline
thread_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	xor	%ebp, %ebp
	mov	%r13, %rdi
	call	*%r12
	ud2
	.cfi_endproc
