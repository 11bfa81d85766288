#include <string.h>

#include "arch/x86_64/gdb_target.h"
#include "arch/x86_64/asm.h"
#include "arch/x86_64/gdb_breakpoints.h"
#include "arch/x86_64/gdb_cpus.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/context.h"
#include "kern/sched.h"
#include "kern/thread.h"

#define NREGS 57		/* gdb's amd64 numbering, core + sse */
#define REG_RSP 7
#define REG_RIP 16
#define REG_EFLAGS 17
#define REG_CS 18
#define REG_ST0 24
#define REG_FCTRL 32
#define REG_FTAG 34
#define REG_XMM0 40
#define REG_MXCSR 56

static const uint8_t reg_size[NREGS] = {
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,	/* rax..r15 */
	8, 4, 4, 4, 4, 4, 4, 4,				/* rip..gs */
	10, 10, 10, 10, 10, 10, 10, 10,			/* st0..st7 */
	4, 4, 4, 4, 4, 4, 4, 4,				/* fctrl..fop */
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	4,						/* mxcsr */
};

static struct {
	const struct gdb_transport *io;
	struct gdb_stub stub;
	struct gdb_target target;
	struct trap_frame *tf;		/* the stopped thread's frame */
	int stopped_tid;
	uint8_t fx[512] __attribute__((aligned(16)));	/* its FPU state */
} g;

static uint64_t read_dr6(void)
{
	uint64_t v;

	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

/* ---- memory -------------------------------------------------------------- */

/* Only memory our own page tables map, and never device registers. */
int gdb_mem_accessible(uint64_t addr, size_t len)
{
	uint64_t end = addr + len;

	if (end < addr)
		return 0;
	if (addr < VA_MMIO + VA_MMIO_SIZE && end > VA_MMIO)
		return 0;
	for (uint64_t p = addr & ~4095ULL; p < end; p += 4096)
		if (!paging_is_mapped(p))
			return 0;
	return 1;
}

static int t_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (!gdb_mem_accessible(addr, len))
		return -1;
	/* the program's own bytes: our int3s are out while gdb is served */
	memcpy(buf, (const void *)addr, len);
	return 0;
}

/*
 * Text is mapped read-only: lift write protection for the copy, a byte
 * at a time, not by memcpy, which may be where an int3 goes in or out.
 */
void gdb_mem_poke(uint64_t addr, const void *buf, size_t len)
{
	uint64_t cr0 = read_cr0();

	write_cr0(cr0 & ~(uint64_t)CR0_WP);
	for (size_t i = 0; i < len; i++)
		((volatile uint8_t *)addr)[i] = ((const uint8_t *)buf)[i];
	write_cr0(cr0);
}

static int t_write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	(void)ctx;
	if (!gdb_mem_accessible(addr, len))
		return -1;
	gdb_mem_poke(addr, buf, len);
	return 0;
}

/* ---- registers ----------------------------------------------------------- */

static void *frame_gpr(struct trap_frame *tf, unsigned int r)
{
	uint64_t *const map[16] = {
		&tf->rax, &tf->rbx, &tf->rcx, &tf->rdx, &tf->rsi, &tf->rdi,
		&tf->rbp, &tf->rsp, &tf->r8,  &tf->r9,  &tf->r10, &tf->r11,
		&tf->r12, &tf->r13, &tf->r14, &tf->r15,
	};

	if (r < 16)
		return map[r];
	if (r == REG_RIP)
		return &tf->rip;
	if (r == REG_EFLAGS)
		return &tf->rflags;
	return NULL;
}

/*
 * The x87 tag word gdb's ftag is: two bits per physical register (0
 * valid, 1 zero, 2 special, 3 empty).  fxsave keeps one bit each (1: in
 * use), so the kind is worked out from the value, as FSAVE would (and
 * as gdb's i387_tag() does).  Register i is st((i - TOP) mod 8).
 */
