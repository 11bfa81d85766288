/*
 * The gdb stub's x86-64 breakpoint tables (arch/x86_64/gdb_breakpoints.c)
 * on a fake machine: "text" is a buffer here, pokes are plain stores, and
 * the debug registers and the parked CPUs' release are recorded.  What a
 * #DB says (DR6) is made up by each case, as the CPU would report it:
 * the gdb suite's QEMU cannot be made to set some of it.
 * unit-sources: guest/arch/x86_64/gdb_breakpoints.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/gdb_breakpoints.h"
#include "arch/x86_64/gdb_cpus.h"

#define NOP 0x90
#define INT3 0xcc
#define DR6_B(n) (1ULL << (n))

/* ---- the fake machine ---------------------------------------------------- */

static uint8_t text[64];
static uint64_t watched[2] __attribute__((aligned(8)));
static uint64_t dr[8];
static int releases;		/* the other CPUs let go */

int gdb_mem_accessible(uint64_t addr, size_t len)
{
	uint64_t base = (uint64_t)(uintptr_t)text;

	return addr >= base && len <= sizeof(text) &&
	       addr - base <= sizeof(text) - len;
}

void gdb_mem_poke(uint64_t addr, const void *buf, size_t len)
{
	assert_true(gdb_mem_accessible(addr, len));
	memcpy((void *)(uintptr_t)addr, buf, len);
}

void gdb_write_dr(int n, uint64_t v)
{
	assert_true(n >= 0 && n < 8);
	dr[n] = v;
}

void gdb_cpus_release(const uint64_t addr[4], uint64_t dr7)
{
	(void)addr;
	(void)dr7;
	releases++;
}

static uint64_t at(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/*
 * A stop at the software breakpoint at text[4], a write watchpoint on
 * watched[0] (slot 0), and gdb's continue: the stub steps over its own
 * breakpoint, int3 out, TF on.
 */
static void stopped_at_breakpoint_and_continued(struct trap_frame *tf)
{
	assert_int_equal(gdb_bp_insert(NULL, GDB_BP_SOFTWARE, at(text + 4), 1), 0);
	assert_int_equal(gdb_bp_insert(NULL, GDB_WP_WRITE, at(watched), 8), 0);
	memset(tf, 0, sizeof(*tf));
	tf->rip = at(text + 4);
	gdb_prepare_resume(tf, GDB_RESUME_CONTINUE);
	assert_true(tf->rflags & RFLAGS_TF);
	assert_int_equal(text[4], NOP);		/* out for the step */
	assert_int_equal(dr[0], at(watched));
	assert_true(dr[7] & 3);
}

/* Each case starts with empty tables (left as the last case left them). */
static int setup(void **state)
{
	struct trap_frame tf = { 0 };

	(void)state;
	/* a detach empties the tables and ends any step over */
	gdb_prepare_resume(&tf, GDB_RESUME_DETACH);
	for (int i = 0; i < 16; i++)
		gdb_finish_step_over(&tf, GDB_RESUME_DETACH, DR6_BS);
	gdb_bps_out();
	memset(text, NOP, sizeof(text));
	memset(dr, 0, sizeof(dr));
	releases = 0;
	return 0;
}

/*
 * The step over the breakpoint alone: the int3 goes back and the guest
 * carries on, gdb told nothing (it asked for a continue).
 */
static void test_step_over_is_silent(void **state)
{
	struct trap_frame tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
	assert_false(tf.rflags & RFLAGS_TF);
	/* a second #DB has no step over to finish */
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 0);
}

/*
 * The instruction under the breakpoint writes the watched word: the #DB
 * that ends the step says so too (BS and B0).  The stop is gdb's to hear
 * of, with the watchpoint; the step over carried on silently and the hit
 * was lost.
 */
static void test_watch_hit_in_step_over_reported(void **state)
{
	struct gdb_stub s;
	struct trap_frame tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS | DR6_B(0)), 0);
	assert_int_equal(text[4], INT3);	/* back all the same */
	memset(&s, 0, sizeof(s));
	gdb_note_watch_hit(&s, DR6_BS | DR6_B(0));
	assert_int_equal(s.watch_addr, at(watched));
	assert_int_equal(s.watch_type, GDB_WP_WRITE);
}

/*
 * A watchpoint hit without BS while the step over is pending: an
 * interrupt came before the stepped instruction ran, and its handler
 * hit it.  The hit is reported, and the step over still waits for its
 * own #DB: the int3 stays out until the instruction has run.
 */
static void test_watch_hit_before_the_step(void **state)
{
	struct trap_frame tf, irq_tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	memset(&irq_tf, 0, sizeof(irq_tf));
	assert_int_equal(gdb_finish_step_over(&irq_tf, GDB_RESUME_CONTINUE,
					      DR6_B(0)), 0);
	assert_int_equal(text[4], NOP);
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
}

