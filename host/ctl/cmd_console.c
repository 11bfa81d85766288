/* kspawnctl console ID [--follow] [--input] [--raw] */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "term_text.h"

#define POLL_NS (20 * 1000 * 1000)
#define OUTPUT_LOST 1	/* drain(): stdout failed (said: ctl_write()) */

static volatile sig_atomic_t interrupted;
static int tty;			/* stdout is a terminal */
/* Bytes for a terminal made safe (term_text.c); not with --raw. */
static int safe;
static struct term_text text;
static char last_out = '\n';	/* the last byte shown of the guest's */
static int lost;		/* stdout failed: nothing more goes there */

/*
 * What the guest left unfinished (a UTF-8 character: '?'), and with
 * own_line a newline if its last line is open: our own words start on a
 * line of their own, or they would seem to go on with the guest's text
 * (or, after a \r, the rest of the guest's line with them).
 */
static void end_guest_text(int own_line)
{
	/* Two bytes go even after Ctrl-C: else our words join the line. */
	static volatile sig_atomic_t never;
	char end[2];
	size_t n = 0;

	if (!tty || lost)
		return;
	if (safe)
		n = term_text_end(&text, end);
	if (n)
		last_out = end[0];
	if (own_line && last_out != '\n')
		end[n++] = '\n';
	if (!n)
		return;
	if (ctl_write(end, n, &never))
		lost = 1;
	else
		last_out = end[n - 1];
}

#define say(...) (end_guest_text(1), err_msg(__VA_ARGS__))

static int fail(int e, uint32_t id)
{
	end_guest_text(1);
	return ctl_fail("console", e, id);
}

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
	char buf[4096], shown[sizeof(buf) + 3];
	const char *p;
	size_t got, n, done = 0;
	enum ctl_gone g;
	int e;

	*full = 0;
	if (lost)
		return OUTPUT_LOST;
	do {
		e = dev_console_read(fd, id, buf, sizeof(buf), &got, &g);
		if (e)
			break;
		if (g)
			*gone = g;
		p = buf;
		n = got;
		if (safe) {
			n = term_text(&text, buf, got, shown);
			p = shown;
		}
		if (n)
			last_out = p[n - 1];
		lost = ctl_write(p, n, &interrupted) != 0;
		if (lost)
			return OUTPUT_LOST;
		done += got;
	} while (got && !interrupted &&
		 !(*full = done >= CTL_CONSOLE_TURN));
	*total += done;
	return e;
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
		return fail(e, id);
	if (!seen && !*total && !gone)
		return fail(-ESRCH, id);
	if (gone == CTL_GONE_PANICKED || gone == CTL_GONE_HUNG ||
	    gone == CTL_GONE_DEAD) {
		say("console: instance %u %s when another process stopped it",
		    id, gone == CTL_GONE_PANICKED ? "had panicked" :
		    gone == CTL_GONE_HUNG ? "had hung (its heartbeat stopped)" :
		    "was dead (its core could not be given back)");
		return EXIT_GUEST;
	}
	say("console: instance %u %swas stopped by another process (kspawnctl stop, or the module unloaded)",
	    id, gone == CTL_GONE_HALTED ? "had halted and " : "");
	return EXIT_OK;
}

/*
 * --input: stdin goes to the guest's console input ring, which its read()
 * polls.  The ring holds 1 KiB; what does not fit waits here, and stdin
 * is not read again until it went, so a guest that does not read holds
 * back the writer (a pipe fills) and nothing is dropped.  Stdin's end
 * stops the sending, not the following: the guest still answers.
 */
struct input {
	int open;		/* stdin not at its end */
	int failed;		/* reading it failed: said, and status 1 */
	int moved;		/* the last send put bytes in the ring */
	char buf[1024];
	size_t len, off;	/* buf[off, len) not in the ring yet */
};

/* Into the ring, what it takes of what waits; 0 or a negative errno. */
static int send_input(int fd, uint32_t id, struct input *in)
{
	size_t put;
	int e;

	in->moved = 0;
	if (in->off == in->len)
		return 0;
	e = dev_console_write(fd, id, in->buf + in->off, in->len - in->off,
			      &put);
	if (!e) {
		in->off += put;
		in->moved = put != 0;
	}
	return e;
}

/*
 * Wait a poll period, or less if stdin has bytes and nothing of it waits
 * (then read them: a keystroke reaches the guest at once).  Bytes still
 * waiting for a guest that is taking them are tried again a millisecond
 * later, which its read() may take already; for one that is not, a poll
 * period later.
 */
