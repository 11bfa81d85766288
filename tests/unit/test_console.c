/*
 * kspawnctl console against a guest that writes as fast as it is read:
 * the module's console read (a stub here) never comes back empty, and
 * `kspawnctl console ID` must still end, after CTL_CONSOLE_TURN bytes,
 * and `--follow` must still notice the guest halting (and then take
 * what it wrote before it halted).
 *
 * unit-sources: host/ctl/cmd_console.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"

#define RUNAWAY 10000		/* reads before the stub gives up */

static unsigned long reads;
static int halt_after;		/* status calls before the guest halts */
static int halted;		/* then it writes one ring's worth more */

/* The flood: every read returns a full buffer, until RUNAWAY. */
int dev_console_read(int fd, uint32_t id, void *buf, size_t len,
		     size_t *got)
{
	(void)fd, (void)id;
	if (++reads > RUNAWAY ||
	    (halted && halted++ > CTL_CONSOLE_TURN / (int)len)) {
		*got = 0;
		return 0;
	}
	memset(buf, 'x', len);
	*got = len;
	return 0;
}

int dev_status(int fd, uint32_t id, struct ctl_status *st)
{
	(void)fd, (void)id;
	memset(st, 0, sizeof(*st));
	st->host_state = CTL_HOST_RUNNING;
	st->guest_state = halt_after-- > 0 ? KSPAWN_GUEST_RUNNING :
					     KSPAWN_GUEST_HALTED;
	if (st->guest_state == KSPAWN_GUEST_HALTED && !halted)
		halted = 1;
	return 0;
}

int ctl_open(struct ctl *c)
{
	c->fd = 3;
	return 0;
}

int ctl_fail(const char *what, int err, uint32_t id)
{
	(void)what, (void)err, (void)id;
	return EXIT_GUEST + 1;
}

int ctl_id_args(const char *cmd, int argc, char **argv, const char *flag,
		const char *alias, int *flagged, uint32_t *id)
{
	(void)cmd, (void)alias;
	*flagged = argc > 2 && !strcmp(argv[2], flag);
	*id = (uint32_t)atoi(argv[1]);
	return CTL_GO;
}

const char *instance_state_name(const struct ctl_status *st)
{
	(void)st;
	return "halted";
}

void err_msg(const char *fmt, ...)
{
	(void)fmt;
}

static int setup(void **state)
{
	(void)state;
	reads = 0;
	halted = 0;
	halt_after = 0;
	return 0;
}

/* cmd_console with its output (the flood) thrown away, not cmocka's. */
static int quietly(struct ctl *c, int argc, char **argv)
{
	int keep = dup(1), null = open("/dev/null", O_WRONLY), rc;

	assert_true(keep >= 0 && null >= 0);
	fflush(stdout);
	dup2(null, 1);
	rc = cmd_console(c, argc, argv);
	fflush(stdout);
	dup2(keep, 1);
	close(keep);
	close(null);
	return rc;
}

/* CTL_CONSOLE_TURN bytes, give or take a buffer, then back to the user. */
static void test_console_flood_ends(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", NULL };

	(void)state;
	assert_int_equal(quietly(&c, 2, argv), EXIT_OK);
	assert_true(reads < RUNAWAY);
	assert_true(reads * 4096 >= CTL_CONSOLE_TURN);
	assert_true(reads * 4096 <= CTL_CONSOLE_TURN + 4096);
}

/* Following a flood: each turn looks at the status, and sees the halt. */
static void test_console_follow_flood_sees_halt(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };

	(void)state;
	halt_after = 3;
	assert_int_equal(quietly(&c, 3, argv), EXIT_OK);
	assert_true(reads < 6 * CTL_CONSOLE_TURN / 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_console_flood_ends, setup),
		cmocka_unit_test_setup(test_console_follow_flood_sees_halt,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
