/*
 * kspawnctl run over its real device layer (host/ctl/device.c), the
 * module's ioctls answered by a fake ioctl() here: the spawn is a load,
 * then a start; a start that fails has its instance stopped again, and a
 * stop that fails then is said, with the instance it leaves behind, not
 * dropped in silence.
 *
 * unit-sources: host/ctl/cli.c host/ctl/errors.c host/ctl/args.c
 * unit-sources: host/ctl/output.c host/ctl/usage.c host/ctl/run_args.c
 * unit-sources: host/ctl/cmd_run.c host/ctl/spawn.c host/ctl/cmd_status.c host/ctl/cmd_stop.c
 * unit-sources: host/ctl/cmd_console.c host/ctl/cmd_gdb.c host/ctl/cmd_reserve.c
 * unit-sources: host/ctl/term_text.c
 * unit-sources: host/ctl/cpus.c host/ctl/image.c host/ctl/json.c
 * unit-sources: host/ctl/states.c host/ctl/kmsg.c host/ctl/gdb_break.c
 * unit-sources: host/ctl/device.c host/loader/elf_check.c guest/gdbstub/rsp.c
 * unit-sources: host/ctl/peer_uid.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/kspawn_ioctl.h"
#include "host/ctl/ctl.h"
#include "tests/unit/tiny_image.h"

#define LOADED_ID 5

static int start_err, stop_err;	/* the module's answers */
static int stops;
static char image_path[] = "/tmp/kspawn-test-device-XXXXXX";
static char err[4096];

/* The module, as far as run asks it. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == KSPAWN_IOC_VERSION) {
		struct kspawn_ioc_version *v = arg;

		v->abi_major = KSPAWN_ABI_MAJOR;
		v->abi_minor = KSPAWN_ABI_MINOR;
		v->max_instances = 16;
		return 0;
	}
	if (req == KSPAWN_IOC_LIST) {
		((struct kspawn_ioc_list *)arg)->count = 0;
		return 0;
	}
	if (req == KSPAWN_IOC_CPUS) {
		struct kspawn_ioc_cpus *c = arg;

		c->nr_cpus = 64;
		c->pooled[0] = 1 << 1;	/* CPU 1: no sysfs needed */
		return 0;
	}
	if (req == KSPAWN_IOC_LOAD) {
		((struct kspawn_ioc_load *)arg)->id = LOADED_ID;
		return 0;
	}
	if (req == KSPAWN_IOC_START || req == KSPAWN_IOC_STOP) {
		int e = req == KSPAWN_IOC_START ? start_err : stop_err;

		stops += req == KSPAWN_IOC_STOP;
		assert_int_equal(((struct kspawn_ioc_instance *)arg)->id,
				 LOADED_ID);
		errno = -e;
		return e ? -1 : 0;
	}
	errno = ENOTTY;
	return -1;
}

/* kspawnctl --device /dev/null run IMAGE: status, stderr in err[]. */
static int run(void)
{
	char *argv[] = { "kspawnctl", "--device", "/dev/null", "run",
			 image_path, NULL };
	FILE *e = tmpfile();
	int keep = dup(2), rc;
	size_t n;

	assert_true(e && keep >= 0);
	fflush(stderr);
	dup2(fileno(e), 2);
	stops = 0;
	rc = ctl_main(5, argv);
	fflush(stderr);
	dup2(keep, 2);
	close(keep);
	rewind(e);
	n = fread(err, 1, sizeof(err) - 1, e);
	err[n] = 0;
	fclose(e);
	return rc;
}

/* The start fails, its instance is stopped: the start's error alone. */
static void start_fails(void **state)
{
	(void)state;
	start_err = -EIO;
	stop_err = 0;
	assert_int_equal(run(), EXIT_FAIL);
	assert_int_equal(stops, 1);
	assert_non_null(strstr(err, "run: Input/output error"));
	assert_null(strstr(err, "stop"));
}

/* And the stop fails too: said, with the instance left behind. */
static void start_and_stop_fail(void **state)
{
	(void)state;
	start_err = -EIO;
	stop_err = -EBUSY;
	assert_int_equal(run(), EXIT_FAIL);
	assert_int_equal(stops, 1);
	if (!strstr(err, "instance 5, whose start failed, could not be stopped: Device or resource busy") ||
	    !strstr(err, "kspawnctl stop 5"))
		fail_msg("stderr: \"%s\"", err);
}

static int setup(void **state)
{
	struct tiny t = good();
	int fd = mkstemp(image_path);

	(void)state;
	unsetenv("KSPAWN_DEVICE");
	if (fd < 0 || write(fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(image_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_fails),
		cmocka_unit_test(start_and_stop_fail),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
