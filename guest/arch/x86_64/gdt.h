#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define TSS_SEL 0x18

/* Interrupt stack table slots (1-based, as the IDT encodes them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_PAGE_FAULT 3
#define IST_MACHINE_CHECK 4

void gdt_init(void);

#endif
