/*
 * kspawnctl's exit statuses, the same for the same thing everywhere:
 * --help anywhere on a command's line is its help (0); `help BOGUS` is an
 * unknown command (2); Ctrl-C on console --follow is 130 and a SIGTERM
 * 143 (128 + the signal, as a shell says it), and a Ctrl-C the caller
 * ignores stays ignored; an image that is no file
 * (a directory, a FIFO, refused without waiting for a writer)
 * is a bad image (5), one that cannot be read a failure (1), its path said
 * once; and reserve of a reserved CPU fails as release of one not
 * reserved does (1).  (gdb's Ctrl-C: test_ctl_gdb.c.)  The device is a
 * fake (ctl_fake.h) under kspawnctl's whole command line.
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
#define _GNU_SOURCE		/* F_GETPIPE_SZ */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

/* Help, whatever else is on the line; nothing done. */
static void helped(const char *cmd, int rc)
{
	char want[64];

	assert_int_equal(rc, EXIT_OK);
	snprintf(want, sizeof(want), "usage: kspawnctl %s", cmd);
	has(out, want);
	assert_string_equal(err, "");
	assert_int_equal(fake.opens, 0);
	assert_int_equal(fake.spawns, 0);
}

static void help_anywhere(void **state)
{
	(void)state;
	helped("status", ctl("status", "5", "--help"));
	helped("status", ctl("status", "5", "6", "--help"));
	helped("console", ctl("console", "5", "--help"));
	helped("stop", ctl("stop", "-h", "5"));
	helped("list", ctl("list", "x", "--help"));
	helped("reserve", ctl("reserve", "1", "--help"));
	helped("release", ctl("release", "--help", "1"));
	helped("gdb", ctl("gdb", "1", "--listen", "5", "--help"));
	helped("run", ctl("run", image_path, "--mem", "16M", "--help"));
	helped("run", ctl("run", "--bogus", "--help"));
	/* An option's value is that, even when it reads --help. */
	assert_int_equal(ctl("run", image_path, "--cmdline", "--help"),
			 EXIT_OK);
	assert_int_equal(fake.spawns, 1);
}

static void help_unknown_command(void **state)
{
	(void)state;
	assert_int_equal(ctl("help", "bogus"), EXIT_USAGE);
	has(err, "kspawnctl: help: unknown command 'bogus'");
	assert_string_equal(out, "");
	assert_int_equal(ctl("help", "run"), EXIT_OK);
	has(out, "usage: kspawnctl run IMAGE");
	assert_int_equal(ctl("help"), EXIT_OK);
	has(out, "EXIT STATUS");
}

/* stderr starts with the reason no command is. */
static void why_first(void)
{
	static const char why[] = "kspawnctl: which command? (kspawnctl help)\n";

	if (strncmp(err, why, sizeof(why) - 1))
		fail_msg("stderr does not start with the reason: \"%s\"", err);
}

/* No command: why first, then the synopsis; status 2. */
static void no_command(void **state)
{
	(void)state;
	assert_int_equal(ctl_to(NULL, (char *)NULL), EXIT_USAGE);
	why_first();
	has(err, "usage: kspawnctl");
	assert_int_equal(ctl("--json"), EXIT_USAGE);
	why_first();
	assert_int_equal(fake.opens, 0);
}

/* help's own -h, --help and help are help, not an unknown command. */
static void help_help(void **state)
{
	(void)state;
	assert_int_equal(ctl("help", "--help"), EXIT_OK);
	has(out, "EXIT STATUS");
	assert_string_equal(err, "");
	assert_int_equal(ctl("help", "-h"), EXIT_OK);
	has(out, "EXIT STATUS");
	assert_string_equal(err, "");
	assert_int_equal(ctl("help", "run", "--help"), EXIT_OK);
	has(out, "usage: kspawnctl run IMAGE");
	assert_string_equal(err, "");
	/* help is a command the synopsis names: help help is its help. */
	assert_int_equal(ctl("help", "help"), EXIT_OK);
	has(out, "EXIT STATUS");
	assert_string_equal(err, "");
}

/*
 * --help and -h before the command are help's: a command after them is
 * its help, as `help COMMAND` gives it (before, the whole manual, the
 * command ignored); a bogus one is refused as help refuses it.
 */
