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
	movabs	$boot_stack_top, %rsp
	xor	%ebp, %ebp
	movabs	$kmain, %rax
	call	*%rax
1:	hlt
	jmp	1b

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
