/*
 * kspawnctl gdb's bridge (host/ctl/cmd_gdb.c) when the guest's debug
 * input never drains: the module's write takes nothing from an instance
 * that is not running, and a guest that halted or panicked reads nothing
 * (the module still says RUNNING until a stop); the bridge must then end
 * with a message rather than wait on a ring nobody reads.  A running guest that is slow to read is
 * waited for.  The module is a stub here; gdb is the master side of a
 * pseudo-terminal the bridge is given with --tty.  An alarm turns a
 * bridge that never returns into a failure.  Whatever ends it, the line
 * is left as the bridge found it (not raw).
 *
 * unit-sources: host/ctl/cmd_gdb.c host/ctl/gdb_break.c guest/gdbstub/rsp.c
 * unit-sources: host/ctl/args.c host/ctl/output.c
 * unit-sources: host/ctl/peer_uid.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"
#include "tests/unit/ctl_said.h"

static int statuses;		/* dev_status calls */
static int running_for;		/* statuses that say RUNNING, then gone */
static int gone_halted;		/* gone: still RUNNING, the guest HALTED */
static int writes;		/* dev_debug_write calls, each taking nothing */

int dev_status(int fd, uint32_t id, struct ctl_status *st)
{
	(void)fd;
	memset(st, 0, sizeof(*st));
	st->id = id;
	if (statuses++ < running_for) {
		st->host_state = CTL_HOST_RUNNING;
		st->guest_state = KSPAWN_GUEST_RUNNING;
	} else if (gone_halted) {
		/* The module keeps RUNNING until a stop; the guest exited. */
		st->host_state = CTL_HOST_RUNNING;
		st->guest_state = KSPAWN_GUEST_HALTED;
	} else {
		st->host_state = CTL_HOST_DEAD;
	}
	return 0;
}

int dev_debug_write(int fd, uint32_t id, const void *buf, size_t len,
		    size_t *put)
{
	(void)fd, (void)id, (void)buf, (void)len;
	writes++;
	*put = 0;		/* the ring stays full */
	return 0;
}

int dev_debug_read(int fd, uint32_t id, void *buf, size_t len, size_t *got)
{
	(void)fd, (void)id, (void)buf, (void)len;
	*got = 0;
	return 0;
}

int dev_debug_break(int fd, uint32_t id)
{
	(void)fd, (void)id;
	return 0;
}

/* kspawnctl gdb 7 --tty SLAVE, with gdb's packet waiting on the master. */
static int bridge(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), rc;
	struct termios before, after;
	struct ctl c = { 0 };
	char slave[64];
	char *argv[] = { "gdb", "7", "--tty", slave, NULL };

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_int_equal(ptsname_r(master, slave, sizeof(slave)), 0);
	assert_int_equal(tcgetattr(master, &before), 0);
	said[0] = 0;
	statuses = writes = 0;
	alarm(20);
	/* The packet once the bridge made the line raw: written ahead. */
	assert_int_equal(write(master, "$g#67", 5), 5);
	rc = cmd_gdb(&c, 4, argv);
	alarm(0);
	assert_int_equal(tcgetattr(master, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	assert_int_equal(after.c_oflag, before.c_oflag);
	assert_int_equal(cfgetospeed(&after), cfgetospeed(&before));
	close(master);
	return rc;
}

/* A guest gone as said: the bridge ends after about 100 empty tries. */
static void gone_ends_bridge(int halted)
{
	running_for = 0;
	gone_halted = halted;
	assert_int_equal(bridge(), EXIT_FAIL);
	assert_non_null(strstr(said, "instance 7 is not running"));
	/* It looked after about 100 tries, not at once and not never. */
	assert_true(writes >= 100 && writes <= 101);
}

static void dead_guest_ends_bridge(void **state)
{
	(void)state;
	gone_ends_bridge(0);
}

static void halted_guest_ends_bridge(void **state)
{
	(void)state;
	gone_ends_bridge(1);
}

static void slow_guest_is_waited_for(void **state)
{
	(void)state;
	/* The look before the bridge, then 300 ms of a running guest. */
	running_for = 4;
	gone_halted = 0;
	assert_int_equal(bridge(), EXIT_FAIL);
	assert_int_equal(statuses, 5);
	assert_true(writes >= 400 && writes <= 401);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dead_guest_ends_bridge),
		cmocka_unit_test(halted_guest_ends_bridge),
		cmocka_unit_test(slow_guest_is_waited_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
