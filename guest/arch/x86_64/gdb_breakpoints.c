/*
 * Breakpoints and watchpoints of the gdb stub's x86-64 target: the int3
 * table and the DR0-DR3/DR7 image that gdb's Z and z packets edit, put
 * into the machine as the guest resumes and taken out at each stop, and
 * the single steps that go with them (over a breakpoint, or gdb's own).
 *
 * Apart from gdb_target.c (registers, memory, the stop itself), which
 * calls in here through gdb_breakpoints.h: the tables and the stepping
 * state below are this file's alone.
 */
#include "arch/x86_64/gdb_breakpoints.h"
#include "arch/x86_64/gdb_cpus.h"

#define RFLAGS_RF (1ULL << 16)
#define MAX_SW_BP 64
#define INT3 0xcc

struct sw_bp {
	uint64_t addr;
	uint8_t saved;			/* the program's byte, while inserted */
	uint8_t used;
	uint8_t inserted;		/* our int3 is in memory */
};

/*
 * A single step the stub set TF for, whose #DB (BS) has not come yet.
 * Before the stepped instruction runs, an interrupt or exception may be
 * taken (TF is cleared for its handler), and the handler may stop for
 * gdb, which may step it or continue it past a breakpoint of its own:
 * a step of the handler's, taken while the outer one still waits.  So
 * they nest, innermost last, and a BS #DB is always the innermost
 * one's: the outer context runs its instruction only once the handler
 * has returned, and a handler stepping with TF traps before it can
 * return (its step of the iret itself lands before the outer
 * instruction: see same_frame()).  Matching a #DB to its step by frame
 * or stack would not do: the stepped instruction moves rsp (push, call,
 * sub), and the #DB's frame with it.
 *
 * All of them are the stub's owner CPU's: gdb_resume_all() keeps the
 * others parked while one is pending, so one global list is enough.
 * The depth is the nesting of contexts stopped before their stepped
 * instruction (a thread, an interrupt, an NMI...).
 */
#define MAX_STEPS 4

struct step {
	const struct trap_frame *tf;	/* the frame resumed with TF */
	uint64_t rip;			/* where it resumed */
	uint64_t over;			/* breakpoint to re-insert, 0 if none */
	int user;			/* gdb asked for it and waits for it */
};

static struct {
	struct sw_bp bp[MAX_SW_BP];
	uint64_t dr7;
	uint64_t dr_addr[4];
	struct step steps[MAX_STEPS];	/* pending, innermost last */
	int nsteps;
} g;

static struct sw_bp *sw_bp_at(uint64_t addr)
{
	for (int i = 0; i < MAX_SW_BP; i++)
		if (g.bp[i].used && g.bp[i].addr == addr)
			return &g.bp[i];
	return NULL;
}

int gdb_bp_at(uint64_t addr)
{
	return sw_bp_at(addr) != NULL;
}

/* A pending step is over the breakpoint at addr: its int3 stays out. */
static int stepping_over(uint64_t addr)
{
	for (int i = 0; i < g.nsteps; i++)
		if (g.steps[i].over == addr)
			return 1;
	return 0;
}

/*
 * tf is the innermost pending step's own frame, its instruction not run
 * yet: the host's debug IPI taken just before it (the interrupt's frame
 * is where the stepping context's was: same stack pointer, same layout),
 * or gdb's step of a handler's iret back to it.
 */
static struct step *same_frame(const struct trap_frame *tf)
{
	struct step *top = g.nsteps ? &g.steps[g.nsteps - 1] : NULL;

	return top && top->tf == tf && top->rip == tf->rip ? top : NULL;
}

/*
 * While the stub serves gdb, memory holds the program's bytes and DR7
 * enables nothing: the stub runs the guest's own memcpy, strlen and the
 * like, and a breakpoint gdb set on one of them (break memcpy is a
 * common wish) would otherwise stop the stub inside its own reply.  Z
 * and z only change the tables; the int3s and DR7 go in as the guest
 * resumes, and come out at the next stop.  (The few functions of the
 * trap path itself, before the stop and after the resume, still cannot
 * take a breakpoint.)
 */
void gdb_bps_out(void)
{
	for (int i = 0; i < MAX_SW_BP; i++) {
		struct sw_bp *b = &g.bp[i];

		/*
		 * Only where our int3 went in and is still there: a page
		 * unmapped at the resume and mapped again since holds new
		 * bytes, which the old one must not overwrite.
		 */
		if (b->inserted && gdb_mem_accessible(b->addr, 1) &&
		    *(volatile uint8_t *)b->addr == INT3)
			gdb_mem_poke(b->addr, &b->saved, 1);
		b->inserted = 0;
	}
	gdb_write_dr(7, 0);
}

