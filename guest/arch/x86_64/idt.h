#ifndef ARCH_X86_64_IDT_H
#define ARCH_X86_64_IDT_H

void idt_init(void);	/* fill all 256 gates and load them */
void idt_load(void);	/* load the IDT on another CPU */

#endif
