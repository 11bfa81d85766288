/*
 * kspawnctl run against the fake device (ctl_fake.h), for what needs the
 * whole command: a signal during the spawn, which CPU the module is asked
 * for, what an error of the load or the start means.
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

static int reset(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

static int start_signal;	/* what arrives while the start runs */

static void signal_in_start(void)
{
	raise(start_signal);
}

/*
 * A Ctrl-C, SIGTERM or SIGHUP while the module starts the guest (it comes
 * as the START ioctl returns): the guest runs, so its ID is printed all
 * the same, and run ends as the signal asked, saying which instance runs.
 */
static void interrupted_spawn(void **state)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	(void)state;
	ctl_forked = 1;
	fake.on_start = signal_in_start;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/*
		 * As an interactive shell leaves them: a suite started in
		 * the background (`make test &`) inherits SIGINT ignored,
		 * which run rightly takes for no interruption.
		 */
		signal(sigs[i], SIG_DFL);
		start_signal = sigs[i];
		assert_int_equal(ctl("run", image_path), EXIT_SIGNAL + sigs[i]);
		assert_string_equal(out, "7\n");
		has(err, "run: interrupted");
		has(err, "running as instance 7 (kspawnctl stop 7)");
	}
	start_signal = SIGINT;
	assert_int_equal(ctl("--json", "run", image_path), EXIT_SIGNAL + SIGINT);
	has(out, "\"id\": 7,");
	has(err, "kspawnctl stop 7");
}

/* nohup: a SIGHUP the caller ignores is no interruption. */
static void ignored_hangup(void **state)
{
	(void)state;
	ctl_forked = 1;
	fake.on_start = signal_in_start;
	start_signal = SIGHUP;
	signal(SIGHUP, SIG_IGN);
	assert_int_equal(ctl("run", image_path), EXIT_OK);
	signal(SIGHUP, SIG_DFL);
	assert_string_equal(out, "7\n");
	assert_string_equal(err, "");
}

/*
 * A signal the caller blocked (and so kspawnctl, which inherits its mask)
 * would never have ended run: it stays pending, untaken, and is no
 * interruption either.
 */
static void blocked_interrupt(void **state)
{
	sigset_t block, was;

	(void)state;
	ctl_forked = 1;
	fake.on_start = signal_in_start;
	start_signal = SIGINT;
	signal(SIGINT, SIG_DFL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &was);
	assert_int_equal(ctl("run", image_path), EXIT_OK);
	sigprocmask(SIG_SETMASK, &was, NULL);
	assert_string_equal(out, "7\n");
	assert_string_equal(err, "");
}

/*
 * No --cpu: the module chooses (KSPAWN_LOAD_CPU_ANY), under its lock, so
 * two runs at once cannot pick the same CPU; --json says which it chose.
 */
static void module_chooses_cpu(void **state)
{
	(void)state;
	fake.any_cpu = 3;
	assert_int_equal(ctl("--json", "run", image_path), EXIT_OK);
	assert_int_equal(fake.load_cpu, -1);
	assert_int_equal(fake.load_ncpus, 0);
	has(out, "\"cpu\": 3,");
	assert_int_equal(ctl("run", image_path), EXIT_OK);
	assert_int_equal(fake.load_cpu, -1);
	assert_string_equal(out, "7\n");
	/* Asked for, a CPU is the one sent. */
	assert_int_equal(ctl("--json", "run", image_path, "--cpu", "1"),
			 EXIT_OK);
	assert_int_equal(fake.load_cpu, 1);
	has(out, "\"cpu\": 1,");
	/* mem is the region the module makes: --mem rounded up to 2 MiB. */
	assert_int_equal(ctl("--json", "run", image_path, "--mem", "17M"),
			 EXIT_OK);
	has(out, "\"mem\": 18874368\n}");
}

/*
 * The module found none: said so, not as CPU -1 (or 1) busy, with the
 * CPUs instances hold, for a halted guest keeps its CPU until stopped:
 * the way to one is a stop.  (Before, a sentence of categories: "1
 * online, and CPU 0, the last online CPU, those other instances hold
 * and those with a guest's doorbell stay with Linux".)
 */