/*
 * Each one but the breakpoints being stepped over (each goes in after its
 * step), over the byte there now: gdb may have written it.  A page
 * unmapped since gdb set one (a freed stack) is left alone.
 */
static void sw_bps_in(void)
{
	static const uint8_t int3 = INT3;

	for (int i = 0; i < MAX_SW_BP; i++) {
		struct sw_bp *b = &g.bp[i];

		if (!b->used || b->inserted ||
		    !gdb_mem_accessible(b->addr, 1))
			continue;
		b->saved = *(volatile uint8_t *)b->addr;
		if (!stepping_over(b->addr)) {
			gdb_mem_poke(b->addr, &int3, 1);
			b->inserted = 1;
		}
	}
}

static int insert_sw(uint64_t addr)
{
	struct sw_bp *b;

	if (sw_bp_at(addr))
		return 0;
	if (!gdb_mem_accessible(addr, 1))
		return -1;
	for (b = g.bp; b < g.bp + MAX_SW_BP && b->used; b++)
		;
	if (b == g.bp + MAX_SW_BP)
		return -1;
	b->addr = addr;
	b->saved = *(volatile uint8_t *)addr;
	b->used = 1;
	b->inserted = 0;
	return 0;
}

static int remove_sw(uint64_t addr)
{
	struct sw_bp *b = sw_bp_at(addr);

	if (!b)
		return -1;
	b->used = 0;
	return 0;
}

/* DR7 R/W and LEN fields for a gdb Z type and length. */
static int dr_bits(enum gdb_bp_type t, int kind, uint64_t *bits)
{
	uint64_t rw, len;

	switch (t) {
	case GDB_BP_HARDWARE: rw = 0; kind = 1; break;
	case GDB_WP_WRITE: rw = 1; break;
	case GDB_WP_ACCESS: rw = 3; break;
	default: return -2;	/* x86 has no read-only watchpoint */
	}
	switch (kind) {
	case 1: len = 0; break;
	case 2: len = 1; break;
	case 4: len = 3; break;
	case 8: len = 2; break;
	default: return -1;
	}
	*bits = rw | len << 2;
	return 0;
}

static int insert_hw(enum gdb_bp_type t, uint64_t addr, int kind)
{
	uint64_t bits;
	int ret = dr_bits(t, kind, &bits);

	if (ret)
		return ret;
	if (t != GDB_BP_HARDWARE && addr % (uint64_t)kind)
		return -1;	/* the CPU needs aligned watch ranges */
	for (int n = 0; n < 4; n++) {
		if (g.dr7 & (3ULL << (2 * n)))
			continue;
		g.dr_addr[n] = addr;
		g.dr7 &= ~(0xfULL << (16 + 4 * n));
		g.dr7 |= 2ULL << (2 * n) | bits << (16 + 4 * n);
		return 0;
	}
	return -1;		/* all four debug registers in use */
}

static int remove_hw(enum gdb_bp_type t, uint64_t addr, int kind)
{
	uint64_t bits;
	int ret = dr_bits(t, kind, &bits);

	if (ret)
		return ret;
	for (int n = 0; n < 4; n++) {
		if (!(g.dr7 & (3ULL << (2 * n))) || g.dr_addr[n] != addr ||
		    ((g.dr7 >> (16 + 4 * n)) & 0xf) != bits)
			continue;
		g.dr7 &= ~(3ULL << (2 * n));
		return 0;
	}
	return -1;
}

int gdb_bp_insert(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind)
{
	(void)ctx;
	return t == GDB_BP_SOFTWARE ? insert_sw(addr) : insert_hw(t, addr, kind);
}

int gdb_bp_remove(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind)
{
	(void)ctx;
	return t == GDB_BP_SOFTWARE ? remove_sw(addr) : remove_hw(t, addr, kind);
}

/*
 * DR6's B0-B3 for the slots DR7 enables: the hits that count.  The CPU
 * may set Bn for a slot whose condition matched but which is not enabled
 * (Intel SDM vol. 3, 18.2.3), and a slot gdb removed keeps its address
 * and R/W bits here.
 */
static unsigned int enabled_hits(uint64_t dr6)
{
	unsigned int hits = 0;

	for (int n = 0; n < 4; n++)
		if ((dr6 & (1ULL << n)) && (g.dr7 & (3ULL << (2 * n))))
			hits |= 1u << n;
	return hits;
}

