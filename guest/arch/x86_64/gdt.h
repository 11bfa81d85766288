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

#define IST_STACK_SIZE 16384
#define IST_COUNT 4
#define IST_AREA_SIZE (IST_COUNT * IST_STACK_SIZE)

/* CPU 0's GDT and TSS (static IST stacks). */
void gdt_init(void);
/* CPU cpu's, with IST_AREA_SIZE bytes of IST stacks at ist_area. */
void gdt_init_cpu(unsigned int cpu, void *ist_area);

#endif
