/*
 * kspawnctl console --input: stdin reaches the guest's console input, all
 * of it and in order, however little the ring takes at a time (a guest
 * that reads slowly, or not yet); the console is printed meanwhile; stdin's
 * end stops the sending, not the following; input read from stdin that
 * the guest never took is counted on stderr, not dropped silently; and a
 * stdin that fails is said, with status 1.  The device is a fake
 * (ctl_fake.h): its console input takes in_room bytes a write.
 *
 * unit-sources: host/ctl/cli.c host/ctl/errors.c host/ctl/args.c
 * unit-sources: host/ctl/output.c host/ctl/usage.c host/ctl/run_args.c
 * unit-sources: host/ctl/cmd_run.c host/ctl/spawn.c host/ctl/cmd_status.c host/ctl/cmd_stop.c
 * unit-sources: host/ctl/cmd_console.c host/ctl/cmd_gdb.c host/ctl/cmd_reserve.c
 * unit-sources: host/ctl/term_text.c
 * unit-sources: host/ctl/cpus.c host/ctl/image.c host/ctl/json.c
 * unit-sources: host/ctl/states.c host/ctl/kmsg.c host/ctl/gdb_break.c
 * unit-sources: host/loader/elf_check.c guest/gdbstub/rsp.c
 * unit-sources: host/ctl/peer_uid.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/ctl_fake.h"

static char input[10000];
static size_t halt_at;		/* the guest halts once it took this much */
static int statuses, halt_after;	/* or after this many status looks */

/* A follow that never ends is a failure, not a hang: */
#define RUNAWAY 500		/* status looks, at most 20 ms apart */

static void on_status(void)
{
	if ((halt_at && fake.in_len >= halt_at) ||
	    ++statuses >= (halt_after ? halt_after : RUNAWAY))
		fake.guest_state = KSPAWN_GUEST_HALTED;
}

static int reset(void **state)
{
	(void)state;
	fake_reset();
	fake.on_status = on_status;
	halt_at = 0;
	statuses = 0;
	halt_after = 0;
	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
	return 0;
}

/* kspawnctl console 7 FLAG with the first n bytes of input on stdin. */
static int console_with_input(const char *flag, size_t n)
{
	FILE *f = tmpfile();
	int keep = dup(0), rc;

	assert_true(f && keep >= 0);
	assert_int_equal(fwrite(input, 1, n, f), n);
	fflush(f);
	rewind(f);
	dup2(fileno(f), 0);
	rc = ctl("console", "7", flag);
	dup2(keep, 0);
	close(keep);
	fclose(f);
	return rc;
}

/* A ring that takes 300 bytes a write, nothing at first: all of it. */
static void test_input_all_sent(void **state)
{
	(void)state;
	fake.in_room = 300;
	fake.in_stalls = 3;
	fake.console = "lineecho: ready\n";
	halt_at = sizeof(input);
	assert_int_equal(console_with_input("--input", sizeof(input)), 0);
	assert_int_equal(fake.in_len, sizeof(input));
	assert_memory_equal(fake.in, input, sizeof(input));
	has(out, "lineecho: ready\n");
	hasnt(err, "did not read");
}

/* -i is --input; an empty stdin follows all the same, sending nothing. */
static void test_input_empty(void **state)
{
	(void)state;
	fake.console = "banner\n";
	halt_after = 5;
	assert_int_equal(console_with_input("-i", 0), 0);
	assert_int_equal(fake.in_len, 0);
	assert_int_equal(statuses, 5);
	has(out, "banner\n");
	assert_string_equal(err, "");
}

/*
 * A guest that takes 100 bytes and halts: kspawnctl read 1 KiB of stdin
 * at once, so 924 bytes of it were never taken, and it says so.
 */
static void test_input_left_unread(void **state)
{
	(void)state;
	fake.in_max = 100;
	halt_after = 20;
	assert_int_equal(console_with_input("--input", 5000), 0);
	assert_int_equal(fake.in_len, 100);
	assert_memory_equal(fake.in, input, 100);
	has(err, "instance 7 took no more input: 924 bytes read from stdin were not sent");
}

/* A stdin that cannot be read (a directory): said, and status 1. */
static void test_input_stdin_fails(void **state)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY), keep = dup(0), rc;

	(void)state;
	assert_true(dir >= 0 && keep >= 0);
	halt_after = 5;
	dup2(dir, 0);
	rc = ctl("console", "7", "--input");
	dup2(keep, 0);
	close(keep);
	close(dir);
	assert_int_equal(rc, 1);
	has(err, "console: reading stdin: Is a directory; no more input sent");
	assert_int_equal(fake.in_len, 0);
}

/* Without --input nothing is read from stdin or sent. */
static void test_follow_sends_nothing(void **state)
{
	(void)state;
	halt_after = 3;
	assert_int_equal(console_with_input("--follow", 5000), 0);
	assert_int_equal(fake.in_writes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_input_all_sent, reset),
		cmocka_unit_test_setup(test_input_empty, reset),
		cmocka_unit_test_setup(test_input_left_unread, reset),
		cmocka_unit_test_setup(test_input_stdin_fails, reset),
		cmocka_unit_test_setup(test_follow_sends_nothing, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