/* Which debug register fired, as a gdb watchpoint; 0 if none. */
void gdb_note_watch_hit(struct gdb_stub *s, uint64_t dr6)
{
	unsigned int hits = enabled_hits(dr6);

	s->watch_addr = 0;
	for (int n = 0; n < 4; n++) {
		uint64_t rw = (g.dr7 >> (16 + 4 * n)) & 3;

		if (!(hits & (1u << n)) || rw == 0)
			continue;
		s->watch_addr = g.dr_addr[n];
		s->watch_type = rw == 1 ? GDB_WP_WRITE : GDB_WP_ACCESS;
	}
}

/*
 * Leave the stop: step over our own breakpoint, honour single step.  A
 * step already pending in an outer context (this stop came before its
 * instruction ran) stays pending, its breakpoint out.
 */
void gdb_prepare_resume(struct trap_frame *tf, enum gdb_resume resume)
{
	struct sw_bp *b = sw_bp_at(tf->rip);
	int user = resume == GDB_RESUME_STEP;
	struct step *s = same_frame(tf);

	/* gdb has its stop: an outer step's #DB is no longer its to see */
	for (int i = 0; i < g.nsteps; i++)
		g.steps[i].user = 0;
	tf->rflags &= ~RFLAGS_TF;
	if (!s && (b || user) && g.nsteps < MAX_STEPS) {
		s = &g.steps[g.nsteps++];
		*s = (struct step){ .tf = tf, .rip = tf->rip };
	}
	/*
	 * Deeper than MAX_STEPS (never seen): no step, so the int3 at rip
	 * goes back in and is reported again, and a step gdb asked for
	 * runs on; but nothing is left pending to keep the CPUs parked.
	 */
	if (s) {
		if (b && !s->over)
			s->over = b->addr;	/* its int3 stays out for the step */
		s->user = user;
		tf->rflags |= RFLAGS_TF;
	}
	tf->rflags |= RFLAGS_RF;	/* do not re-hit an instruction breakpoint */
	if (resume == GDB_RESUME_DETACH ||
	    resume == GDB_RESUME_KILL) {
		/* gdb is gone: take every breakpoint out, run free */
		for (int i = 0; i < MAX_SW_BP; i++)
			if (g.bp[i].used && !stepping_over(g.bp[i].addr))
				remove_sw(g.bp[i].addr);
		g.dr7 = 0;
	}
	sw_bps_in();
	for (int n = 0; n < 4; n++)
		gdb_write_dr(n, g.dr_addr[n]);
	gdb_write_dr(7, g.dr7);
}

/*
 * The #DB that ends the innermost pending step (BS): put the int3 it
 * stepped over back, unless an outer step is over the same one.  0, and
 * nothing done, if no step was pending, or if the step has not happened
 * yet: an interrupt taken before the stepped instruction ran, whose
 * handler hit a watchpoint (a #DB without BS).
 */
int gdb_finish_step_over(struct trap_frame *tf, enum gdb_resume resume,
			 uint64_t dr6)
{
	static const uint8_t int3 = INT3;
	struct sw_bp *b;
	struct step s;

	if (!g.nsteps || !(dr6 & DR6_BS))
		return 0;
	s = g.steps[--g.nsteps];
	b = s.over && !stepping_over(s.over) ? sw_bp_at(s.over) : NULL;
	if (b && (resume == GDB_RESUME_DETACH ||
		  resume == GDB_RESUME_KILL)) {
		b->used = 0;
	} else if (b && gdb_mem_accessible(b->addr, 1)) {
		gdb_mem_poke(b->addr, &int3, 1);
		b->inserted = 1;
	}
	/*
	 * Report the step gdb asked for, and a watchpoint the stepped
	 * instruction hit, which the CPU tells in the same #DB (Bn with
	 * BS): carrying on silently lost it.
	 */
	if (s.user || enabled_hits(dr6))
		return 0;
	/* back before an outer step's instruction: its TF stays */
	if (!same_frame(tf))
		tf->rflags &= ~RFLAGS_TF;
	return 1;			/* carry on silently */
}

/* Resume the guest: the other CPUs too, unless this one only steps. */
void gdb_resume_all(void)
{
	if (!g.nsteps)
		gdb_cpus_release(g.dr_addr, g.dr7);
}

/*
 * A hardware breakpoint or watchpoint this CPU hit while another CPU
 * owned the stub, which gdb has taken out meanwhile (or detached): the
 * hit is stale, and reporting it would stop a guest gdb no longer waits
 * on.
 */
int gdb_hw_hit_gone(uint64_t dr6)
{
	return !enabled_hits(dr6) && !(dr6 & DR6_BS);
}

/*
 * An int3 this CPU hit while another CPU owned the stub, whose breakpoint
 * gdb has taken out meanwhile: run the original instruction.
 */
int gdb_bp_gone(struct trap_frame *tf)
{
	return !sw_bp_at(tf->rip - 1) &&
	       *(volatile uint8_t *)(tf->rip - 1) != INT3;
}
