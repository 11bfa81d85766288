/*
 * kspawnctl's bad command lines: each says in one line what is wrong,
 * then a short usage hint (the command's synopsis, not its whole help),
 * with status 2.  The device is a fake (ctl_fake.h) under kspawnctl's
 * whole command line.
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

static int reset(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Status 2; stderr's first line is "kspawnctl: WHY", then the usage of
 * cmd in a few lines; the device never opened.
 */
static void refused(const char *why, const char *cmd, int rc)
{
	char first[256], hint[64];

	assert_int_equal(rc, EXIT_USAGE);
	snprintf(first, sizeof(first), "kspawnctl: %s\n", why);
	if (strncmp(err, first, strlen(first)))
		fail_msg("stderr is \"%s\", not first \"%s\"", err, first);
	snprintf(hint, sizeof(hint), "usage: kspawnctl %s", cmd);
	has(err, hint);
	if (lines(err) > 6)
		fail_msg("stderr is %d lines, not a short hint: \"%s\"",
			 lines(err), err);
	assert_int_equal(fake.opens, 0);
}

static void status_args(void **state)
{
	(void)state;
	refused("status: one instance ID only ('5' and '6')", "status",
		ctl("status", "5", "6"));
	refused("status: which instance? (an ID from kspawnctl list)",
		"status", ctl("status"));
	refused("status: unknown option '--bogus'", "status",
		ctl("status", "5", "--bogus"));
}

static void console_args(void **state)
{
	(void)state;
	refused("console: unknown option '--bogus'", "console",
		ctl("console", "1", "--bogus"));
	refused("console: which instance? (an ID from kspawnctl list)",
		"console", ctl("console", "-f"));
	refused("stop: one instance ID only ('1' and '2')", "stop",
		ctl("stop", "1", "2"));
}

/* A global option after the command: where it goes is said. */
static void global_after_command(void **state)
{
	(void)state;
	refused("list: --json goes before the command (kspawnctl --json list ...)",
		"list", ctl("list", "--json"));
	refused("status: --device goes before the command (kspawnctl --device PATH status ...)",
		"status", ctl("status", "7", "--device", "/dev/x"));
	refused("list: takes no arguments ('7')", "list", ctl("list", "7"));
	refused("run: --json goes before the command (kspawnctl --json run ...)",
		"run", ctl("run", image_path, "--json"));
	refused("run: --device goes before the command (kspawnctl --device PATH run ...)",
		"run", ctl("run", image_path, "--device", "/dev/null"));
	refused("run: --device goes before the command (kspawnctl --device PATH run ...)",
		"run", ctl("run", image_path, "--device=/dev/null"));
}

/*
 * --json after a command that prints no JSON: not sent before the
 * command, where it is refused all the same, but refused outright.
 */
static void json_after_command_without_json(void **state)
{
	static const char *const cmds[] = { "reserve", "gdb", "stop" };
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(why, sizeof(why),
			 "%s: --json is for run, status and list only", cmds[i]);
		refused(why, cmds[i], ctl(cmds[i], "2", "--json"));
	}
}

static void gdb_args(void **state)
{
	(void)state;
	refused("gdb: --listen needs a value", "gdb",
		ctl("gdb", "1", "--listen"));
	refused("gdb: --listen or --tty, not both", "gdb",
		ctl("gdb", "1", "--listen", "1234", "--tty", "/dev/null"));
	refused("gdb: which instance? (an ID from kspawnctl list)", "gdb",
		ctl("gdb", "--listen", "1234"));
	refused("gdb: unknown option '--bogus'", "gdb",
		ctl("gdb", "1", "--bogus"));
	/* An unset variable ("$tty"), said as --disk's and IMAGE's are. */
	refused("gdb: --tty needs a path, not an empty word", "gdb",
		ctl("gdb", "1", "--tty", ""));
	refused("gdb: --tty needs a path, not an empty word", "gdb",
		ctl("gdb", "1", "--tty="));
}

/* One value per option: a second is refused, not taken instead. */
static void given_twice(void **state)
{
	(void)state;
	refused("gdb: --listen given twice", "gdb",
		ctl("gdb", "1", "--listen", "1234", "--listen", "1235"));
	refused("gdb: --tty given twice", "gdb",
		ctl("gdb", "1", "--tty", "/dev/null", "--tty=/dev/null"));
	/* A global option: the whole synopsis follows, as for any. */
	assert_int_equal(ctl("--device", "/dev/a", "--device", "/dev/b", "list"),
			 EXIT_USAGE);
	if (strncmp(err, "kspawnctl: --device given twice\n", 32))
		fail_msg("stderr does not start with the reason: \"%s\"", err);
	assert_int_equal(fake.opens, 0);
	refused("run: --mem given twice", "run",
		ctl("run", image_path, "--mem", "16M", "--mem", "2G"));
}

static void pool_args(void **state)
{
	(void)state;
	refused("reserve: which CPUs? (a list like 2-3,5)", "reserve",
		ctl("reserve"));
	refused("release: one CPU list only ('1' and '2': 1,2 is both)",
		"release", ctl("release", "1", "2"));
}

/*
 * One limit on CPU numbers everywhere (CTL_MAX_CPUS), and a number over
 * it said as that, not as something that is no CPU number or list.
 */
