/*
 * The x86-64 side of the gdb stub: registers of the stopped thread (from
 * its trap frame) and of the others (from their saved switch frames),
 * memory that is really mapped, int3 software breakpoints, and DR0-DR3
 * hardware breakpoints and watchpoints (those in gdb_breakpoints.c).
 */
#ifndef ARCH_X86_64_GDB_TARGET_H
#define ARCH_X86_64_GDB_TARGET_H

#include "arch/x86_64/trap.h"
#include "gdbstub/stub.h"

struct gdb_transport {
	int (*getc)(void);		/* a byte, or -1 if none yet */
	void (*write)(const char *buf, size_t len);
};

/* gdb's description of the registers (gdb_target_xml.c). */
extern const char gdb_target_xml[];

/*
 * The threads, by gdb thread id (scheduler id + 1; gdb_threads.c), for a
 * stopped guest: the thread tid or NULL; the next id above after, 0 past
 * the last; what gdb shows beside tid (stopped_tid: the thread that
 * stopped), in buf of size bytes.
 */
struct thread;
const struct thread *gdb_thread_find(int tid);
int gdb_thread_next(int after);
void gdb_thread_describe(int tid, int stopped_tid, char *buf, size_t size);

/* Set up the target over transport t; returns the stub to drive. */
struct gdb_stub *gdb_target_init(const struct gdb_transport *t);

/*
 * Called from the trap hook: is this #BP/#DB ours?  If so, serve gdb and
 * prepare tf for resuming (single step, stepping over a breakpoint).
 * requested_sig is non-zero when the kernel itself executed the int3 to
 * stop (gdb=wait: SIGTRAP, Ctrl-C: SIGINT), and is what gdb is told.
 */
int gdb_target_trap(struct trap_frame *tf, int requested_sig);

#endif