static uint16_t tag_word(const uint8_t *fx)
{
	unsigned int top = (unsigned int)(fx[3] >> 3) & 7;
	uint16_t tags = 0;

	for (unsigned int i = 0; i < 8; i++) {
		const uint8_t *st = fx + 32 + 16 * ((i - top) & 7);
		unsigned int exp = (st[8] | st[9] << 8) & 0x7fff, tag;
		uint64_t mant;

		memcpy(&mant, st, 8);
		if (!(fx[4] >> i & 1))
			tag = 3;
		else if (exp == 0x7fff)
			tag = 2;
		else if (exp == 0)
			tag = mant ? 2 : 1;
		else
			tag = mant >> 63 ? 0 : 2;
		tags |= (uint16_t)(tag << (2 * i));
	}
	return tags;
}

/* FPU/SSE registers of a stopped thread, from its fxsave image. */
static int fpu_reg(const uint8_t *fx, unsigned int r, void *val)
{
	static const uint8_t fctrl_off[8] = { 0, 2, 4, 12, 8, 20, 16, 6 };
	static const uint8_t fctrl_len[8] = { 2, 2, 0, 2, 4, 2, 4, 2 };

	memset(val, 0, reg_size[r]);
	if (r == REG_FTAG) {
		uint16_t tags = tag_word(fx);

		memcpy(val, &tags, 2);
		return 0;
	}
	if (r >= REG_ST0 && r < REG_FCTRL)
		memcpy(val, fx + 32 + 16 * (r - REG_ST0), 10);
	else if (r >= REG_FCTRL && r < REG_XMM0)
		memcpy(val, fx + fctrl_off[r - REG_FCTRL],
		       fctrl_len[r - REG_FCTRL]);
	else if (r >= REG_XMM0 && r < REG_MXCSR)
		memcpy(val, fx + 160 + 16 * (r - REG_XMM0), 16);
	else if (r == REG_MXCSR)
		memcpy(val, fx + 24, 4);
	else
		return -1;
	return 0;
}

/*
 * A thread that is not running: what context_switch saved, and the FPU
 * and SSE state the scheduler saved with it (fxsave, at every switch).
 */
static int saved_reg(const struct thread *t, unsigned int r, void *val)
{
	struct thread_info info;
	const struct switch_frame *f;
	uint64_t v;

	thread_get_info_stopped(t, &info);
	f = info.saved_sp;
	if (!f)
		return -1;
	if (r >= REG_ST0)
		return fpu_reg(t->fpu.fxsave, r, val);
	switch (r) {
	case 1: v = f->rbx; break;
	case 6: v = f->rbp; break;
	case REG_RSP: v = (uint64_t)(f + 1); break;
	case 12: v = f->r12; break;
	case 13: v = f->r13; break;
	case 14: v = f->r14; break;
	case 15: v = f->r15; break;
	case REG_RIP: v = f->rip; break;
	default: return -1;	/* not saved: gdb shows <unavailable> */
	}
	memcpy(val, &v, 8);
	return 0;
}

/*
 * Where thread tid's live registers are: the stopped thread's trap frame,
 * or that of another CPU parked while it ran tid; NULL if tid is not on
 * a CPU (its registers are in its switch frame).
 */
static struct trap_frame *live_frame(int tid, const uint8_t **fx)
{
	const struct gdb_parked *p;

	if (tid <= 0 || tid == g.stopped_tid) {
		*fx = g.fx;
		return g.tf;
	}
	p = gdb_cpus_find(tid);
	if (!p)
		return NULL;
	*fx = p->fx;
	return p->tf;
}

static int t_read_reg(void *ctx, int tid, unsigned int r, void *val)
{
	struct trap_frame *tf;
	const uint8_t *fx;
	uint64_t seg;

	(void)ctx;
	if (r >= NREGS)
		return -1;
	tf = live_frame(tid, &fx);
	if (!tf) {
		const struct thread *t = gdb_thread_find(tid);

		return t ? saved_reg(t, r, val) : -1;
	}
	if (frame_gpr(tf, r)) {
		memcpy(val, frame_gpr(tf, r), reg_size[r]);
		return 0;
	}
	if (r >= REG_CS && r < REG_ST0) {
		seg = r == REG_CS ? tf->cs : r == REG_CS + 1 ? tf->ss :
		      r < REG_CS + 4 ? KERNEL_DS : 0;
		memcpy(val, &seg, 4);
		return 0;
	}
	return fpu_reg(fx, r, val);
}

