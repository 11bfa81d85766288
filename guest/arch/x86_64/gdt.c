/*
 * GDT and TSS.  Long mode ignores most of the GDT, but the TSS still
 * matters: its interrupt stack table gives double faults, NMIs, page faults
 * and machine checks a known-good stack, so that a thread that overflows
 * into its guard page gets a panic report instead of a triple fault.
 */
#include <stdint.h>

#include "abi/kspawn_abi.h"
#include "arch/x86_64/gdt.h"


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

/*
 * One GDT and TSS per CPU: a TSS is marked busy by ltr, so no two CPUs can
 * load the same one, and each CPU needs its own IST stacks.  CPU 0's IST
 * stacks are static (it may fault before memory is set up); the others'
 * come from the caller.
 */
static struct tss tss[KSPAWN_MAX_CPUS];
static uint64_t gdt[KSPAWN_MAX_CPUS][5];
static uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE]
	__attribute__((aligned(4096)));

static void set_tss_descriptor(uint64_t *g, const struct tss *t)
{
	uint64_t base = (uint64_t)t;
	uint64_t limit = sizeof(*t) - 1;

	g[0] = 0;
	g[1] = 0x00af9a000000ffff;	/* KERNEL_CS: 64-bit code, DPL 0 */
	g[2] = 0x00cf92000000ffff;	/* KERNEL_DS */
	g[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	       (0x89ULL << 40) |		/* present, 64-bit TSS */
	       (((limit >> 16) & 0xf) << 48) |
	       (((base >> 24) & 0xff) << 56);
	g[4] = base >> 32;		/* TSS_SEL: 16-byte system descriptor */
}

static void gdt_load(unsigned int cpu)
{
	struct gdt_ptr ptr = { sizeof(gdt[cpu]) - 1, (uint64_t)gdt[cpu] };

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

void gdt_init_cpu(unsigned int cpu, void *ist_area)
{
	struct tss *t = &tss[cpu];

	for (int i = 0; i < IST_COUNT; i++)
		t->ist[i] = (uint64_t)ist_area + (i + 1) * IST_STACK_SIZE;
	t->iomap_base = sizeof(*t);	/* no I/O permission bitmap */
	set_tss_descriptor(gdt[cpu], t);
	gdt_load(cpu);
}

void gdt_init(void)
{
	gdt_init_cpu(0, ist_stacks);
}