static void cpus_out_of_range(void **state)
{
	(void)state;
	refused("reserve: CPU 1024 is out of range (at most 1023)", "reserve",
		ctl("reserve", "1024"));
	refused("release: CPU 99999 is out of range (at most 1023)", "release",
		ctl("release", "2,99999"));
	refused("reserve: CPU 123456789012345678901234567890 is out of range (at most 1023)",
		"reserve", ctl("reserve", "1-123456789012345678901234567890"));
	refused("run: --cpu: CPU 99999 is out of range (at most 1023)", "run",
		ctl("run", image_path, "--cpu", "99999"));
	refused("run: --cpu: CPU 1024 is out of range (at most 1023)", "run",
		ctl("run", image_path, "--cpu", "1024"));
	refused("run: --cpus: CPU 4000 is out of range (at most 1023)", "run",
		ctl("run", image_path, "--cpus", "2,4000"));
	refused("run: --doorbell-cpu: CPU 4095 is out of range (at most 1023)",
		"run", ctl("run", image_path, "--doorbell-cpu", "4095"));
	/* Malformed is still that. */
	refused("reserve: '1024,' is not a CPU list (like 2-3,5)", "reserve",
		ctl("reserve", "1024,"));
	refused("run: --cpu wants a CPU number, not '99999x'", "run",
		ctl("run", image_path, "--cpu", "99999x"));
}

/* run says why (run_args.c), then its synopsis, not all its help. */
static void run_args(void **state)
{
	(void)state;
	refused("run: which image? (kspawnctl run IMAGE)", "run", ctl("run"));
	hasnt(err, "--no-verify     skip");
}

/* --json where nothing is printed as JSON: refused, not ignored. */
static void json_where_meaningless(void **state)
{
	static const char *const cmds[] = {
		"console", "stop", "gdb", "reserve", "release",
	};
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(why, sizeof(why),
			 "%s: --json is for run, status and list only", cmds[i]);
		refused(why, cmds[i], ctl("--json", cmds[i], "7"));
	}
}

/* Numbers are digits: no space, sign or trailing comma slips by. */
static void numbers_strict(void **state)
{
	(void)state;
	refused("status: ' 5' is not an instance ID (a number from kspawnctl list)",
		"status", ctl("status", " 5"));
	refused("stop: '+3' is not an instance ID (a number from kspawnctl list)",
		"stop", ctl("stop", "+3"));
	refused("console: '5 ' is not an instance ID (a number from kspawnctl list)",
		"console", ctl("console", "5 "));
	refused("reserve: '2,' is not a CPU list (like 2-3,5)", "reserve",
		ctl("reserve", "2,"));
	refused("release: ' 2' is not a CPU list (like 2-3,5)", "release",
		ctl("release", " 2"));
	/* A negative number is no ID or CPU list, not an unknown option. */
	refused("status: '-1' is not an instance ID (a number from kspawnctl list)",
		"status", ctl("status", "-1"));
	refused("stop: '-5' is not an instance ID (a number from kspawnctl list)",
		"stop", ctl("stop", "-5", "--force"));
	refused("gdb: '-1' is not an instance ID (a number from kspawnctl list)",
		"gdb", ctl("gdb", "-1"));
	refused("reserve: '-1' is not a CPU list (like 2-3,5)", "reserve",
		ctl("reserve", "-1"));
	refused("list: takes no arguments ('-1')", "list", ctl("list", "-1"));
	assert_int_equal(ctl("gdb", "7", "--listen", "+1234"), EXIT_USAGE);
	has(err, "gdb: --listen wants [ADDR:]PORT");
	assert_int_equal(ctl("gdb", "7", "--listen", "127.0.0.1: 1234"),
			 EXIT_USAGE);
	assert_int_equal(ctl("run", image_path, "--cpu", "+1"), EXIT_USAGE);
	has(err, "run: --cpu wants a CPU number, not '+1'");
	assert_int_equal(ctl("run", image_path, "--doorbell-cpu", " 0"),
			 EXIT_USAGE);
	has(err, "run: --doorbell-cpu wants a CPU number, not ' 0'");
	assert_int_equal(fake.opens, 0);
}

/*
 * A lone '-' is an operand (stdin, by custom), not an unknown option: said
 * as the ID, CPU list or image it stands for (before: "unknown option
 * '-'", as if it were a misspelt flag).  kspawnctl reads no image from
 * stdin; `run -- -` is a file named '-'.
 */
static void dash_is_no_option(void **state)
{
	(void)state;
	refused("status: '-' is not an instance ID (a number from kspawnctl list)",
		"status", ctl("status", "-"));
	refused("stop: one instance ID only ('5' and '-')", "stop",
		ctl("stop", "5", "-"));
	refused("gdb: '-' is not an instance ID (a number from kspawnctl list)",
		"gdb", ctl("gdb", "-"));
	refused("reserve: '-' is not a CPU list (like 2-3,5)", "reserve",
		ctl("reserve", "-"));
	refused("list: takes no arguments ('-')", "list", ctl("list", "-"));
	refused("run: IMAGE '-': kspawnctl reads the image from a file, not from stdin (-- - for a file named '-')",
		"run", ctl("run", "-"));
	refused("run: one image only ('/x' and '-')", "run",
		ctl("run", "/x", "-"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(status_args, reset),
		cmocka_unit_test_setup(console_args, reset),
		cmocka_unit_test_setup(global_after_command, reset),
		cmocka_unit_test_setup(json_after_command_without_json, reset),
		cmocka_unit_test_setup(gdb_args, reset),
		cmocka_unit_test_setup(pool_args, reset),
		cmocka_unit_test_setup(given_twice, reset),
		cmocka_unit_test_setup(run_args, reset),
		cmocka_unit_test_setup(cpus_out_of_range, reset),
		cmocka_unit_test_setup(json_where_meaningless, reset),
		cmocka_unit_test_setup(numbers_strict, reset),
		cmocka_unit_test_setup(dash_is_no_option, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
