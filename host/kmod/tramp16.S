/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real mode -> long mode trampoline for a spawned kspawn guest.  Named
 * tramp16.S so that its object does not collide with trampoline.c's.
 *
 * kspawn.ko copies the bytes between kspawn_trampoline_start and
 * kspawn_trampoline_end to the low trampoline page (4 KiB aligned, below
 * 1 MiB), fills struct kspawn_tramp_params at kspawn_trampoline_params and
 * sends INIT-SIPI-SIPI with the page number as the vector.  The core starts
 * here in real mode with CS = page >> 4 and IP = 0.
 *
 * The code is position independent: it works out the page's linear address
 * from CS and patches its own GDT pointer and far-jump targets, so the module
 * may place it on any page.  It needs no stack.  The page tables at
 * params.cr3 (below 4 GiB: CR3 is loaded in 32-bit mode) must identity-map
 * this page and map the guest's entry point and the stamp address.
 *
 * The section is data ("a", not "ax"): this code never runs in the host
 * kernel, and objtool must not try to validate 16-bit code.
 */

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

/* Offset of a label from the start of the page. */
#define OFF(x)		((x) - kspawn_trampoline_start)

	.section .rodata.kspawn_trampoline, "a"
	.balign 16
	.globl kspawn_trampoline_start
	.code16
kspawn_trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movzwl	%ax, %ebx
	shll	$4, %ebx		/* %ebx: linear address of this page */

	leal	OFF(gdt)(%ebx), %eax
	movl	%eax, OFF(gdt_desc) + 2
	leal	OFF(pm32)(%ebx), %eax
	movl	%eax, OFF(pm32_ptr)
	leal	OFF(lm64)(%ebx), %eax
	movl	%eax, OFF(lm64_ptr)

	lgdtl	OFF(gdt_desc)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	*OFF(pm32_ptr)

	.code32
pm32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	OFF(tp_cr3)(%ebx), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	/* Compatibility mode now; a far jump loads the 64-bit code segment. */
	ljmpl	*OFF(lm64_ptr)(%ebx)

	.code64
lm64:
	/* The upper halves are undefined after the mode switch. */
	movl	%ebx, %ebx
	xorl	%eax, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/*
	 * Every parameter into registers first, then the stamps: the host
	 * may rewrite this page for the next core the moment it sees
	 * tp_done, so that is the last data read from or written to it.
	 * Not quite the last use of the page: the jmp below is still
	 * fetched from it, and GDTR points at its gdt until the guest loads
	 * its own.  That is safe because a rewrite puts the same bytes back
	 * there (kspawn_trampoline_install() changes only the parameters
	 * below).  The header's stamp is for the boot's timing only: the
	 * guest's CPUs already running can write it, so the host never
	 * takes it as the word that this core left the page.
	 */
	movq	OFF(tp_header)(%rbx), %rdi
	movq	OFF(tp_index)(%rbx), %rsi
	movq	OFF(tp_entry)(%rbx), %r8
	movq	OFF(tp_stamp)(%rbx), %rcx
	rdtsc
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, (%rcx)
	movq	$1, OFF(tp_done)(%rbx)
	jmp	*%r8

	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* SEL_CODE32: 4 GiB, 32-bit, RX */
	.quad	0x00cf92000000ffff	/* SEL_DATA: 4 GiB, RW */
	.quad	0x00af9a000000ffff	/* SEL_CODE64: long mode, RX */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	0			/* patched: linear address of gdt */
pm32_ptr:
	.long	0			/* patched: linear address of pm32 */
	.word	SEL_CODE32
lm64_ptr:
	.long	0			/* patched: linear address of lm64 */
	.word	SEL_CODE64

	/* struct kspawn_tramp_params (host/kmod/trampoline.h) */
	.balign 8
	.globl kspawn_trampoline_params
kspawn_trampoline_params:
tp_cr3:		.quad 0		/* physical, below 4 GiB */
tp_entry:	.quad 0		/* guest ELF entry (virtual) */
tp_header:	.quad 0		/* %rdi for the guest: header's virtual address */
tp_stamp:	.quad 0		/* virtual address of this CPU's stamp */
tp_index:	.quad 0		/* %rsi for the guest: its CPU index (ABI 1.3) */
tp_done:	.quad 0		/* set last: this core no longer needs the page */
	.globl kspawn_trampoline_end
kspawn_trampoline_end:
