/*
 * What kspawnctl says when something is wrong: the reason, not a near
 * miss.  The device is a fake (ctl_fake.h) under kspawnctl's whole
 * command line.
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
	has(err, "list: /dev/null (from --device) does not know");
	has(err, "not the kspawn device");
	has(err, "different versions");
	/* Where the path came from: not --device when it was not given. */
	setenv("KSPAWN_DEVICE", "/dev/null", 1);
	assert_int_equal(ctl("list"), EXIT_FAIL);
	has(err, "list: /dev/null (from KSPAWN_DEVICE) does not know");
	unsetenv("KSPAWN_DEVICE");
	assert_int_equal(ctl("list"), EXIT_FAIL);
	has(err, "list: /dev/kspawn does not know");
	hasnt(err, "--device");
}

/*
 * The module's EINVAL for a CPU is CPU 0 or one Linux does not have
 * (host/kmod/cores.c, cpu.c): which, said.  (This machine has no CPU 999.)
 */
static void no_such_cpu(void **state)
{
	(void)state;
	fake.reserve_err = -EINVAL;
	assert_int_equal(ctl("reserve", "999"), EXIT_RESOURCE);
	has(err, "reserve: there is no CPU 999");
	hasnt(err, "CPU 0");
	assert_int_equal(ctl("release", "999"), EXIT_RESOURCE);
	has(err, "release: there is no CPU 999");
	assert_int_equal(ctl("reserve", "0"), EXIT_RESOURCE);
	has(err, "reserve: CPU 0 stays with Linux");
}

/*
 * The module's EBUSY to a release is a CPU an instance holds, or one
 * another kspawnctl is moving (host/kmod/cores.c), or Linux refusing to
 * bring it online: said as that, not as reserve's reasons (a doorbell
 * there, offline already, the last online CPU), which a pooled CPU
 * cannot have.
 */
static void release_busy(void **state)
{
	(void)state;
	fake.reserve_err = -EBUSY;
	assert_int_equal(ctl("release", "3"), EXIT_RESOURCE);
	has(err, "release: CPU 3 is busy: an instance holds it (stop it first: kspawnctl list)");
	hasnt(err, "doorbell");
	hasnt(err, "offline already");
	hasnt(err, "last online");
	assert_int_equal(ctl("reserve", "3"), EXIT_RESOURCE);
	has(err, "reserve: CPU 3 is busy: an instance holds it or has its doorbell there");
	/* Which it was, the module says in its log: shown after. */
	fake.reserve_log = "kspawn: reserve CPU 3: an instance has it";
	assert_int_equal(ctl("reserve", "3"), EXIT_RESOURCE);
	has(err, "\n  kernel log: kspawn: reserve CPU 3: an instance has it\n");
	fake.reserve_log = "kspawn: release CPU 3: an instance has it";
	assert_int_equal(ctl("release", "3"), EXIT_RESOURCE);
	has(err, "\n  kernel log: kspawn: release CPU 3: an instance has it\n");
}

/*
 * A CPU the machine lacks, for run's --cpu and --doorbell-cpu: the CPUs
 * it has listed, as reserve lists them, not counted ("this machine has
 * 2" beside "no CPU 2" reads as CPUs 1 and 2, and says nothing of
 * gaps).  CPU 1023 is past any machine this runs on.
 */
static void run_no_such_cpu(void **state)
{
	char present[256], said[300];
	FILE *f = fopen("/sys/devices/system/cpu/present", "r");

	(void)state;
	if (!f || !fgets(present, sizeof(present), f))
		skip();
	fclose(f);
	present[strcspn(present, "\n")] = 0;
	snprintf(said, sizeof(said), "(this machine's CPUs: %s)\n", present);
	assert_int_equal(ctl("run", image_path, "--cpu", "1023"),
			 EXIT_RESOURCE);
	has(err, "run: there is no CPU 1023 ");
	has(err, said);
	assert_int_equal(ctl("run", image_path, "--doorbell-cpu", "1023"),
			 EXIT_RESOURCE);
	has(err, "run: --doorbell-cpu 1023: there is no such CPU ");
	has(err, said);
}