static void no_cpu_to_spare(void **state)
{
	(void)state;
	fake.spawn_err = -EBUSY;
	fake.busy[1] = 1;
	assert_int_equal(ctl("run", image_path), EXIT_RESOURCE);
	has(err, "run: no CPU to spare: the reserved CPUs (1) are all taken");
	has(err, "; CPUs held by instances: 1 (kspawnctl list; kspawnctl stop ID frees one)\n");
	hasnt(err, "is busy");
	/* None held: nothing to stop. */
	fake.busy[1] = 0;
	fake.pooled[1] = 0;
	assert_int_equal(ctl("run", image_path), EXIT_RESOURCE);
	has(err, "run: no CPU to spare: none of Linux's online CPUs (");
	hasnt(err, "held by instances");
	hasnt(err, "reserved");
}

/*
 * A CPU an instance claimed (loaded, not yet started: still online) is
 * busy, in the pool or not, for --cpu and each of --cpus.
 */
static void claimed_cpu_busy(void **state)
{
	(void)state;
	fake.busy[3] = 1;
	assert_int_equal(ctl("run", image_path, "--cpu", "3"), EXIT_RESOURCE);
	has(err, "run: CPU 3 is busy: another instance holds it");
	assert_int_equal(ctl("run", image_path, "--cpus", "3-4"),
			 EXIT_RESOURCE);
	has(err, "run: CPU 3 is busy: another instance holds it");
	assert_int_equal(fake.spawns, 0);
}

/*
 * The module found one of --cpus busy (taken since kspawnctl looked):
 * which one it cannot tell from EBUSY, so not the first named.
 */
static void one_of_cpus_busy(void **state)
{
	(void)state;
	fake.pooled[3] = fake.pooled[4] = fake.pooled[5] = 1;
	fake.spawn_err = -EBUSY;
	assert_int_equal(ctl("run", image_path, "--cpus", "3-5"),
			 EXIT_RESOURCE);
	has(err, "run: one of CPUs 3-5 is busy: another instance holds it");
	hasnt(err, "CPU 3 is busy");
	assert_int_equal(ctl("run", image_path, "--cpu", "3"), EXIT_RESOURCE);
	has(err, "run: CPU 3 is busy: another instance holds it");
}

/*
 * A file that cannot be read whole fails run, --no-verify or not: that
 * option skips the checks of the image, not of the read.  A sysfs file
 * says 4096 bytes and holds fewer: a short read after the buffer is
 * allocated, whose rest the module would have been sent.
 */
static void no_verify_read_error(void **state)
{
	static const char sysfs[] = "/sys/devices/system/cpu/online";

	(void)state;
	if (access(sysfs, R_OK))
		skip();
	assert_int_equal(ctl("run", sysfs, "--no-verify"), EXIT_FAIL);
	has(err, "cannot read: short read");
	assert_int_equal(fake.opens, 0);
	assert_int_equal(fake.spawns, 0);
	assert_int_equal(ctl("run", sysfs), EXIT_FAIL);
	has(err, "cannot read: short read");
}

/*
 * A /proc file says 0 bytes and holds more: refused as a file that does
 * not hold what its size says, as the sysfs one above, status 1, with
 * --no-verify too (before: read as empty, "empty file (0 bytes)", status
 * 5, and with --no-verify an image of 0 bytes sent to the module).
 */
static void image_more_than_its_size(void **state)
{
	static const char proc[] = "/proc/self/status";

	(void)state;
	assert_int_equal(ctl("run", proc), EXIT_FAIL);
	has(err, "cannot read: it holds more than the 0 bytes its size says");
	hasnt(err, "empty file");
	assert_int_equal(ctl("run", proc, "--no-verify"), EXIT_FAIL);
	has(err, "cannot read: it holds more than the 0 bytes its size says");
	assert_int_equal(fake.opens, 0);
	assert_int_equal(fake.spawns, 0);
}

/*
 * The pool cannot be asked for: that error, before any word about CPUs
 * an empty pool would bring.
 */
static void pool_unknown(void **state)
{
	(void)state;
	fake.cpus_err = -ENOTTY;
	assert_int_equal(ctl("--device", "/dev/null", "run", image_path,
			     "--doorbell-cpu", "1"), EXIT_FAIL);
	has(err, "run: asking the module its CPUs: /dev/null (from --device) does not know kspawn's requests: it is not the kspawn device");
	hasnt(err, "CPU to spare");
	hasnt(err, "doorbell");
	assert_int_equal(fake.spawns, 0);
}

