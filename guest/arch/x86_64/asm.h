/* Constants shared by the assembly files and the C code of the x86_64 port. */
#ifndef ARCH_X86_64_ASM_H
#define ARCH_X86_64_ASM_H

#define VA_REGION 0xffffffff80000000
#define PHYS(sym) ((sym) - VA_REGION)

#define PAGE_SIZE 4096
#define BOOT_STACK_SIZE (4 * PAGE_SIZE)

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_OSXSAVE (1 << 18)

#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define PTE_P (1 << 0)
#define PTE_W (1 << 1)
#define PTE_U (1 << 2)
#define PTE_PWT (1 << 3)
#define PTE_PCD (1 << 4)
#define PTE_PS (1 << 7)
#define PTE_G (1 << 8)

#define BOOT_CS 0x08
#define BOOT_DS 0x10

#endif
