/*
 * PVH entry: how the guest boots alone under QEMU -kernel (and any loader
 * that speaks the Xen PVH boot protocol).
 *
 * We arrive in 32-bit protected mode, paging off, with %ebx holding the
 * physical address of struct hvm_start_info.  The image sits at physical
 * 1 MiB (the region starts at physical 0 in this mode).  We switch to long
 * mode on a static page table that maps the first 1 GiB twice (identity, and
 * at KSPAWN_VA_REGION) with 2 MiB pages, then call pvh_main() in the higher
 * half, which builds a local ABI header and enters kmain().
 */
#include "arch/x86_64/asm.h"

	.section .note.Xen, "a"
	.p2align 2
	.long 4				/* name size: "Xen\0" */
	.long 8				/* descriptor size */
	.long 18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.quad PHYS(pvh_start32)

	.section .text.boot32, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	mov	%ebx, %esi			/* keep start_info for pvh_main */
	mov	$PHYS(boot_stack_top), %esp

	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4

	mov	$PHYS(boot_pml4), %eax
	mov	%eax, %cr3

	mov	$MSR_EFER, %ecx
	rdmsr
	or	$(EFER_LME | EFER_NXE), %eax
	wrmsr

	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP | CR0_PE), %eax
	mov	%eax, %cr0

	lgdt	PHYS(boot_gdt_desc)
	ljmp	$BOOT_CS, $PHYS(pvh_start64)

	.code64
pvh_start64:
	mov	$BOOT_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	movabs	$pvh_high, %rax		/* leave the identity map */
	jmp	*%rax
pvh_high:
	movabs	$boot_stack_top, %rsp
	xor	%ebp, %ebp
	mov	%esi, %edi			/* start_info (physical) */
	call	pvh_main
1:	hlt
	jmp	1b

/*
 * Static boot page tables: PML4[0] and PML4[511] share one PDPT whose
 * entries 0 and 510 share one page directory mapping 0..1 GiB.
 */
	.section .data.boot, "aw"
	.p2align 12
boot_pml4:
	.quad PHYS(boot_pdpt) + PTE_P + PTE_W
	.fill 510, 8, 0
	.quad PHYS(boot_pdpt) + PTE_P + PTE_W
boot_pdpt:
	.quad PHYS(boot_pd) + PTE_P + PTE_W
	.fill 509, 8, 0
	.quad PHYS(boot_pd) + PTE_P + PTE_W
	.quad 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) + PTE_P + PTE_W + PTE_PS
	.set i, i + 1
	.endr

	.p2align 3
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff		/* BOOT_CS: 64-bit code */
	.quad 0x00cf92000000ffff		/* BOOT_DS: data */
boot_gdt_end:
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.quad PHYS(boot_gdt)
