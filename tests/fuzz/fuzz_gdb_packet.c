/*
 * libFuzzer target: arbitrary bytes from "gdb" into the stub, against a
 * fake target whose memory is a small buffer.  The stub must never crash,
 * never access the fake memory out of bounds (ASan), and never hand the
 * target a length larger than what it asked for.
 *
 * fuzz-sources: guest/gdbstub/stub.c guest/gdbstub/rsp.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/stub.h"

struct fuzz_ctx {
	const uint8_t *in;
	size_t len, pos;
	uint8_t mem[64];
	uint64_t regs[4];
};

static const uint8_t reg_size[4] = { 8, 8, 4, 16 };

static int f_getc(void *ctx)
{
	struct fuzz_ctx *f = ctx;

	return f->pos < f->len ? f->in[f->pos++] : -1;
}

static void f_write(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	if (len && (buf[0] != '$' && buf[0] != '+' && buf[0] != '-'))
		abort();	/* we only ever send packets and acks */
}

static int f_read_reg(void *ctx, int tid, unsigned int reg, void *val)
{
	struct fuzz_ctx *f = ctx;

	if (reg >= 4)
		abort();
	(void)tid;
	memset(val, 0, reg_size[reg]);
	memcpy(val, &f->regs[reg], reg_size[reg] < 8 ? reg_size[reg] : 8);
	return 0;
}

static int f_write_reg(void *ctx, int tid, unsigned int reg, const void *val)
{
	struct fuzz_ctx *f = ctx;

	if (reg >= 4)
		abort();
	(void)tid;
	memcpy(&f->regs[reg], val, reg_size[reg] < 8 ? reg_size[reg] : 8);
	return 0;
}

static int f_mem(struct fuzz_ctx *f, uint64_t addr, size_t len)
{
	return addr < sizeof(f->mem) && len <= sizeof(f->mem) - addr;
}

static int f_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fuzz_ctx *f = ctx;

	if (!f_mem(f, addr, len))
		return -1;
	memcpy(buf, f->mem + addr, len);
	return 0;
}

static int f_write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct fuzz_ctx *f = ctx;

	if (!f_mem(f, addr, len))
		return -1;
	memcpy(f->mem + addr, buf, len);
	return 0;
}

static int f_bp(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind)
{
	(void)ctx;
	(void)addr;
	(void)kind;
	return t == GDB_BP_SOFTWARE ? 0 : -2;
}

static int f_thread_next(void *ctx, int after)
{
	(void)ctx;
	return after < 2 ? after + 1 : 0;
}

static int f_thread_alive(void *ctx, int tid)
{
	(void)ctx;
	return tid == 1 || tid == 2;
}

static void f_describe(void *ctx, int tid, char *buf, size_t size)
{
	(void)ctx;
	(void)tid;
	strncpy(buf, "fuzz thread", size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_stub stub;
	struct fuzz_ctx f = { .in = data, .len = size };
	const struct gdb_target t = {
		.ctx = &f, .getc = f_getc, .write = f_write, .nregs = 4,
		.reg_size = reg_size, .read_reg = f_read_reg,
		.write_reg = f_write_reg, .read_mem = f_read_mem,
		.write_mem = f_write_mem, .insert_bp = f_bp, .remove_bp = f_bp,
		.thread_next = f_thread_next, .thread_alive = f_thread_alive,
		.thread_describe = f_describe,
		.target_xml = "<target><architecture>i386:x86-64</architecture></target>",
	};

	gdb_stub_init(&stub, &t);
	/* Serve until the input runs out, as many stops as it takes. */
	while (f.pos < f.len)
		gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	return 0;
}