static void help_option_command(void **state)
{
	(void)state;
	helped("stop", ctl("--help", "stop"));
	hasnt(out, "EXIT STATUS");
	helped("status", ctl("-h", "status"));
	helped("list", ctl("--json", "--help", "list"));
	helped("run", ctl("--help", "run", "--help"));
	/* The other global options may come after it, as before any command. */
	helped("list", ctl("--help", "--json", "list"));
	helped("stop", ctl("-h", "--device", "/dev/x", "stop"));
	assert_int_equal(ctl("--help", "--json"), EXIT_OK);
	has(out, "EXIT STATUS");
	assert_int_equal(ctl("--help", "--version"), EXIT_OK);
	has(out, "EXIT STATUS");
	assert_int_equal(ctl("--help", "bogus"), EXIT_USAGE);
	has(err, "kspawnctl: help: unknown command 'bogus'");
	assert_string_equal(out, "");
	/*
	 * A command line made --help by putting it in front is that
	 * command's help, whatever follows (before: "one command only").
	 */
	helped("run", ctl("--help", "run", "--mem", "16M"));
	helped("run", ctl("--help", "run", "stop"));
	/* The help command itself still takes one command only. */
	assert_int_equal(ctl("help", "run", "stop"), EXIT_USAGE);
	has(err, "kspawnctl: help: one command only ('run' and 'stop')");
	assert_string_equal(out, "");
	assert_int_equal(fake.opens, 0);
}

/* A stray word's reason, first on stderr, then the synopsis; status 2. */
static void refused_alone(int rc, const char *why)
{
	assert_int_equal(rc, EXIT_USAGE);
	if (strncmp(err, why, strlen(why)) || err[strlen(why)] != '\n')
		fail_msg("stderr does not start with \"%s\": \"%s\"", why, err);
	has(err, "usage: kspawnctl");
	assert_string_equal(out, "");
	assert_int_equal(fake.opens, 0);
}

/*
 * --version is the whole command line: a word after it (a typo, a
 * command) is refused, not dropped (before: the version, status 0, and
 * `kspawnctl --version stop 5` stopped nothing); --json with it too,
 * which would otherwise read as JSON asked for and text given.
 */
static void version_alone(void **state)
{
	(void)state;
	assert_int_equal(ctl("--version"), EXIT_OK);
	has(out, "kspawnctl ");
	assert_string_equal(err, "");
	refused_alone(ctl("--version", "stop", "5"),
		      "kspawnctl: --version takes no arguments ('stop')");
	/* Help wins either way round (before: --version --help refused). */
	assert_int_equal(ctl("--version", "--help"), EXIT_OK);
	has(out, "EXIT STATUS");
	assert_string_equal(err, "");
	/* A lone '-' is a word: no command by that name. */
	refused_alone(ctl("-"), "kspawnctl: unknown command '-'");
	refused_alone(ctl("--json", "--version"),
		      "kspawnctl: --json is for run, status and list only");
	assert_int_equal(ctl("--device", "/dev/x", "--version"), EXIT_OK);
}

/*
 * "--" ends the options, getopt's way, before the command as after it:
 * every word after it is an operand (before: only run took it; anywhere
 * else "unknown option '--'", though --help already stopped looking for
 * -h at it).  A second "--" is an operand; --version still takes nothing.
 */
