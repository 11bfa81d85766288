/*
 * The IDT: every one of the 256 vectors points at its stub in isr.S, so no
 * vector can ever reach an empty gate (which would be a triple fault).
 */
#include <stdint.h>

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;		/* P, DPL, gate type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define STUB_SIZE 16

extern char isr_stubs[];

static struct idt_gate idt[256] __attribute__((aligned(16)));

static unsigned int ist_for(unsigned int vector)
{
	switch (vector) {
	case 2:
		return IST_NMI;
	case 8:
		return IST_DOUBLE_FAULT;
	case 14:
		return IST_PAGE_FAULT;
	case 18:
		return IST_MACHINE_CHECK;
	default:
		return 0;
	}
}

void idt_init(void)
{
	for (unsigned int v = 0; v < 256; v++) {
		uint64_t addr = (uint64_t)isr_stubs + v * STUB_SIZE;

		idt[v] = (struct idt_gate){
			.offset_lo = addr & 0xffff,
			.selector = KERNEL_CS,
			.ist = (uint8_t)ist_for(v),
			.type = GATE_INTERRUPT,
			.offset_mid = (addr >> 16) & 0xffff,
			.offset_hi = (uint32_t)(addr >> 32),
		};
	}
	idt_load();
}

void idt_load(void)
{
	struct idt_ptr ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}
