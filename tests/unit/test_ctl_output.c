/*
 * What kspawnctl prints must reach its stdout, or it says so and fails:
 * `kspawnctl run IMG > /dev/full` must not exit 0 having lost the new
 * instance's ID, and the guest it started is not left running unknown:
 * run stops it again (and says which it was if that fails too).  The
 * same for what status, list --json, console, --help and --version print.
 * The device is a fake (ctl_fake.h); /dev/full is the full disk.
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
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/ctl_fake.h"

#define FULL "/dev/full"

static int reset(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* The ID is lost: the guest is stopped again, and that is said. */
static void run_id_lost(void **state)
{
	(void)state;
	fake.there = 0;
	assert_int_equal(ctl_to(FULL, "run", image_path, NULL), EXIT_FAIL);
	has(err, "kspawnctl: writing output: No space left on device");
	has(err, "instance 7");
	assert_int_equal(fake.spawns, 1);
	assert_int_equal(fake.stops, 1);
	assert_false(fake.there);
}

/* And if it cannot be stopped, which instance is still running. */
static void run_id_lost_stop_fails(void **state)
{
	(void)state;
	fake.there = 0;
	fake.stop_err = -EBUSY;
	assert_int_equal(ctl_to(FULL, "--json", "run", image_path, NULL),
			 EXIT_FAIL);
	has(err, "writing output: No space left on device");
	has(err, "instance 7 is still running");
	has(err, "kspawnctl stop 7");
}

static void status_output_lost(void **state)
{
	(void)state;
	assert_int_equal(ctl_to(FULL, "status", "7", NULL), EXIT_FAIL);
	has(err, "kspawnctl: writing output: No space left on device");
	assert_int_equal(ctl_to(FULL, "--json", "status", "7", NULL),
			 EXIT_FAIL);
	has(err, "writing output: No space left on device");
}

static void list_output_lost(void **state)
{
	(void)state;
	assert_int_equal(ctl_to(FULL, "--json", "list", NULL), EXIT_FAIL);
	has(err, "writing output: No space left on device");
	assert_int_equal(ctl_to(FULL, "list", NULL), EXIT_FAIL);
	has(err, "writing output: No space left on device");
}

static void help_and_version_lost(void **state)
{
	(void)state;
	assert_int_equal(ctl_to(FULL, "--help", NULL), EXIT_FAIL);
	has(err, "writing output: No space left on device");
	assert_int_equal(ctl_to(FULL, "--version", NULL), EXIT_FAIL);
	has(err, "writing output: No space left on device");
	assert_int_equal(ctl_to(FULL, "help", "run", NULL), EXIT_FAIL);
	has(err, "writing output: No space left on device");
}

/* The guest's console: said once, not as the device's error. */
static void console_output_lost(void **state)
{
	(void)state;
	fake.console = "hello from the guest\n";
	assert_int_equal(ctl_to(FULL, "console", "7", NULL), EXIT_FAIL);
	has(err, "kspawnctl: writing output: No space left on device");
	hasnt(err, "console: No space left");
}

/* Following: it ends there, rather than read a guest nobody sees. */
static void console_follow_output_lost(void **state)
{
	(void)state;
	fake.console = "hello from the guest\n";
	assert_int_equal(ctl_to(FULL, "console", "7", "--follow", NULL),
			 EXIT_FAIL);
	has(err, "writing output: No space left on device");
}

/* Written, all is as before. */
static void written(void **state)
{
	(void)state;
	fake.there = 0;
	assert_int_equal(ctl("run", image_path), EXIT_OK);
	assert_string_equal(out, "7\n");
	assert_string_equal(err, "");
	assert_int_equal(fake.stops, 0);
	assert_int_equal(ctl("--version"), EXIT_OK);
	has(out, "kspawnctl ");
}

/*
 * A closed pipe (kspawnctl list | head -0) is "writing output: Broken
 * pipe" and status 1, from every command that prints, not a death by
 * SIGPIPE (141): each runs in a child, so such a death is the child's.
 */
static void closed_pipe(void **state)
{
	static const char *const cmds[][3] = {
		{ "list" }, { "status", "7" }, { "--json", "status", "7" },
		{ "console", "7" }, { "--version" }, { "--help" },
		{ "run", NULL },
	};
	void (*was)(int);
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	/* As a shell starts it (run, in this process, ignored it before). */
	was = signal(SIGPIPE, SIG_DFL);
	ctl_forked = 1;
	ctl_stdout_fd = p[1];
	fake.console = "hello from the guest\n";
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *a = cmds[i][0], *b = cmds[i][1], *c = cmds[i][2];
		int rc;

		if (!strcmp(a, "run"))
			b = image_path;
		rc = ctl(a, b, c);
		if (rc != EXIT_FAIL || !strstr(err, "writing output: Broken pipe"))
			fail_msg("kspawnctl %s %s: status %d, stderr \"%s\"",
				 a, b ? b : "", rc, err);
	}
	signal(SIGPIPE, was);
	close(p[1]);
}

/*
 * kspawnctl ARG... (NULL-terminated) in a child with its stdout closed, as
 * `kspawnctl list >&-` starts it: its exit status, its stderr in err[].
 */
static int ctl_stdout_closed(const char *arg, ...)
{
	char *argv[8] = { "kspawnctl" };
	int argc = 1, status;
	FILE *e = tmpfile();
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	for (const char *a = arg; a && argc < 7; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	assert_non_null(e);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fileno(e), 2);
		fseek(stdout, 0, SEEK_END);	/* as ctl_to() leaves it */
		close(1);
		_exit(ctl_main(argc, argv));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	slurp(e, err, sizeof(err));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * A closed stdout is said as that, not as what the next open took its
 * place: the device, whose write says EINVAL ("writing output: Invalid
 * argument"), and run stops the guest whose ID it could not write.
 */
static void closed_stdout(void **state)
{
	(void)state;
	fake.open_fd = 1;
	assert_int_equal(ctl_stdout_closed("status", "7", NULL), EXIT_FAIL);
	has(err, "writing output: Bad file descriptor");
	fake.console = "hello from the guest\n";
	assert_int_equal(ctl_stdout_closed("console", "7", "--follow", NULL),
			 EXIT_FAIL);
	has(err, "writing output: Bad file descriptor");
	fake.there = 0;
	assert_int_equal(ctl_stdout_closed("run", image_path, NULL), EXIT_FAIL);
	has(err, "writing output: Bad file descriptor");
	has(err, "instance 7 stopped again");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(run_id_lost, reset),
		cmocka_unit_test_setup(run_id_lost_stop_fails, reset),
		cmocka_unit_test_setup(status_output_lost, reset),
		cmocka_unit_test_setup(list_output_lost, reset),
		cmocka_unit_test_setup(help_and_version_lost, reset),
		cmocka_unit_test_setup(console_output_lost, reset),
		cmocka_unit_test_setup(console_follow_output_lost, reset),
		cmocka_unit_test_setup(written, reset),
		cmocka_unit_test_setup(closed_pipe, reset),
		cmocka_unit_test_setup(closed_stdout, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