/*
 * B0-B3 count only for a slot DR7 enables: the CPU may set Bn for one it
 * does not, and a slot gdb removed keeps its address and R/W bits.  Here
 * slot 0 (watched[0]) was removed and slot 1 (watched[1]) is in: B0 was
 * reported as a hit on watched[0], which gdb no longer watches.
 */
static void test_disabled_slot_not_a_hit(void **state)
{
	struct gdb_stub s;
	struct trap_frame tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	assert_int_equal(gdb_bp_insert(NULL, GDB_WP_WRITE, at(watched + 1), 8),
			 0);
	assert_int_equal(gdb_bp_remove(NULL, GDB_WP_WRITE, at(watched), 8), 0);

	memset(&s, 0, sizeof(s));
	gdb_note_watch_hit(&s, DR6_BS | DR6_B(0));
	assert_int_equal(s.watch_addr, 0);
	gdb_note_watch_hit(&s, DR6_B(0) | DR6_B(1));
	assert_int_equal(s.watch_addr, at(watched + 1));
	/* nor does it stop a step over: that one carries on */
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS | DR6_B(0)), 1);
	/* and a hit of it alone, after another CPU's turn, is stale */
	assert_int_equal(gdb_hw_hit_gone(DR6_B(0)), 1);
	assert_int_equal(gdb_hw_hit_gone(DR6_B(1)), 0);
}

/*
 * A stop of the platform's (gdb_target_trap()): the int3s out, gdb
 * served, and its resume request.
 */
static void stop_and_resume(struct trap_frame *tf, enum gdb_resume resume)
{
	gdb_bps_out();
	gdb_prepare_resume(tf, resume);
	gdb_resume_all();
}

/*
 * The step over is pending (the int3 at text[4] out, TF in A's frame)
 * when an interrupt comes before A's instruction has run; its handler
 * (code at text[20]) hits the watchpoint, a stop, and gdb steps the
 * handler.  That step's #DB (BS) is the handler's, not A's: it is gdb's
 * step, and A's int3 stays out.  It went back in, A then ran into it
 * and the same breakpoint was reported again.  Only A's own #DB, once
 * the handler has returned, ends the step over, silently; the other
 * CPUs stay parked until then.
 */
static void test_handler_step_is_not_the_step_over(void **state)
{
	struct trap_frame tf, irq_tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	gdb_resume_all();
	memset(&irq_tf, 0, sizeof(irq_tf));
	irq_tf.rip = at(text + 20);
	assert_int_equal(gdb_finish_step_over(&irq_tf, GDB_RESUME_CONTINUE,
					      DR6_B(0)), 0);
	stop_and_resume(&irq_tf, GDB_RESUME_STEP);
	assert_true(irq_tf.rflags & RFLAGS_TF);
	assert_int_equal(text[4], NOP);

	irq_tf.rip++;
	assert_int_equal(gdb_finish_step_over(&irq_tf, GDB_RESUME_STEP,
					      DR6_BS), 0);
	assert_int_equal(text[4], NOP);		/* A has not run it yet */
	stop_and_resume(&irq_tf, GDB_RESUME_CONTINUE);
	assert_false(irq_tf.rflags & RFLAGS_TF);
	assert_int_equal(text[4], NOP);
	assert_int_equal(releases, 0);

	/* the handler returns; A runs its instruction */
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
	assert_false(tf.rflags & RFLAGS_TF);
	gdb_resume_all();
	assert_int_equal(releases, 1);
}

/*
 * As above, then gdb detaches while stopped in the handler: A's step over
 * still ends silently with A's own #DB, its breakpoint dropped with the
 * rest, and the other CPUs go.  Before, the int3 came back at the
 * handler's step and A's #DB, with no step over pending, stopped the
 * guest for a gdb that had gone.
 */
static void test_detach_in_handler_during_step_over(void **state)
{
	struct trap_frame tf, irq_tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	memset(&irq_tf, 0, sizeof(irq_tf));
	irq_tf.rip = at(text + 20);
	stop_and_resume(&irq_tf, GDB_RESUME_STEP);
	irq_tf.rip++;
	assert_int_equal(gdb_finish_step_over(&irq_tf, GDB_RESUME_STEP,
					      DR6_BS), 0);
	stop_and_resume(&irq_tf, GDB_RESUME_DETACH);
	assert_false(irq_tf.rflags & RFLAGS_TF);
	assert_int_equal(dr[7], 0);
	assert_int_equal(releases, 0);

	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_DETACH,
					      DR6_BS), 1);
	assert_false(tf.rflags & RFLAGS_TF);
	assert_int_equal(text[4], NOP);
	assert_false(gdb_bp_at(at(text + 4)));
	gdb_resume_all();
	assert_int_equal(releases, 1);
}