static void dashdash_ends_options(void **state)
{
	(void)state;
	helped("run", ctl("help", "--", "run"));
	helped("run", ctl("--help", "--", "run"));
	assert_int_equal(ctl("--", "list"), EXIT_OK);
	has(out, "CMDLINE");
	assert_int_equal(ctl("--json", "--", "list"), EXIT_OK);
	has(out, "[");
	assert_int_equal(ctl("list", "--"), EXIT_OK);
	assert_int_equal(ctl("status", "--", "7"), EXIT_OK);
	assert_int_equal(ctl("console", "--", "7"), EXIT_OK);
	assert_int_equal(ctl("reserve", "--", "2"), EXIT_OK);
	assert_int_equal(ctl("stop", "--force", "--", "7"), EXIT_OK);
	assert_int_equal(fake.stops, 1);
	assert_int_equal(fake.stop_force, 1);
	/* -f, as console's --follow has: --force's short name. */
	fake.there = 1;
	assert_int_equal(ctl("stop", "-f", "7"), EXIT_OK);
	assert_int_equal(fake.stops, 2);
	assert_int_equal(fake.stop_force, 1);
	/* After it, what reads as an option is an operand. */
	fake.opens = 0;
	refused_alone(ctl("--", "--help"),
		      "kspawnctl: unknown command '--help'");
	refused_alone(ctl("stop", "--", "--force"),
		      "kspawnctl: stop: '--force' is not an instance ID (a number from kspawnctl list)");
	refused_alone(ctl("status", "--", "--"),
		      "kspawnctl: status: '--' is not an instance ID (a number from kspawnctl list)");
	refused_alone(ctl("list", "--", "-h"),
		      "kspawnctl: list: takes no arguments ('-h')");
	refused_alone(ctl("help", "--", "-h"),
		      "kspawnctl: help: unknown command '-h'");
	refused_alone(ctl("--help", "--", "-h"),
		      "kspawnctl: help: unknown command '-h'");
	refused_alone(ctl("release", "--", "-x"),
		      "kspawnctl: release: '-x' is not a CPU list (like 2-3,5)");
	refused_alone(ctl("gdb", "--", "--listen", "1"),
		      "kspawnctl: gdb: one instance ID only ('--listen' and '1')");
	refused_alone(ctl("--"), "kspawnctl: which command? (kspawnctl help)");
	refused_alone(ctl("--version", "--"),
		      "kspawnctl: --version takes no arguments ('--')");
	/* gdb's values are read before it: a bad --tty, not a bad "--". */
	assert_int_equal(ctl("gdb", "--tty", "/dev/null", "--", "7"),
			 EXIT_USAGE);
	has(err, "gdb: --tty /dev/null is not a terminal");
}

static int signal_at;		/* the dev_status call that gets it */
static int signal_sent;

static void send_signal(void)
{
	if (--signal_at == 0)
		raise(signal_sent);
}

static int signals_raised;

static void send_two_signals(void)
{
	signal_at--;
	if (signal_at == 0 || signal_at == -2) {
		raise(signal_at ? SIGTERM : SIGINT);
		signals_raised++;
	}
}

