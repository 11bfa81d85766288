/*
 * 64-bit entry used when kspawn.ko spawns the guest (ELF e_entry).
 *
 * The host trampoline arrives here in long mode, interrupts off, on page
 * tables that map the region at KSPAWN_VA_REGION and the shared area at
 * KSPAWN_VA_SHARED, with %rdi holding the virtual address of the ABI header.
 * Everything else about the machine state is re-established by the guest.
 */
#include "arch/x86_64/asm.h"

#define KSPAWN_MAX_CPUS 16	/* abi/kspawn_abi.h, which is C */

	.section .text.entry, "ax"
	.globl kspawn_entry64
kspawn_entry64:
	cli
	cld
	testl	%esi, %esi
	jnz	ap_entry
	movabs	$boot_stack_top, %rsp
	xor	%ebp, %ebp
	movabs	$kmain, %rax
	call	*%rax
1:	hlt
	jmp	1b

/*
 * Another CPU of an SMP guest (ABI 1.3: %esi = its index, 1..15).  It
 * arrives while CPU 0 boots, so it touches nothing and needs no stack
 * until CPU 0 publishes one in smp_ap_stack[index] (kern/smp.c), then
 * calls smp_ap_main(index) on it.
 */
ap_entry:
	cmpl	$KSPAWN_MAX_CPUS, %esi
	jae	3f
	movl	%esi, %esi
	movabs	$smp_ap_stack, %rax
2:	movq	(%rax,%rsi,8), %rsp
	testq	%rsp, %rsp
	jnz	4f
	pause
	jmp	2b
4:	xorl	%ebp, %ebp
	movq	%rsi, %rdi
	movabs	$smp_ap_main, %rax
	call	*%rax
3:	cli
	hlt
	jmp	3b

/*
 * The boot stack becomes the idle thread's stack.  The page below it is a
 * guard page: the guest unmaps it once it runs on its own page tables.
 */
	.section .bss.pagealigned, "aw", @nobits
	.p2align 12
	.globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip PAGE_SIZE
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
