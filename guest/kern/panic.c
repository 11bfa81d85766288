#include <stdarg.h>

#include "kern/panic.h"
#include "kern/console.h"
#include "kern/power.h"
#include "kern/shared.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "lib/format.h"

static int panicking;

void panic_enter(void)
{
	irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL)) {
		/* The report itself faulted: print nothing more, just stop. */
		console_write("\nPANIC: nested panic, halting\n", 30);
		cpu_park();
	}
}

int panic_under_way(void)
{
	return __atomic_load_n(&panicking, __ATOMIC_ACQUIRE);
}

void panic_finish(const struct kspawn_panic *rec)
{
	struct kspawn_state *st = shared_state();

	st->panic = *rec;
	st->panic.message[KSPAWN_PANIC_MSG_MAX - 1] = '\0';
	__atomic_store_n(&st->state, KSPAWN_GUEST_PANICKED, __ATOMIC_RELEASE);
	kprintf("guest stopped after panic\n");
	guest_exit(GUEST_EXIT_PANIC);
}

void panic(const char *fmt, ...)
{
	struct kspawn_panic rec = { .vector = ~0ULL };
	uint64_t rbp = (uint64_t)__builtin_frame_address(0);
	va_list ap;

	panic_enter();
	va_start(ap, fmt);
	kvsnprintf(rec.message, sizeof(rec.message), fmt, ap);
	va_end(ap);
	rec.rip = (uint64_t)__builtin_return_address(0);
	rec.rsp = rbp;
	kprintf("\nPANIC: %s\n", rec.message);
	backtrace_print(rec.rip, *(uint64_t *)rbp);
	panic_finish(&rec);
}