/*
 * The handler stops at a breakpoint of its own (text[20]) while A's
 * step over is pending: it is stepped over too, and A's still waits for
 * A's #DB.  The handler's took the place of A's, whose #DB then came
 * with no step over pending and stopped the guest with a SIGTRAP gdb
 * never asked for.
 */
static void test_handler_breakpoint_during_step_over(void **state)
{
	struct trap_frame tf, irq_tf;

	(void)state;
	assert_int_equal(gdb_bp_insert(NULL, GDB_BP_SOFTWARE, at(text + 20), 1),
			 0);
	stopped_at_breakpoint_and_continued(&tf);
	assert_int_equal(text[20], INT3);
	memset(&irq_tf, 0, sizeof(irq_tf));
	irq_tf.rip = at(text + 20);		/* after the int3, rip-- */
	stop_and_resume(&irq_tf, GDB_RESUME_CONTINUE);
	assert_true(irq_tf.rflags & RFLAGS_TF);
	assert_int_equal(text[4], NOP);
	assert_int_equal(text[20], NOP);

	irq_tf.rip++;
	assert_int_equal(gdb_finish_step_over(&irq_tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_false(irq_tf.rflags & RFLAGS_TF);
	assert_int_equal(text[20], INT3);
	assert_int_equal(text[4], NOP);
	gdb_resume_all();
	assert_int_equal(releases, 0);

	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
	gdb_resume_all();
	assert_int_equal(releases, 1);
}

/*
 * A stop in A's own frame before its instruction has run: the host's
 * debug IPI taken there (its frame is where A's was), or gdb's step of
 * the handler's iret back to A, or the handler's step over a breakpoint
 * on that iret.  A is still to step over its
 * breakpoint: one step over, ended by A's #DB, none left behind to
 * hold the other CPUs parked for ever.
 */
static void test_stop_before_the_step_in_its_frame(void **state)
{
	struct trap_frame tf, irq_tf;

	(void)state;
	stopped_at_breakpoint_and_continued(&tf);
	stop_and_resume(&tf, GDB_RESUME_CONTINUE);	/* the IPI's stop */
	assert_true(tf.rflags & RFLAGS_TF);
	assert_int_equal(text[4], NOP);
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 0);
	gdb_resume_all();
	assert_int_equal(releases, 1);

	/* the handler's iret, stepped: its #DB comes in A's frame */
	setup(NULL);
	stopped_at_breakpoint_and_continued(&tf);
	memset(&irq_tf, 0, sizeof(irq_tf));
	irq_tf.rip = at(text + 20);
	stop_and_resume(&irq_tf, GDB_RESUME_STEP);
	tf.rflags |= RFLAGS_TF;			/* A's, iret restored it */
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_STEP,
					      DR6_BS), 0);
	assert_int_equal(text[4], NOP);
	stop_and_resume(&tf, GDB_RESUME_CONTINUE);
	assert_true(tf.rflags & RFLAGS_TF);
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
	gdb_resume_all();
	assert_int_equal(releases, 1);

	/*
	 * The handler's own step over a breakpoint on its iret: silent, and
	 * A's TF, which that iret restored, stays for A's step.
	 */
	setup(NULL);
	assert_int_equal(gdb_bp_insert(NULL, GDB_BP_SOFTWARE, at(text + 20), 1),
			 0);
	stopped_at_breakpoint_and_continued(&tf);
	memset(&irq_tf, 0, sizeof(irq_tf));
	irq_tf.rip = at(text + 20);
	stop_and_resume(&irq_tf, GDB_RESUME_CONTINUE);
	tf.rflags |= RFLAGS_TF;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_true(tf.rflags & RFLAGS_TF);
	assert_int_equal(text[20], INT3);
	assert_int_equal(text[4], NOP);
	tf.rip++;
	assert_int_equal(gdb_finish_step_over(&tf, GDB_RESUME_CONTINUE,
					      DR6_BS), 1);
	assert_int_equal(text[4], INT3);
	gdb_resume_all();
	assert_int_equal(releases, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_step_over_is_silent, setup),
		cmocka_unit_test_setup(test_watch_hit_in_step_over_reported,
				       setup),
		cmocka_unit_test_setup(test_watch_hit_before_the_step, setup),
		cmocka_unit_test_setup(test_disabled_slot_not_a_hit, setup),
		cmocka_unit_test_setup(test_handler_step_is_not_the_step_over,
				       setup),
		cmocka_unit_test_setup(test_detach_in_handler_during_step_over,
				       setup),
		cmocka_unit_test_setup(test_handler_breakpoint_during_step_over,
				       setup),
		cmocka_unit_test_setup(test_stop_before_the_step_in_its_frame,
				       setup),
	};

	return cmocka_run_group_tests_name("gdbstub_breakpoints", tests, NULL,
					   NULL);
}