/*
 * Without --cpu, --cpus or --doorbell-cpu the module chooses: its pool
 * is not asked for (README.md, the order of checks), so a pool it
 * cannot tell does not stop the run.
 */
static void pool_not_asked(void **state)
{
	(void)state;
	fake.cpus_err = -ENOTTY;
	assert_int_equal(ctl("run", image_path), EXIT_OK);
	assert_int_equal(fake.spawns, 1);
	assert_int_equal(fake.load_cpu, -1);
	assert_string_equal(err, "");
}

static char disk_path[] = "/tmp/kspawn-test-ctl-disk-XXXXXX";	/* 4 KiB */

static int setup(void **state)
{
	int fd = mkstemp(disk_path);

	if (fd < 0 || ftruncate(fd, 4096))
		return -1;
	close(fd);
	return fake_setup(state);
}

static int teardown(void **state)
{
	unlink(disk_path);
	return fake_teardown(state);
}

/*
 * ENOENT and ESRCH are "no instance" only for a request that names one:
 * a load's ENOENT is its --disk (gone since run looked), a start's ESRCH
 * the new instance stopped by someone else first; neither is "instance 0".
 */
static void load_and_start_errors(void **state)
{
	(void)state;
	fake.spawn_err = -ENOENT;
	assert_int_equal(ctl("run", image_path, "--disk", disk_path),
			 EXIT_FAIL);
	has(err, "run: --disk ");
	has(err, "No such file or directory");
	hasnt(err, "no instance");
	assert_int_equal(ctl("run", image_path), EXIT_FAIL);
	has(err, "run: No such file or directory");
	hasnt(err, "no instance");
	fake.spawn_err = 0;
	fake.start_err = -ESRCH;
	assert_int_equal(ctl("run", image_path), EXIT_FAIL);
	has(err, "instance 7 was stopped by another process before it started");
	hasnt(err, "no instance");
	/* The module's "did not reach long mode in 2 s", not a network's. */
	fake.start_err = -ETIMEDOUT;
	assert_int_equal(ctl("run", image_path), EXIT_FAIL);
	has(err, "did not start");
	hasnt(err, "Connection timed out");
}

/* An ioctl version the module does not speak is an ABI mismatch. */
static void ioctl_version_mismatch(void **state)
{
	(void)state;
	fake.spawn_err = -EPROTONOSUPPORT;
	assert_int_equal(ctl("run", image_path), EXIT_ABI);
	has(err, "use the kspawnctl built with the module");
	hasnt(err, "Protocol not supported");
	fake.list_err = -EPROTONOSUPPORT;
	assert_int_equal(ctl("list"), EXIT_ABI);
	has(err, "list: the module speaks another ioctl version");
}

/* A --disk path the load request has no room for: a bad command line. */
static void disk_path_too_long(void **state)
{
	char path[512] = "/tmp";

	(void)state;
	while (strlen(path) < 300)
		strcat(path, "/.");
	strcat(path, disk_path + 4);
	assert_int_equal(ctl("run", image_path, "--disk", path), EXIT_USAGE);
	has(err, "run: --disk path is ");
	has(err, "at most 255");
	assert_int_equal(fake.opens, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(interrupted_spawn, reset),
		cmocka_unit_test_setup(ignored_hangup, reset),
		cmocka_unit_test_setup(blocked_interrupt, reset),
		cmocka_unit_test_setup(module_chooses_cpu, reset),
		cmocka_unit_test_setup(no_cpu_to_spare, reset),
		cmocka_unit_test_setup(claimed_cpu_busy, reset),
		cmocka_unit_test_setup(one_of_cpus_busy, reset),
		cmocka_unit_test_setup(no_verify_read_error, reset),
		cmocka_unit_test_setup(image_more_than_its_size, reset),
		cmocka_unit_test_setup(pool_unknown, reset),
		cmocka_unit_test_setup(pool_not_asked, reset),
		cmocka_unit_test_setup(load_and_start_errors, reset),
		cmocka_unit_test_setup(ioctl_version_mismatch, reset),
		cmocka_unit_test_setup(disk_path_too_long, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
