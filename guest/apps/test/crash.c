/*
 * crash: fail on purpose, to prove that every kind of fault ends in a clear
 * panic report (and, when spawned, in the host's view of the panic record).
 *
 *   crash div0 | null | ud2 | stack | wtext | xdata | gp | panic | hang
 *   crash exitrace   (two CPUs or more)
 */
#define KSPAWN_INTERNALS
#include <stdint.h>
#include <string.h>

#include "kspawn.h"

/* Volatile both ways, or GCC turns the division into a comparison. */
static volatile int zero, seven = 7;

static int __attribute__((noinline)) divide(void)
{
	return seven / zero;
}

/* Each frame holds a buffer the compiler cannot drop, so the stack runs out. */
static int __attribute__((noinline)) recurse(int depth, int limit)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth == limit)
		return frame[0];
	return recurse(depth + 1, limit) + frame[0];
}

static void write_text(void)
{
	/* kprintf lives in kernel text, which is mapped read-only. */
	volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)&kprintf;

	*code = 0xcc;
}

static void exec_data(void)
{
	static uint8_t ret_insn[16] = { 0xc3 };
	void (*fn)(void) = (void (*)(void))(uintptr_t)ret_insn;

	fn();
}

static void noncanonical(void)
{
	*(volatile uint64_t *)0x8000000000000000ULL = 1;
}

/* Interrupts off for good: no tick, no heartbeat, no stop IPI. */
static void hang(void)
{
	__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("pause");
}

/*
 * exitrace: CPU 1 panics and is still at its report (held 1 s after
 * panic_enter(), interrupts off) when CPU 0 ends the guest with status 0.
 * The guest must end panicked, never halted with 0 on the way: a host
 * that saw "halted" first took the guest for one that ended well.
 */
static int panicked_cpu1;

static int panic_slowly(void *arg)
{
	struct kspawn_panic rec = { .vector = ~0ULL };
	uint64_t end;

	(void)arg;
	panic_enter();
	__atomic_store_n(&panicked_cpu1, 1, __ATOMIC_RELEASE);
	end = time_ns() + NSEC_PER_SEC;
	while (time_ns() < end)
		cpu_relax();
	strcpy(rec.message, "crash: exitrace: CPU 1 panicked while CPU 0 exited");
	kprintf("\nPANIC: %s\n", rec.message);
	panic_finish(&rec);
}

static int exit_meanwhile(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&panicked_cpu1, __ATOMIC_ACQUIRE))
		cpu_relax();
	kprintf("crash: exitrace: CPU 0 exits with 0 during CPU 1's panic\n");
	guest_exit(0);
}

static int exit_race(void)
{
	struct thread_attr on1 = { .cpus = 1u << 1 }, on0 = { .cpus = 1u };

	if (sched_ncpus() < 2) {
		kprintf("crash: exitrace needs two CPUs\n");
		return 2;
	}
	if (!thread_create("exit0", exit_meanwhile, NULL, &on0) ||
	    !thread_create("panic1", panic_slowly, NULL, &on1)) {
		kprintf("crash: exitrace: no threads\n");
		return 2;
	}
	for (;;)
		thread_sleep_ms(1000);
}

static int crash_main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";

	kprintf("crash: about to crash with '%s'\n", how);
	if (!strcmp(how, "div0"))
		return divide();
	if (!strcmp(how, "null"))
		return *(volatile int *)0;
	if (!strcmp(how, "ud2"))
		__asm__ volatile("ud2");
	if (!strcmp(how, "stack"))
		return recurse(0, 1 << 30);
	if (!strcmp(how, "wtext"))
		write_text();
	if (!strcmp(how, "xdata"))
		exec_data();
	if (!strcmp(how, "gp"))
		noncanonical();
	if (!strcmp(how, "panic"))
		panic("crash: panic() called on purpose (%d)", 42);
	if (!strcmp(how, "hang"))
		hang();
	if (!strcmp(how, "exitrace"))
		return exit_race();
	kprintf("crash: usage: crash div0|null|ud2|stack|wtext|xdata|gp|panic|hang|exitrace\n");
	return 2;
}
APP(crash, crash_main, "fault on purpose: div0 null ud2 stack wtext xdata gp panic hang exitrace");
