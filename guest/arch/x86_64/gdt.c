/*
 * GDT and TSS.  Long mode ignores most of the GDT, but the TSS still
 * matters: its interrupt stack table gives double faults, NMIs, page faults
 * and machine checks a known-good stack, so that a thread that overflows
 * into its guard page gets a panic report instead of a triple fault.
 */
#include <stdint.h>

#include "arch/x86_64/gdt.h"

#define IST_STACK_SIZE 16384
#define IST_COUNT 4

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct tss tss;
static uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE]
	__attribute__((aligned(4096)));

static uint64_t gdt[5] = {
	0,
	0x00af9a000000ffff,	/* KERNEL_CS: 64-bit code, DPL 0 */
	0x00cf92000000ffff,	/* KERNEL_DS */
	0,			/* TSS_SEL: 16-byte system descriptor */
	0,
};

static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ULL << 40) |		/* present, 64-bit TSS */
		 (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

void gdt_init(void)
{
	struct gdt_ptr ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

	for (int i = 0; i < IST_COUNT; i++)
		tss.ist[i] = (uint64_t)ist_stacks[i] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss);	/* no I/O permission bitmap */
	set_tss_descriptor();

	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "r"((uint64_t)KERNEL_DS),
			   "i"(KERNEL_CS), "r"((uint64_t)TSS_SEL)
			 : "rax", "memory");
}
