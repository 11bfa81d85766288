/* kspawnctl console ID [--follow] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define POLL_NS (20 * 1000 * 1000)
#define OUTPUT_LOST 1	/* drain(): stdout failed (said: ctl_flush()) */

static volatile sig_atomic_t interrupted;

/* The signal that ends --follow; the exit status is EXIT_SIGNAL + it. */
static void on_signal(int sig)
{
	interrupted = sig;
}

/*
 * Copy what the module holds to stdout, at most CTL_CONSOLE_TURN bytes: a
 * guest writing as fast as we read would otherwise keep us here for ever.
 * 0, a negative errno, or OUTPUT_LOST; *full says the limit ended it, not
 * an empty read.
 * *gone: how the stop found the guest if a read came from what the module
 * kept of a stopped instance, else left as it was.
 */
static int drain(int fd, uint32_t id, size_t *total, int *full,
		 enum ctl_gone *gone)
{
	char buf[4096];
	size_t got, done = 0;
	enum ctl_gone g;
	int e;

	*full = 0;
	do {
		e = dev_console_read(fd, id, buf, sizeof(buf), &got, &g);
		if (e)
			break;
		if (g)
			*gone = g;
		if (got && fwrite(buf, 1, got, stdout) != got)
			break;	/* ctl_flush() says why */
		done += got;
	} while (got && !(*full = done >= CTL_CONSOLE_TURN));
	*total += done;
	return ctl_flush() ? OUTPUT_LOST : e;
}

/* Done following: 1 if the guest can write no more, with its exit status. */
static int finished(const struct ctl_status *st, int *rc)
{
	if (st->guest_state == KSPAWN_GUEST_HALTED) {
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

static int no_instance(int e)
{
	return e == -ESRCH || e == -ENOENT;
}

/*
 * The instance went between two looks: another process stopped it
 * (kspawnctl stop, rmmod).  The module keeps what its guest wrote that
 * nobody read, and how the stop found it, a while, for this reader: take
 * it all, then end as the guest had: EXIT_GUEST if it had panicked, hung
 * or was dead (the stop may have come before we saw it), else EXIT_OK.
 * If it was never seen and left nothing, there was no such instance.
 */
static int follow_gone(int fd, uint32_t id, int seen, size_t *total,
		       enum ctl_gone gone)
{
	int e, full;

	do {
		e = drain(fd, id, total, &full, &gone);
	} while (!e && full && !interrupted);
	if (e == OUTPUT_LOST)
		return EXIT_FAIL;
	if (e && !no_instance(e))
		return ctl_fail("console", e, id);
	if (!seen && !*total && !gone)
		return ctl_fail("console", -ESRCH, id);
	if (gone == CTL_GONE_PANICKED || gone == CTL_GONE_HUNG ||
	    gone == CTL_GONE_DEAD) {
		err_msg("console: instance %u %s when another process stopped it",
			id, gone == CTL_GONE_PANICKED ? "had panicked" :
			gone == CTL_GONE_HUNG ? "had hung (its heartbeat stopped)" :
			"was dead (its core could not be given back)");
		return EXIT_GUEST;
	}
	err_msg("console: instance %u %swas stopped by another process (kspawnctl stop, or the module unloaded)",
		id, gone == CTL_GONE_HALTED ? "had halted and " : "");
	return EXIT_OK;
}

static int follow(int fd, uint32_t id)
{
	struct timespec tick = { 0, POLL_NS };
	struct ctl_status st;
	size_t total = 0;
	enum ctl_gone gone = CTL_GONE_NO;
	int rc = EXIT_OK, e, full, seen = 0;

	interrupted = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!interrupted) {
		/* Status first: whatever was written before it stopped is
		 * in the ring by then, so the last drain gets all of it. */
		e = dev_status(fd, id, &st);
		if (no_instance(e))
			return follow_gone(fd, id, seen, &total, gone);
		if (e)
			return ctl_fail("console", e, id);
		seen = 1;
		int done = finished(&st, &rc);

		e = drain(fd, id, &total, &full, &gone);
		if (e == OUTPUT_LOST)
			return EXIT_FAIL;
		/* Stopped between the status and the read: its epitaph. */
		if (no_instance(e) || gone)
			return follow_gone(fd, id, seen, &total, gone);
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
	return interrupted ? EXIT_SIGNAL + interrupted : rc;
}

int cmd_console(struct ctl *c, int argc, char **argv)
{
	int do_follow = 0, rc, e, full;
	size_t total = 0;
	enum ctl_gone gone = CTL_GONE_NO;
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
	e = drain(c->fd, id, &total, &full, &gone);
	if (e == OUTPUT_LOST)
		return EXIT_FAIL;
	/* A stopped guest's last words (kept a while), then it is gone. */
	if (!e && gone && !total)
		e = -ESRCH;	/* it left none: as if already read */
	if (e && !(no_instance(e) && total))
		return ctl_fail("console", e, id);
	return EXIT_OK;
}
