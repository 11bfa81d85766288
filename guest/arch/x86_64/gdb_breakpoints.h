/*
 * Internal to the gdb stub's x86-64 target: what gdb_target.c (registers,
 * memory, the stop) and gdb_breakpoints.c (int3s, debug registers, the
 * steps that go with them) share.  Only calls: each file's state stays
 * its own, so the breakpoint tables change only through these.
 */
#ifndef ARCH_X86_64_GDB_BREAKPOINTS_H
#define ARCH_X86_64_GDB_BREAKPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/trap.h"
#include "gdbstub/stub.h"

#define DR6_BS (1ULL << 14)	/* the #DB is a single step */

/*
 * gdb_target.c: is [addr, addr + len) memory the stub may touch (mapped
 * by our page tables, not device registers); write it, read-only text
 * too, a byte at a time.
 */
int gdb_mem_accessible(uint64_t addr, size_t len);
void gdb_mem_poke(uint64_t addr, const void *buf, size_t len);

/*
 * gdb_breakpoints.c.  The gdb_target insert_bp and remove_bp operations
 * (Z and z: tables only, nothing goes into the machine yet).
 */
int gdb_bp_insert(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind);
int gdb_bp_remove(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind);

/* Is there a software breakpoint of gdb's at addr? */
int gdb_bp_at(uint64_t addr);

/* At a stop, before gdb is served: int3s out, DR7 off. */
void gdb_bps_out(void);

/*
 * The trap that stopped, classified: an int3 (tf->rip past it) or a
 * debug register hit (dr6) whose breakpoint gdb removed while this CPU
 * waited for the stub; the #DB ending the innermost step the stub set
 * TF for, a step over a breakpoint say (1: not gdb's to see, carry on;
 * 0 if gdb asked for the step or a watchpoint fired in it); which
 * watchpoint fired, into s (DR7 enables it).
 */
int gdb_bp_gone(struct trap_frame *tf);
int gdb_hw_hit_gone(uint64_t dr6);
int gdb_finish_step_over(struct trap_frame *tf, enum gdb_resume resume,
			 uint64_t dr6);
void gdb_note_watch_hit(struct gdb_stub *s, uint64_t dr6);

/*
 * Leaving a stop with gdb's resume request: set up tf's steps, put the
 * int3s and debug registers in; then let the guest go (the other CPUs
 * stay parked while this one steps).
 */
void gdb_prepare_resume(struct trap_frame *tf, enum gdb_resume resume);
void gdb_resume_all(void);

#endif