/*
 * An answer about the device, not the CPU (an older module, not the
 * kspawn device): said once for a list of CPUs, not once a CPU.
 */
static void device_error_said_once(void **state)
{
	const char *p;
	int n = 0;

	(void)state;
	fake.reserve_err = -ENOTTY;
	assert_int_equal(ctl("reserve", "2-5"), EXIT_FAIL);
	for (p = err; (p = strstr(p, "does not know kspawn's requests")); p++)
		n++;
	assert_int_equal(n, 1);
}

/*
 * No device: the module is not loaded, and a bare insmod would not load
 * it (its pool_base, pool_size and trampoline need memory set aside at
 * boot): what it needs is named, and where to read more.
 */
static void module_not_loaded(void **state)
{
	(void)state;
	fake.open_err = -ENOENT;
	assert_int_equal(ctl("list"), EXIT_NOMODULE);
	has(err, "kspawnctl: /dev/kspawn is missing: the kspawn module is not loaded");
	has(err, "pool_base=, pool_size= and trampoline=");
	has(err, "host/kmod/README.md");
	hasnt(err, "insmod kspawn.ko,");
	assert_int_equal(ctl("--help"), EXIT_OK);
	has(out, "3  kspawn.ko is not loaded");
	has(out, "host/kmod/README.md");
	hasnt(out, "insmod kspawn.ko\n");
}

/*
 * A device path the user named (--device, $KSPAWN_DEVICE) that is not
 * there is most likely mistyped: said as theirs, without the module
 * hint that goes with the default path.  An empty --device is no path;
 * an empty $KSPAWN_DEVICE is unset.
 */
static void device_named_missing(void **state)
{
	(void)state;
	fake.open_err = -ENOENT;
	assert_int_equal(ctl("--device", "/dev/kspwan", "list"), EXIT_NOMODULE);
	has(err, "kspawnctl: /dev/kspwan (from --device) is missing");
	hasnt(err, "module is not loaded");
	setenv("KSPAWN_DEVICE", "/dev/kspwan", 1);
	assert_int_equal(ctl("list"), EXIT_NOMODULE);
	has(err, "kspawnctl: /dev/kspwan (from KSPAWN_DEVICE) is missing");
	hasnt(err, "module is not loaded");
	setenv("KSPAWN_DEVICE", "", 1);
	assert_int_equal(ctl("list"), EXIT_NOMODULE);
	has(err, "kspawnctl: /dev/kspawn is missing: the kspawn module is not loaded");
	unsetenv("KSPAWN_DEVICE");
	/* The module's own path, named: still the module's hint. */
	assert_int_equal(ctl("--device", "/dev/kspawn", "list"), EXIT_NOMODULE);
	has(err, "kspawnctl: /dev/kspawn is missing: the kspawn module is not loaded");
	fake.opens = 0;
	assert_int_equal(ctl("--device=", "list"), EXIT_USAGE);
	has(err, "kspawnctl: --device needs a value\n");
	assert_int_equal(ctl("--device", "", "list"), EXIT_USAGE);
	has(err, "kspawnctl: --device needs a value\n");
	assert_int_equal(fake.opens, 0);
	/* Any other failure to open a named path: where it came from too. */
	fake.open_err = -EISDIR;
	assert_int_equal(ctl("--device", "/tmp", "list"), EXIT_FAIL);
	has(err, "kspawnctl: cannot open /tmp (from --device): Is a directory");
}

/*
 * The device refused to root (EACCES: a nodev mount, a security module;
 * EPERM: a device cgroup), or the module did (EPERM: no CAP_SYS_ADMIN, a
 * root in a container): status 4 still, but not "must run as root",
 * which root is (before, said all the same).  Not root: that, as before.
 */
static void denied_to_root(void **state)
{
	static const int errs[] = { -EACCES, -EPERM };

	(void)state;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake.open_err = errs[i];
		assert_int_equal(ctl("list"), EXIT_PERM);
		has(err, "cannot open /dev/kspawn: permission denied");
		if (geteuid()) {
			has(err, "must run as root (you are not)");
			continue;
		}
		hasnt(err, "must run as root");
		has(err, "to root too");
		has(err, "nodev");
	}
	/* Opened, then the module's CAP_SYS_ADMIN check (EPERM). */
	fake.open_err = 0;
	fake.list_err = -EPERM;
	assert_int_equal(ctl("list"), EXIT_PERM);
	has(err, "list: permission denied");
	if (geteuid()) {
		has(err, "must run as root");
		return;
	}
	hasnt(err, "must run as root");
	has(err, "CAP_SYS_ADMIN");
}