static void interrupted_follow(void **state)
{
	(void)state;
	fake.on_status = send_signal;
	signal_sent = SIGINT;
	signal_at = 2;
	assert_int_equal(ctl("console", "7", "--follow"), 130);
	signal_sent = SIGTERM;
	signal_at = 2;
	assert_int_equal(ctl("console", "7", "--follow"), 143);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/*
 * A Ctrl-C the caller ignores (a script's background job, nohup) stays
 * ignored: the follow goes on, and the SIGTERM after it ends it.
 */
static void ignored_interrupt_follow(void **state)
{
	(void)state;
	signal(SIGINT, SIG_IGN);
	fake.on_status = send_two_signals;	/* at the 2nd and 4th look */
	signal_at = 2;
	signals_raised = 0;
	assert_int_equal(ctl("console", "7", "--follow"), 143);
	assert_int_equal(signals_raised, 2);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/*
 * The same while the copy to stdout waits on a reader that stopped
 * reading (console 7 --follow | less, its screen full): 130 all the same,
 * at the first Ctrl-C, not a wait for the reader nor "writing output:
 * Interrupted system call".  kspawnctl runs in a child whose stdout is a
 * pipe nobody reads; the alarm ends a child that ignored the signal.
 */
static void follow_stalled_reader(void **state)
{
	static char flood[3 * 64 * 1024];	/* more than a pipe holds */
	char *argv[] = { "kspawnctl", "console", "7", "--follow", NULL };
	int p[2], status, queued = 0, size;
	FILE *e = tmpfile();
	pid_t pid;

	(void)state;
	memset(flood, 'x', sizeof(flood) - 1);
	fake.console = flood;
	assert_non_null(e);
	assert_int_equal(pipe(p), 0);
	size = fcntl(p[0], F_GETPIPE_SZ);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(p[1], 1);
		dup2(fileno(e), 2);
		close(p[0]);
		close(p[1]);
		fseek(stdout, 0, SEEK_END);	/* as ctl_to() leaves it */
		alarm(10);
		_exit(ctl_main(4, argv));
	}
	close(p[1]);
	/* Full: the child's write waits for the reader. */
	for (int i = 0; i < 500 && queued < size; i++) {
		usleep(10 * 1000);
		assert_int_equal(ioctl(p[0], FIONREAD, &queued), 0);
	}
	assert_int_equal(queued, size);
	usleep(50 * 1000);
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(p[0]);
	slurp(e, err, sizeof(err));
	if (!WIFEXITED(status))
		fail_msg("kspawnctl died of signal %d (stderr \"%s\")",
			 WTERMSIG(status), err);
	assert_int_equal(WEXITSTATUS(status), 130);
	hasnt(err, "writing output");
}

/* How often needle is in s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

static void image_not_there(void **state)
{
	(void)state;
	assert_int_equal(ctl("run", "/tmp"), EXIT_IMAGE);
	has(err, "run: /tmp: not a regular file");
	assert_int_equal(count(err, "/tmp"), 1);
	assert_int_equal(ctl("run", "/no/such/image.elf"), EXIT_FAIL);
	has(err, "run: /no/such/image.elf: cannot open: No such file or directory");
	assert_int_equal(count(err, "/no/such/image.elf"), 1);
	assert_int_equal(fake.opens, 0);
}

/*
 * A FIFO is no image either, and is refused as one: not opened to wait
 * for a writer that never comes.  (The alarm ends a kspawnctl that
 * waits: the test then dies of SIGALRM rather than hang.)
 */
static void image_fifo(void **state)
{
	char fifo[] = "/tmp/kspawn-test-fifo-XXXXXX";
	int fd = mkstemp(fifo), rc;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(5);
	rc = ctl("run", fifo);
	alarm(0);
	assert_int_equal(rc, EXIT_IMAGE);
	has(err, ": not a regular file");
	/* gdb --tty opens its line read-write: a FIFO does not wait then. */
	alarm(5);
	rc = ctl("gdb", "7", "--tty", fifo);
	alarm(0);
	unlink(fifo);
	assert_int_equal(rc, EXIT_USAGE);
	has(err, "is not a terminal");
	assert_int_equal(fake.opens, 0);
}

/*
 * A --mem the image's note says is too small: the option is what is
 * wrong (2, run's synopsis after the reason), not the image (5).
 */
static void mem_below_image(void **state)
{
	(void)state;
	assert_int_equal(ctl("run", image_path, "--mem", "8M"), EXIT_USAGE);
	has(err, "needs a region of at least 16 MiB, not 8 MiB (--mem)");
	has(err, "usage: kspawnctl run");
	assert_int_equal(fake.opens, 0);
	/* --no-verify leaves it to the module, as before. */
	assert_int_equal(ctl("run", image_path, "--mem", "8M", "--no-verify"),
			 EXIT_OK);
}

/* Nothing to do for a CPU is a failure both ways. */
static void pool_nothing_to_do(void **state)
{
	(void)state;
	fake.reserve_err = -EALREADY;
	assert_int_equal(ctl("reserve", "2"), EXIT_FAIL);
	has(err, "reserve: CPU 2 is in the pool already");
	fake.reserve_err = -ENOENT;
	assert_int_equal(ctl("release", "2"), EXIT_FAIL);
	has(err, "release: CPU 2 is not in the pool");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(help_anywhere, reset),
		cmocka_unit_test_setup(help_unknown_command, reset),
		cmocka_unit_test_setup(no_command, reset),
		cmocka_unit_test_setup(help_help, reset),
		cmocka_unit_test_setup(help_option_command, reset),
		cmocka_unit_test_setup(version_alone, reset),
		cmocka_unit_test_setup(dashdash_ends_options, reset),
		cmocka_unit_test_setup(interrupted_follow, reset),
		cmocka_unit_test_setup(ignored_interrupt_follow, reset),
		cmocka_unit_test_setup(follow_stalled_reader, reset),
		cmocka_unit_test_setup(image_not_there, reset),
		cmocka_unit_test_setup(image_fifo, reset),
		cmocka_unit_test_setup(pool_nothing_to_do, reset),
		cmocka_unit_test_setup(mem_below_image, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
