/*
 * kspawnctl --json status and list: every field the text shows is there
 * for a script too (an SMP guest's CPUs, the heartbeat's age, console
 * bytes lost), against the fake device (ctl_fake.h).
 *
 * unit-sources: host/ctl/cli.c host/ctl/errors.c host/ctl/args.c
 * unit-sources: host/ctl/output.c host/ctl/usage.c host/ctl/run_args.c
 * unit-sources: host/ctl/cmd_run.c host/ctl/spawn.c host/ctl/cmd_status.c host/ctl/cmd_stop.c
 * unit-sources: host/ctl/cmd_console.c host/ctl/cmd_gdb.c host/ctl/cmd_reserve.c
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

static char flat[sizeof(out)];	/* out[] without its spaces and newlines */

static int reset(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* kspawnctl --json CMD [ID], its output flattened into flat[]. */
static void json_of(const char *cmd, const char *id)
{
	size_t n = 0;

	assert_int_equal(ctl("--json", cmd, id), EXIT_OK);
	for (const char *p = out; *p; p++)
		if (*p != ' ' && *p != '\n')
			flat[n++] = *p;
	flat[n] = 0;
}

/* An SMP guest: its CPUs as the text's "cpus:" line lists them. */
static void smp_cpus(void **state)
{
	(void)state;
	fake.cpu = 2;
	fake.ncpus = 3;
	fake.cpus[0] = 2;
	fake.cpus[1] = 3;
	fake.cpus[2] = 5;
	json_of("status", "7");
	has(flat, "\"cpu\":2,");
	has(flat, "\"ncpus\":3,");
	has(flat, "\"cpus\":[2,3,5],");
	json_of("list", NULL);
	has(flat, "\"cpus\":[2,3,5],");
	/* One CPU: a list of one, so a script needs no second case. */
	fake.ncpus = 0;
	json_of("status", "7");
	has(flat, "\"cpus\":[2],");
}

/* The heartbeat's age (null: never seen one) and console bytes lost. */
static void heartbeat_age_and_console_dropped(void **state)
{
	(void)state;
	json_of("status", "7");
	has(flat, "\"heartbeat_age_ms\":null,");
	has(flat, "\"console_dropped\":0,");
	fake.heartbeat_age_ms = 120;
	fake.console_dropped = 4096;
	json_of("status", "7");
	has(flat, "\"heartbeat_age_ms\":120,");
	has(flat, "\"console_dropped\":4096,");
	json_of("list", NULL);
	has(flat, "\"heartbeat_age_ms\":120,");
	has(flat, "\"console_dropped\":4096,");
	/* What the text says of the same. */
	assert_int_equal(ctl("status", "7"), EXIT_OK);
	has(out, "last change 120 ms ago");
	has(out, "console:    4096 bytes lost");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(smp_cpus, reset),
		cmocka_unit_test_setup(heartbeat_age_and_console_dropped, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
