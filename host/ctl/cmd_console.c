/* kspawnctl console ID [--follow] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define POLL_NS (20 * 1000 * 1000)

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * Copy what the module holds to stdout, at most CTL_CONSOLE_TURN bytes: a
 * guest writing as fast as we read would otherwise keep us here for ever.
 * 0 or a negative errno; *full says the limit ended it, not an empty read.
 */
static int drain(int fd, uint32_t id, size_t *total, int *full)
{
	char buf[4096];
	size_t got, done = 0;
	int e;

	*full = 0;
	do {
		e = dev_console_read(fd, id, buf, sizeof(buf), &got);
		if (e)
			return e;
		if (got && fwrite(buf, 1, got, stdout) != got)
			return -EIO;
		done += got;
	} while (got && !(*full = done >= CTL_CONSOLE_TURN));
	*total += done;
	fflush(stdout);
	return 0;
}

/* Done following: 1 if the guest can write no more, with its exit status. */
static int finished(const struct ctl_status *st, int *rc)
{
	if (st->host_state == CTL_HOST_STOPPED ||
	    st->guest_state == KSPAWN_GUEST_HALTED) {
		*rc = EXIT_OK;
		return 1;
	}
	if (st->guest_state == KSPAWN_GUEST_PANICKED || st->hung ||
	    st->host_state == CTL_HOST_DEAD) {
		*rc = EXIT_GUEST;
		return 1;
	}
	return 0;
}

static int follow(int fd, uint32_t id)
{
	struct timespec tick = { 0, POLL_NS };
	struct ctl_status st;
	size_t total = 0;
	int rc = EXIT_OK, e, full;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!interrupted) {
		/* Status first: whatever was written before it stopped is
		 * in the ring by then, so the last drain gets all of it. */
		e = dev_status(fd, id, &st);
		if (e)
			return ctl_fail("console", e, id);
		int done = finished(&st, &rc);

		e = drain(fd, id, &total, &full);
		if (e)
			return ctl_fail("console", e, id);
		if (done && !full)
			break;
		if (!full)
			nanosleep(&tick, NULL);
	}
	if (rc == EXIT_GUEST)
		err_msg("console: instance %u %s (kspawnctl status %u)", id,
			instance_state_name(&st), id);
	return interrupted ? EXIT_OK : rc;
}

int cmd_console(struct ctl *c, int argc, char **argv)
{
	int do_follow = 0, rc, e, full;
	size_t total = 0;
	uint32_t id;

	rc = ctl_id_args("console", argc, argv, "--follow", "-f", &do_follow,
			 &id);
	if (rc != CTL_GO)
		return rc;
	rc = ctl_open(c);
	if (rc)
		return rc;
	if (do_follow)
		return follow(c->fd, id);
	e = drain(c->fd, id, &total, &full);
	if (e)
		return ctl_fail("console", e, id);
	return EXIT_OK;
}
