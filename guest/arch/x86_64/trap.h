/*
 * Traps and interrupts: GDT/TSS with IST stacks, an IDT covering all 256
 * vectors, and a C dispatcher.  Exceptions (0..31) panic with a report;
 * vectors 32..255 go to the handler registered for them.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdint.h>

/* What the entry stubs push, in memory order (lowest address first). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;	/* 0 when the CPU pushes none */
	uint64_t rip, cs, rflags, rsp, ss;
};

#define IRQ_VECTOR_BASE 32
#define RFLAGS_TF (1ULL << 8)	/* trap flag: single-stepping */

/*
 * Interrupt handlers run with interrupts off on the interrupted thread's
 * stack.  A handler for an APIC interrupt must call apic_eoi() itself
 * before anything that may switch threads.
 */
typedef void (*irq_handler_t)(struct trap_frame *tf);

/* Load GDT, TSS and IDT on this CPU.  Call first thing in kmain. */
void trap_init(void);

/* Route vector (32..255) to h.  Returns 0, or -1 if the vector is invalid. */
int irq_set_handler(unsigned int vector, irq_handler_t h);

/* Allocate a free vector in 48..239 for a handler; -1 if none is left. */
int irq_alloc_vector(irq_handler_t h);

/*
 * Run vector's handler as if its interrupt had come, from a context with
 * nothing in service (a handler's EOI then does nothing); for interrupts
 * the host delivered by another path than an IPI (kern/wake.c).
 */
void irq_run(unsigned int vector);

/*
 * How to acknowledge an interrupt at the local APIC; used for vectors that
 * arrive with no handler.  Set by the APIC driver.
 */
void irq_set_eoi(void (*eoi)(void));

/*
 * Called after every interrupt handler (which has sent its EOI by then):
 * the scheduler's, so that a thread a handler woke and that outranks the
 * interrupted one runs at once, not at the next tick.  Set by the
 * scheduler.
 */
void irq_set_exit(void (*exit)(void));

/*
 * A debugger's look at exceptions (0..31) before they panic: return 1 if it
 * handled the trap (the frame is then resumed as it stands), 0 to panic.
 */
typedef int (*trap_hook_t)(struct trap_frame *tf);
void trap_set_debug_hook(trap_hook_t hook);
trap_hook_t trap_debug_hook(void);	/* the one installed, or NULL */

/* Called by the entry stubs in isr.S. */
void trap_dispatch(struct trap_frame *tf);

#endif
