/*
 * The report for an exception nobody handled: what happened, where, the
 * registers, a symbolised backtrace, and the same facts in the ABI panic
 * record so the host can show them even if it never saw the console.
 */
#include <stddef.h>

#include "arch/x86_64/fault.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/panic.h"
#include "lib/format.h"

#define PF_PRESENT (1 << 0)
#define PF_WRITE (1 << 1)
#define PF_USER (1 << 2)
#define PF_RSVD (1 << 3)
#define PF_FETCH (1 << 4)

static const char *const names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating point",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating point",
	[20] = "#VE virtualization",
	[21] = "#CP control protection",
};

const char *fault_name(unsigned int v)
{
	return v < 32 ? names[v] : NULL;
}

/* A one-line reason, more specific than the vector name where we can be. */
static void describe(const struct trap_frame *tf, uint64_t cr2, char *buf,
		     size_t n)
{
	const char *name = fault_name((unsigned int)tf->vector);

	if (!name)
		name = "reserved exception";
	if (tf->vector != 14) {
		ksnprintf(buf, n, "%s (vector %llu)", name,
			  (unsigned long long)tf->vector);
		return;
	}
	ksnprintf(buf, n, "%s (vector 14): %s %s 0x%llx%s", name,
		  tf->error_code & PF_FETCH ? "execute" :
		  tf->error_code & PF_WRITE ? "write" : "read",
		  tf->error_code & PF_PRESENT ? "protection violation at" :
						"of unmapped address",
		  (unsigned long long)cr2,
		  mm_is_guard_page(cr2) ? " - stack overflow (guard page)" :
		  cr2 < 4096 ? " - NULL pointer dereference" : "");
}

static void print_registers(const struct trap_frame *tf, uint64_t cr2)
{
	kprintf("  RIP %016llx  RSP %016llx  RFLAGS %016llx\n",
		(unsigned long long)tf->rip, (unsigned long long)tf->rsp,
		(unsigned long long)tf->rflags);
	kprintf("  RAX %016llx  RBX %016llx  RCX %016llx\n",
		(unsigned long long)tf->rax, (unsigned long long)tf->rbx,
		(unsigned long long)tf->rcx);
	kprintf("  RDX %016llx  RSI %016llx  RDI %016llx\n",
		(unsigned long long)tf->rdx, (unsigned long long)tf->rsi,
		(unsigned long long)tf->rdi);
	kprintf("  RBP %016llx  R8  %016llx  R9  %016llx\n",
		(unsigned long long)tf->rbp, (unsigned long long)tf->r8,
		(unsigned long long)tf->r9);
	kprintf("  R10 %016llx  R11 %016llx  R12 %016llx\n",
		(unsigned long long)tf->r10, (unsigned long long)tf->r11,
		(unsigned long long)tf->r12);
	kprintf("  R13 %016llx  R14 %016llx  R15 %016llx\n",
		(unsigned long long)tf->r13, (unsigned long long)tf->r14,
		(unsigned long long)tf->r15);
	kprintf("  CS %04llx  SS %04llx  CR2 %016llx  CR3 %016llx\n",
		(unsigned long long)tf->cs, (unsigned long long)tf->ss,
		(unsigned long long)cr2, (unsigned long long)read_cr3());
}

static void fill_record(struct kspawn_panic *rec, const struct trap_frame *tf,
			uint64_t cr2)
{
	/* The order gdb uses for x86-64, as the ABI says. */
	const uint64_t gpr[16] = { tf->rax, tf->rbx, tf->rcx, tf->rdx,
				   tf->rsi, tf->rdi, tf->rbp, tf->rsp,
				   tf->r8,  tf->r9,  tf->r10, tf->r11,
				   tf->r12, tf->r13, tf->r14, tf->r15 };

	rec->vector = tf->vector;
	rec->error_code = tf->error_code;
	rec->rip = tf->rip;
	rec->rsp = tf->rsp;
	rec->rflags = tf->rflags;
	rec->cr2 = cr2;
	for (int i = 0; i < 16; i++)
		rec->gpr[i] = gpr[i];
}

void fault_panic(const struct trap_frame *tf)
{
	uint64_t cr2 = read_cr2();
	struct kspawn_panic rec = { 0 };

	panic_enter();
	describe(tf, cr2, rec.message, sizeof(rec.message));
	kprintf("\nPANIC: %s\n", rec.message);
	kprintf("  error code 0x%llx\n", (unsigned long long)tf->error_code);
	print_registers(tf, cr2);
	backtrace_print(tf->rip, tf->rbp);
	fill_record(&rec, tf, cr2);
	panic_finish(&rec);
}
