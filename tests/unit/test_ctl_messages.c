/*
 * What kspawnctl says when something is wrong: the reason, not a near
 * miss.  The device is a fake (ctl_fake.h) under kspawnctl's whole
 * command line.
 *
 * unit-sources: host/ctl/cli.c host/ctl/errors.c host/ctl/args.c
 * unit-sources: host/ctl/output.c host/ctl/usage.c host/ctl/run_args.c
 * unit-sources: host/ctl/cmd_run.c host/ctl/cmd_status.c host/ctl/cmd_stop.c
 * unit-sources: host/ctl/cmd_console.c host/ctl/cmd_gdb.c host/ctl/cmd_reserve.c
 * unit-sources: host/ctl/cpus.c host/ctl/image.c host/ctl/json.c
 * unit-sources: host/ctl/states.c host/ctl/kmsg.c host/ctl/gdb_break.c
 * unit-sources: host/loader/elf_check.c guest/gdbstub/rsp.c
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

/* --device without its path: that, not an unknown option. */
static void device_needs_value(void **state)
{
	(void)state;
	assert_int_equal(ctl("--device"), EXIT_USAGE);
	has(err, "kspawnctl: --device needs a value");
	hasnt(err, "unknown option");
	assert_int_equal(ctl("--device=/dev/kspawn", "list"), EXIT_OK);
}

/*
 * A device that knows no kspawn request (ENOTTY): /dev/null, say, or a
 * kspawn.ko of another version; either may be, so both are said.
 */
static void not_a_kspawn_device(void **state)
{
	(void)state;
	fake.list_err = -ENOTTY;
	assert_int_equal(ctl("--device", "/dev/null", "list"), EXIT_FAIL);
	has(err, "/dev/null");
	has(err, "not the kspawn device");
	has(err, "different versions");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(device_needs_value, reset),
		cmocka_unit_test_setup(not_a_kspawn_device, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
