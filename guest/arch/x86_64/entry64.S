/*
 * 64-bit entry used when kspawn.ko spawns the guest (ELF e_entry).
 *
 * The host trampoline arrives here in long mode, interrupts off, on page
 * tables that map the region at KSPAWN_VA_REGION and the shared area at
 * KSPAWN_VA_SHARED, with %rdi holding the virtual address of the ABI header.
 * Everything else about the machine state is re-established by the guest.
 */
#include "arch/x86_64/asm.h"


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
 * Another CPU of an SMP guest (ABI 1.3: %esi = its index).  This kernel
 * does not use it yet: it parks, touching nothing.
 */
ap_entry:
	cli
	hlt
	jmp	ap_entry
