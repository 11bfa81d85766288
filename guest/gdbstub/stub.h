/*
 * The gdb remote stub's command interpreter.  Portable: everything it needs
 * from the machine comes through struct gdb_target, so it runs in the guest
 * (arch/x86_64/gdb_target.c) and, against a fake target, in unit tests and
 * under a fuzzer.
 *
 * All-stop model: the platform calls gdb_stub_stopped() once the guest is
 * stopped (breakpoint, single step, break-in); it returns when gdb resumes,
 * with the resume request in the stub's fields.
 */
#ifndef GDBSTUB_STUB_H
#define GDBSTUB_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "gdbstub/rsp.h"

#define GDB_SIGTRAP 5
#define GDB_SIGINT 2

enum gdb_bp_type {
	GDB_BP_SOFTWARE = 0,
	GDB_BP_HARDWARE = 1,
	GDB_WP_WRITE = 2,
	GDB_WP_READ = 3,
	GDB_WP_ACCESS = 4,
};

enum gdb_resume {
	GDB_RESUME_CONTINUE,
	GDB_RESUME_STEP,
	GDB_RESUME_DETACH,
	GDB_RESUME_KILL,	/* the guest cannot be killed: as DETACH */
};

struct gdb_target {
	void *ctx;
	/* Transport: read a byte (-1: none yet) and write bytes. */
	int (*getc)(void *ctx);
	void (*write)(void *ctx, const char *buf, size_t len);

	/*
	 * Registers, in the order of target_xml, as raw little-endian bytes
	 * (at most 16); read_reg returns -1 for one it has no value for,
	 * which gdb is told is unavailable.
	 */
	size_t nregs;
	const uint8_t *reg_size;	/* bytes of each register */
	int (*read_reg)(void *ctx, int tid, unsigned int reg, void *val);
	int (*write_reg)(void *ctx, int tid, unsigned int reg, const void *val);

	/* Memory: 0 on success, -1 if any byte is not accessible. */
	int (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t len);
	int (*write_mem)(void *ctx, uint64_t addr, const void *buf, size_t len);

	/* Breakpoints: 0 ok, -1 error, -2 type not supported. */
	int (*insert_bp)(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind);
	int (*remove_bp)(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind);

	/* Threads: ids > 0.  next(0) is the first; 0 ends the list. */
	int (*thread_next)(void *ctx, int after);
	int (*thread_alive)(void *ctx, int tid);
	void (*thread_describe)(void *ctx, int tid, char *buf, size_t size);

	const char *target_xml;
};

struct gdb_stub {
	const struct gdb_target *t;
	struct rsp_rx rx;
	int no_ack;
	int attached;
	int g_tid;		/* Hg: thread for register access */
	int stop_tid;		/* thread that stopped */
	int stop_signal;
	uint64_t watch_addr;	/* a watchpoint hit, 0 if none */
	enum gdb_bp_type watch_type;
	/* The resume request when gdb_stub_stopped() returns. */
	enum gdb_resume resume;
	int resume_tid;		/* thread to step, 0/-1 for any */
	char out[2 * RSP_PACKET_MAX + 8];	/* framed reply */
	size_t out_len;
	char scratch[RSP_PACKET_MAX + 1];	/* reply payload */
};

void gdb_stub_init(struct gdb_stub *s, const struct gdb_target *t);

/*
 * The guest stopped in thread tid with signal sig: report it (if gdb is
 * attached) and serve gdb until it resumes, detaches or kills.
 */
void gdb_stub_stopped(struct gdb_stub *s, int tid, int sig);

/*
 * Handle one decoded packet; returns 1 if it resumes the guest.  Exposed
 * for tests and fuzzing; gdb_stub_stopped() drives it.
 */
int gdb_stub_packet(struct gdb_stub *s, const char *pkt, size_t len);

#endif