/*
 * list: an instance gone between the list and its status is left out,
 * quietly; a status the module refuses otherwise is said, with the exit
 * status, and the rest of the list is still shown.
 */
static void list_status_fails(void **state)
{
	(void)state;
	assert_int_equal(ctl("list"), EXIT_OK);
	has(out, "hello");
	fake.status_err = -ESRCH;
	assert_int_equal(ctl("list"), EXIT_OK);
	hasnt(out, "hello");
	has(out, "reserved for guests");
	assert_int_equal(err[0], '\0');
	fake.status_err = -EIO;
	assert_int_equal(ctl("list"), EXIT_FAIL);
	has(err, "list: instance 7: Input/output error");
	has(out, "reserved for guests");
	fake.status_err = -EPERM;
	assert_int_equal(ctl("--json", "list"), EXIT_PERM);
	has(err, "list: instance 7: permission denied");
	has(out, "[");
}

/* list's pool line: every CPU, however long the list. */
static void pool_whole(void **state)
{
	(void)state;
	fake.pooled[1] = 0;
	for (int c = 2; c < CTL_MAX_CPUS; c += 2)
		fake.pooled[c] = 1;
	assert_int_equal(ctl("list"), EXIT_OK);
	has(out, ",1020,1022 reserved for guests, free: 2,4,");
	has(out, ",1020,1022\n");
}

/*
 * A stop that fails after the module said it was waiting: the line is
 * relayed while the stop runs, and the failure's kernel-log report shows
 * what came after it, not that line a second time.  (Writes the two lines
 * to the kernel log: root only, as the suite runs.)
 */
static void stop_progress_said_once(void **state)
{
	const char *waited = "instance 7: the stop has waited 5 s";
	const char *first;

	(void)state;
	fake.stop_err = -EIO;
	fake.stop_log_during = "kspawn: instance 7: the stop has waited 5 s (kspawn unit test)";
	fake.stop_log_end = "kspawn: instance 7: the stop failed (kspawn unit test)";
	assert_int_equal(ctl("stop", "7"), EXIT_FAIL);
	has(err, "stop: kspawn: instance 7: the stop has waited 5 s");
	has(err, "kernel log: kspawn: instance 7: the stop failed");
	first = strstr(err, waited);
	assert_non_null(first);
	if (strstr(first + 1, waited))
		fail_msg("said twice:\n%s", err);
}

/* Logged just before the stop returned: still relayed, once. */
static void stop_progress_at_the_end(void **state)
{
	const char *waited = "instance 7: the stop has waited 65 s";

	(void)state;
	fake.stop_err = -EIO;
	fake.stop_log_end = "kspawn: instance 7: the stop has waited 65 s (kspawn unit test)";
	assert_int_equal(ctl("stop", "7"), EXIT_FAIL);
	has(err, "stop: kspawn: instance 7: the stop has waited 65 s");
	if (strstr(strstr(err, waited) + 1, waited))
		fail_msg("said twice:\n%s", err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(device_needs_value, reset),
		cmocka_unit_test_setup(not_a_kspawn_device, reset),
		cmocka_unit_test_setup(no_such_cpu, reset),
		cmocka_unit_test_setup(device_error_said_once, reset),
		cmocka_unit_test_setup(release_busy, reset),
		cmocka_unit_test_setup(run_no_such_cpu, reset),
		cmocka_unit_test_setup(module_not_loaded, reset),
		cmocka_unit_test_setup(device_named_missing, reset),
		cmocka_unit_test_setup(denied_to_root, reset),
		cmocka_unit_test_setup(list_status_fails, reset),
		cmocka_unit_test_setup(pool_whole, reset),
		cmocka_unit_test_setup(stop_progress_said_once, reset),
		cmocka_unit_test_setup(stop_progress_at_the_end, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
