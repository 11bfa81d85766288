/*
 * kspawnctl's help (host/ctl/usage.c) and its README (host/ctl/README.md)
 * describe the tool it is: every command and option is in both, the
 * KSPAWN_DEVICE variable cli.c reads is documented, run's synopsis (the
 * hint after a bad run command line) has all of run's options, --json
 * says which commands print JSON, and of what shape, `help status` names
 * every line status prints, and the README's order of run's checks is
 * the code's.
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

/* The words every description of kspawnctl must have. */
static const char *const words[] = {
	"run", "list", "status", "console", "stop", "gdb", "reserve",
	"release", "help", "--json", "--device", "--version", "--cpu ",
	"--cpus", "--mem", "--cmdline", "--disk", "--cache", "--ramdisk",
	"--net", "--doorbell-cpu", "--no-verify", "--follow", "--force",
	"--listen", "--tty", "KSPAWN_DEVICE",
};

static char readme[1 << 16];

/* The synopsis of the top-level --help: up to its first empty line. */
static void synopsis(char *buf, size_t size)
{
	const char *end;

	assert_int_equal(ctl("--help"), EXIT_OK);
	end = strstr(out, "\n\n");
	assert_non_null(end);
	assert_true((size_t)(end - out) < size);
	memcpy(buf, out, (size_t)(end - out));
	buf[end - out] = 0;
}

static void help_has_everything(void **state)
{
	(void)state;
	assert_int_equal(ctl("--help"), EXIT_OK);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		has(out, words[i]);
	/* --json: which commands, and an array for list. */
	has(out, "run, status and list");
	has(out, "list an array");
}

static void synopses_complete(void **state)
{
	static const char *const run_opts[] = {
		"--cpu N", "--cpus LIST", "--mem SIZE", "--cmdline STR",
		"--disk PATH", "--cache", "--ramdisk SIZE", "--net",
		"--doorbell-cpu N", "--no-verify",
	};
	char top[4096];

	(void)state;
	synopsis(top, sizeof(top));
	/* After a bad run command line: run's synopsis. */
	assert_int_equal(ctl("run"), EXIT_USAGE);
	for (size_t i = 0; i < sizeof(run_opts) / sizeof(run_opts[0]); i++) {
		has(top, run_opts[i]);
		has(err, run_opts[i]);
	}
}

/* `help status` names every line status prints (cmd_status.c). */
static void status_help_has_every_line(void **state)
{
	static const char *const lines[] = {
		"CPU", "cpus:", "doorbell: CPU N, vector V", "none, the host polls",
		"region", "shared area", "command line", "heartbeat",
		"exit code", "panic record", "bytes lost to a full ring",
		"stray irqs", "spawn latency",
	};

	(void)state;
	assert_int_equal(ctl("help", "status"), EXIT_OK);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		has(out, lines[i]);
}

/* --listen's value has one name: the help's is the error's and README's. */
static void listen_named_alike(void **state)
{
	(void)state;
	assert_int_equal(ctl("help", "gdb"), EXIT_OK);
	has(out, "--listen [ADDR:]PORT");
	hasnt(out, "HOST");
	assert_int_equal(ctl("--help"), EXIT_OK);
	has(out, "--listen [ADDR:]PORT");
	hasnt(out, "HOST");
	assert_int_equal(ctl("gdb", "7", "--listen", "x"), EXIT_USAGE);
	has(err, "--listen wants [ADDR:]PORT");
	has(err, "--listen [ADDR:]PORT");
}

static void readme_has_everything(void **state)
{
	FILE *f = fopen("host/ctl/README.md", "r");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(readme, 1, sizeof(readme) - 1, f);
	readme[n] = 0;
	fclose(f);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		has(readme, words[i]);
	/* The order of run's checks is the code's: the device first. */
	has(readme, "then the device (module loaded? root?), then the CPU");
	has(readme, "--listen [ADDR:]PORT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(help_has_everything),
		cmocka_unit_test(synopses_complete),
		cmocka_unit_test(status_help_has_every_line),
		cmocka_unit_test(listen_named_alike),
		cmocka_unit_test(readme_has_everything),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
