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
	gdb_finish_step_over(&tf, GDB_RESUME_DETACH, DR6_BS);
	gdb_bps_out();
	memset(text, NOP, sizeof(text));
	memset(dr, 0, sizeof(dr));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_step_over_is_silent, setup),
		cmocka_unit_test_setup(test_watch_hit_in_step_over_reported,
				       setup),
		cmocka_unit_test_setup(test_watch_hit_before_the_step, setup),
		cmocka_unit_test_setup(test_disabled_slot_not_a_hit, setup),
	};

	return cmocka_run_group_tests_name("gdbstub_breakpoints", tests, NULL,
					   NULL);
}
