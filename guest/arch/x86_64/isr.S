/*
 * Interrupt entry stubs for all 256 vectors.  Each stub makes the stack look
 * the same (an error code, real or 0, then the vector number), saves the
 * general registers as struct trap_frame (trap.h) and calls trap_dispatch.
 * Whatever the dispatcher leaves in the frame is what we return to, which
 * is how a debugger stub can change registers.
 */
#include "arch/x86_64/asm.h"

/* Vectors for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || \
			   (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.p2align 4
trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	cld
	mov	%rsp, %rdi
	call	trap_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp			/* vector and error code */
	iretq

	.p2align 4
	.globl isr_stubs
isr_stubs:
	.set v, 0
	.rept 256
	.p2align 4
	.ifeq HAS_ERROR_CODE(v)
	push	$0
	.endif
	push	$v
	jmp	trap_common
	.set v, v + 1
	.endr

/* Each stub is padded to 16 bytes, so stub v is at isr_stubs + 16 * v. */
	.globl isr_stub_size
	.set isr_stub_size, 16
