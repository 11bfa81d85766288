/*
 * All-stop on an SMP guest, for the gdb stub: the CPU that stops (a
 * breakpoint, a watchpoint, a single step, Ctrl-C) owns the stub, and
 * every other CPU is parked in an interrupt with its registers saved
 * until the owner resumes the guest.  A CPU that traps while another
 * owns the stub parks the same way, then takes its own turn.
 */
#ifndef ARCH_X86_64_GDB_CPUS_H
#define ARCH_X86_64_GDB_CPUS_H

#include <stdint.h>

#include "arch/x86_64/trap.h"

/* A parked CPU: the thread it runs, its registers and FPU state. */
struct gdb_parked {
	struct trap_frame *tf;		/* NULL: not parked */
	int tid;			/* gdb thread id of what it runs */
	uint64_t gen;			/* the stop it parked for */
	uint8_t fx[512] __attribute__((aligned(16)));
};

/* Once, when the stub comes up: the parking IPI's handler. */
void gdb_cpus_init(void);

/*
 * Make this CPU (trapped with frame tf, interrupts off) the stub's owner,
 * waiting parked while another CPU owns it; then park every other CPU (a
 * CPU that does not answer within a bound is left running).  Returns 1 if
 * it had to wait for another owner first, 0 if not; a no-op (0) for the
 * owner itself (a single step it asked for).
 */
int gdb_cpus_stop(struct trap_frame *tf);

/*
 * The owner resumes the guest: the parked CPUs load these debug
 * registers (the breakpoints and watchpoints gdb set) and return; once
 * they have left their parking the owner gives the stub to the next CPU
 * waiting for its turn, or up.
 */
void gdb_cpus_release(const uint64_t dr_addr[4], uint64_t dr7);

/* Load debug register n (0-3, 6, 7) of this CPU. */
void gdb_write_dr(int n, uint64_t v);

/* The parked CPU running thread tid, or NULL. */
const struct gdb_parked *gdb_cpus_find(int tid);

#endif
