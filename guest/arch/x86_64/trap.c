/*
 * Trap dispatch.  Exceptions go to the debugger hook (if one is installed
 * and wants them) or panic; interrupts go to their registered handler, or
 * are counted as stray (the host sees the count).
 */
#include <stddef.h>

#include "arch/x86_64/trap.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/fault.h"
#include "kern/shared.h"

#define VECTOR_ALLOC_FIRST 48
#define VECTOR_ALLOC_LAST 239

static irq_handler_t handlers[256];
static trap_hook_t debug_hook;
static void (*eoi)(void);
static void (*irq_exit)(void);

void trap_init(void)
{
	gdt_init();
	idt_init();
}

int irq_set_handler(unsigned int vector, irq_handler_t h)
{
	if (vector < IRQ_VECTOR_BASE || vector > 255)
		return -1;
	__atomic_store_n(&handlers[vector], h, __ATOMIC_RELEASE);
	return 0;
}

int irq_alloc_vector(irq_handler_t h)
{
	for (unsigned int v = VECTOR_ALLOC_FIRST; v <= VECTOR_ALLOC_LAST; v++) {
		irq_handler_t none = NULL;

		if (__atomic_compare_exchange_n(&handlers[v], &none, h, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return (int)v;
	}
	return -1;
}

void irq_set_eoi(void (*fn)(void))
{
	eoi = fn;
}

void irq_set_exit(void (*fn)(void))
{
	irq_exit = fn;
}

void trap_set_debug_hook(trap_hook_t hook)
{
	debug_hook = hook;
}

trap_hook_t trap_debug_hook(void)
{
	return debug_hook;
}

/*
 * An interrupt nobody asked for.  The usual one is the host's: Linux sends
 * some IPIs (CALL_FUNCTION for a global TLB flush or code patching) as a
 * broadcast to every CPU but itself, and the APIC delivers those to the
 * cores it lent us too.  They are routine, so count them where the host
 * can see them (kspawnctl status) rather than print from interrupt context
 * into whatever an app is writing; and acknowledge each so the local APIC
 * does not hold back everything of lower priority.
 */
static void stray_irq(const struct trap_frame *tf)
{
	struct kspawn_state *st = kspawn_hdr ? shared_state() : NULL;

	if (st) {
		__atomic_fetch_add(&st->stray_irqs, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&st->stray_vector, (uint32_t)tf->vector,
				 __ATOMIC_RELAXED);
	}
	if (eoi)
		eoi();
}

void irq_run(unsigned int vector)
{
	struct trap_frame tf = { .vector = vector };

	if (vector >= IRQ_VECTOR_BASE && vector <= 255)
		trap_dispatch(&tf);
}

void trap_dispatch(struct trap_frame *tf)
{
	irq_handler_t h;

	if (tf->vector < IRQ_VECTOR_BASE) {
		if (debug_hook && debug_hook(tf))
			return;
		fault_panic(tf);
	}
	h = __atomic_load_n(&handlers[tf->vector], __ATOMIC_ACQUIRE);
	if (!h) {
		stray_irq(tf);
		return;
	}
	h(tf);
	/*
	 * Not while gdb single-steps the interrupted thread (TF in its
	 * frame): the other CPUs stay parked for the step, and a thread
	 * switched in here would run with them parked, perhaps through the
	 * breakpoint taken out for the step.
	 */
	if (irq_exit && !(tf->rflags & RFLAGS_TF))
		irq_exit();
}