static int t_write_reg(void *ctx, int tid, unsigned int r, const void *val)
{
	struct trap_frame *tf;
	const uint8_t *fx;
	void *slot;

	(void)ctx;
	if (r >= NREGS)
		return -1;
	tf = live_frame(tid, &fx);
	slot = tf ? frame_gpr(tf, r) : NULL;
	if (!slot || r == REG_RSP)	/* moving the stack under iret: no */
		return -1;
	if (r == REG_EFLAGS) {
		uint32_t v;

		memcpy(&v, val, 4);
		tf->rflags = v;
		return 0;
	}
	memcpy(slot, val, 8);
	return 0;
}

/* ---- threads (gdb_threads.c) -------------------------------------------- */

static int t_thread_next(void *ctx, int after)
{
	(void)ctx;
	return gdb_thread_next(after);
}

static int t_thread_alive(void *ctx, int tid)
{
	(void)ctx;
	return gdb_thread_find(tid) != NULL;
}

static void t_thread_describe(void *ctx, int tid, char *buf, size_t size)
{
	(void)ctx;
	gdb_thread_describe(tid, g.stopped_tid, buf, size);
}

/* ---- transport and stops ------------------------------------------------- */

static int t_getc(void *ctx)
{
	int c;

	(void)ctx;
	while ((c = g.io->getc()) < 0)
		cpu_relax();
	return c;
}

static void t_write(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	g.io->write(buf, len);
}

struct gdb_stub *gdb_target_init(const struct gdb_transport *t)
{
	g.io = t;
	g.target = (struct gdb_target){
		.getc = t_getc, .write = t_write, .nregs = NREGS,
		.reg_size = reg_size, .read_reg = t_read_reg,
		.write_reg = t_write_reg, .read_mem = t_read_mem,
		.write_mem = t_write_mem, .insert_bp = gdb_bp_insert,
		.remove_bp = gdb_bp_remove, .thread_next = t_thread_next,
		.thread_alive = t_thread_alive,
		.thread_describe = t_thread_describe, .target_xml = gdb_target_xml,
	};
	gdb_stub_init(&g.stub, &g.target);
	gdb_cpus_init();
	return &g.stub;
}

int gdb_target_trap(struct trap_frame *tf, int requested_sig)
{
	uint64_t dr6 = 0;
	int waited;

	if (!g.io)
		return 0;
	/* Every other CPU parks first: all-stop, and one CPU in the stub. */
	waited = gdb_cpus_stop(tf);
	if (tf->vector == 3) {
		if (gdb_bp_at(tf->rip - 1)) {
			tf->rip--;	/* report and resume at the breakpoint */
		} else if (!requested_sig && waited && gdb_bp_gone(tf)) {
			tf->rip--;
			gdb_resume_all();
			return 1;
		} else if (!requested_sig) {
			gdb_resume_all();
			return 0;	/* an int3 that is not ours: a fault */
		}
	} else if (tf->vector == 1) {
		dr6 = read_dr6();
		gdb_write_dr(6, 0);
		if (gdb_finish_step_over(tf, g.stub.resume, dr6)) {
			gdb_resume_all();
			return 1;
		}
		if (waited && gdb_hw_hit_gone(dr6)) {
			gdb_resume_all();
			return 1;
		}
		gdb_note_watch_hit(&g.stub, dr6);
	} else if (!requested_sig) {
		gdb_resume_all();
		return 0;
	}
	/* Else an interrupt asking to stop here (the host's debug IPI). */
	gdb_bps_out();
	g.tf = tf;
	g.stopped_tid = (int)thread_id(thread_self()) + 1;
	__asm__ volatile("fxsave %0" : "=m"(g.fx));
	gdb_stub_stopped(&g.stub, g.stopped_tid,
			 requested_sig ? requested_sig : GDB_SIGTRAP);
	gdb_prepare_resume(tf, g.stub.resume);
	gdb_resume_all();
	return 1;
}
