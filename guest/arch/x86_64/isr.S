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

/*
 * Unwind information, so that a debugger's backtrace taken in a handler
 * goes on into the code the interrupt stopped: trap_common is a signal
 * frame whose caller's RIP and RSP are the ones the CPU pushed, and whose
 * caller's registers are the ones saved below.  The CFA is the address
 * just above the CPU's frame (vector, error code, RIP, CS, RFLAGS, RSP,
 * SS: 56 bytes from the stack pointer on entry).  gdb reads .debug_frame;
 * the image keeps no .eh_frame for assembly.
 */
	.cfi_sections .debug_frame

/* push REG: save a general register, telling the unwinder where. */
.macro save reg
	push	%\reg
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset \reg, 0
.endm

.macro restore reg
	pop	%\reg
	.cfi_adjust_cfa_offset -8
	.cfi_restore \reg
.endm

	.text
	.p2align 4
trap_common:
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 56
	.cfi_offset %rip, -40
	.cfi_offset %rsp, -16
	save	rax
	save	rbx
	save	rcx
	save	rdx
	save	rsi
	save	rdi
	save	rbp
	save	r8
	save	r9
	save	r10
	save	r11
	save	r12
	save	r13
	save	r14
	save	r15
	cld
	mov	%rsp, %rdi
	call	trap_dispatch
	restore	r15
	restore	r14
	restore	r13
	restore	r12
	restore	r11
	restore	r10
	restore	r9
	restore	r8
	restore	rbp
	restore	rdi
	restore	rsi
	restore	rdx
	restore	rcx
	restore	rbx
	restore	rax
	add	$16, %rsp			/* vector and error code */
	.cfi_adjust_cfa_offset -16
	iretq
	.cfi_endproc

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