static void wait_input(struct input *in)
{
	struct timespec tick = { 0, POLL_NS }, soon = { 0, POLL_NS / 20 };
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	ssize_t n;

	if (!in || !in->open || in->off < in->len) {
		nanosleep(in && in->moved ? &soon : &tick, NULL);
		return;
	}
	if (poll(&p, 1, POLL_NS / 1000000) <= 0)
		return;		/* nothing, or a signal: the loop sees it */
	n = read(STDIN_FILENO, in->buf, sizeof(in->buf));
	if (n > 0) {
		in->len = (size_t)n;
		in->off = 0;
	} else if (n == 0) {
		in->open = 0;
	} else if (errno != EINTR && errno != EAGAIN &&
		   errno != EWOULDBLOCK) {
		say("console: reading stdin: %s; no more input sent",
		    strerror(errno));
		in->open = 0;
		in->failed = 1;
	}
}

static int follow_loop(int fd, uint32_t id, struct input *in)
{
	struct ctl_status st;
	size_t total = 0;
	enum ctl_gone gone = CTL_GONE_NO;
	int rc = EXIT_OK, e, full, seen = 0;

	interrupted = 0;
	/* No SA_RESTART: a read of stdin that blocks ends at Ctrl-C. */
	ctl_catch_stop_signals(on_signal);
	while (!interrupted) {
		/* Status first: whatever was written before it stopped is
		 * in the ring by then, so the last drain gets all of it. */
		e = dev_status(fd, id, &st);
		if (no_instance(e))
			return follow_gone(fd, id, seen, &total, gone);
		if (e)
			return fail(e, id);
		seen = 1;
		int done = finished(&st, &rc);

		e = drain(fd, id, &total, &full, &gone);
		if (e == OUTPUT_LOST)
			return EXIT_FAIL;
		/* Stopped between the status and the read: its epitaph. */
		if (no_instance(e) || gone)
			return follow_gone(fd, id, seen, &total, gone);
		if (e)
			return fail(e, id);
		if (done && !full)
			break;
		e = in ? send_input(fd, id, in) : 0;
		if (no_instance(e))
			continue;	/* the next status look says how */
		if (e)
			return fail(e, id);
		if (!full)
			wait_input(in);
	}
	if (rc == EXIT_GUEST)
		say("console: instance %u %s (kspawnctl status %u)", id,
		    instance_state_name(&st), id);
	return interrupted ? EXIT_SIGNAL + interrupted : rc;
}

/*
 * Following, and with in, sending.  In the end, what was read from stdin
 * and never went into the guest's ring is said (the ring itself may hold
 * up to 1 KiB the guest never read: only the guest knows), and a failed
 * stdin makes a follow that would end well end with status 1.
 */
static int follow(int fd, uint32_t id, struct input *in)
{
	int rc = follow_loop(fd, id, in);

	if (in && in->off < in->len)
		say("console: instance %u took no more input: %zu bytes read from stdin were not sent",
		    id, in->len - in->off);
	return in && in->failed && rc == EXIT_OK ? EXIT_FAIL : rc;
}

static int console(struct ctl *c, uint32_t id, int do_follow, int do_input)
{
	static struct input in;
	size_t total = 0;
	enum ctl_gone gone = CTL_GONE_NO;
	int rc, e, full;

	rc = ctl_open(c);
	if (rc)
		return rc;
	if (do_input) {
		in = (struct input){ .open = 1 };
		return follow(c->fd, id, &in);
	}
	if (do_follow)
		return follow(c->fd, id, NULL);
	e = drain(c->fd, id, &total, &full, &gone);
	if (e == OUTPUT_LOST)
		return EXIT_FAIL;
	/* A stopped guest's last words (kept a while), then it is gone. */
	if (!e && gone && !total)
		e = -ESRCH;	/* it left none: as if already read */
	if (e && !(no_instance(e) && total))
		return fail(e, id);
	return EXIT_OK;
}

int cmd_console(struct ctl *c, int argc, char **argv)
{
	int do_follow = 0, do_input = 0, raw = 0, rc;
	const struct ctl_flag flags[] = {
		{ "--follow", "-f", &do_follow },
		{ "--input", "-i", &do_input },
		{ "--raw", NULL, &raw },
		{ 0 }
	};
	uint32_t id;

	rc = ctl_id_args("console", argc, argv, flags, &id);
	if (rc != CTL_GO)
		return rc;
	/* A pipe or a file gets the bytes as they are: it acts on none. */
	tty = isatty(STDOUT_FILENO);
	safe = !raw && tty;
	term_text_init(&text, term_text_utf8(getenv));
	last_out = '\n';
	lost = 0;
	rc = console(c, id, do_follow, do_input);
	end_guest_text(0);
	if (lost && rc == EXIT_OK)
		rc = EXIT_FAIL;
	return rc;
}
