/*
 * Trap dispatch.  Exceptions go to the debugger hook (if one is installed
 * and wants them) or panic; interrupts go to their registered handler.
 */
#include <stddef.h>

#include "arch/x86_64/trap.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/fault.h"
#include "kern/console.h"

#define VECTOR_ALLOC_FIRST 48
#define VECTOR_ALLOC_LAST 239

static irq_handler_t handlers[256];
static trap_hook_t debug_hook;
static void (*eoi)(void);
static uint8_t unexpected_seen[256];

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

void trap_set_debug_hook(trap_hook_t hook)
{
	debug_hook = hook;
}

trap_hook_t trap_debug_hook(void)
{
	return debug_hook;
}

/*
 * An interrupt nobody asked for: say so once per vector, and acknowledge it
 * so the local APIC does not hold back everything of lower priority.
 */
static void unexpected_irq(const struct trap_frame *tf)
{
	if (!unexpected_seen[tf->vector]) {
		unexpected_seen[tf->vector] = 1;
		kprintf("trap: unexpected interrupt on vector %llu\n",
			(unsigned long long)tf->vector);
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
	if (h)
		h(tf);
	else
		unexpected_irq(tf);
}
