/*
 * kspawnctl console against a guest that writes as fast as it is read:
 * the module's console read (a stub here) never comes back empty, and
 * `kspawnctl console ID` must still end, after CTL_CONSOLE_TURN bytes,
 * and `--follow` must still notice the guest halting (and then take
 * what it wrote before it halted).  And `--follow` of a guest another
 * process stops: the instance is gone between two looks, what the guest
 * wrote last (the module keeps it a while for the reader) is printed,
 * and it ends with status 0, not 8 (no instance); or 9 if the module says
 * the stop found the guest panicked, hung or dead, seen or not.  And on
 * a terminal (a pty here) the guest's escapes come out as '?', unless
 * --raw; to a file they come out as they are.
 *
 * unit-sources: host/ctl/cmd_console.c host/ctl/term_text.c host/ctl/output.c
 */
#define _GNU_SOURCE		/* posix_openpt() */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"

#define RUNAWAY 10000		/* reads before the stub gives up */
#define RUNAWAY_LOOKS 50	/* status looks before it fails them */

static unsigned long reads;
static int halt_after;		/* status calls before the guest halts */
static int halted;		/* then it writes one ring's worth more */
/* A quiet guest another process stops instead of the flood: */
static int gone_after = -1;	/* status calls before its instance goes */
static int gone;
static const char *last_words;	/* what the module kept of it then */
static size_t words_step;	/* 0, or the most of them a read gives */
static int epitaph;		/* the module kept one (maybe no words) */
static enum ctl_gone gone_state;	/* CTL_GONE_NO: an old module */
static int gone_read_err;	/* a read once that is taken: 0 or -ESRCH */
static unsigned long gone_at_read; /* or: the read that finds it gone */
static unsigned long statuses;	/* status calls */
/* A quiet guest that is hung (its heartbeat stopped) or dead: */
static int hung, dead;

static int quiet_read(void *buf, size_t len, size_t *got,
		      enum ctl_gone *g)
{
	static const char banner[] = "banner\n";

	*got = 0;
	*g = CTL_GONE_NO;
	if (!gone) {
		if (reads == 1 && len >= sizeof(banner) - 1) {
			memcpy(buf, banner, sizeof(banner) - 1);
			*got = sizeof(banner) - 1;
		}
		return 0;
	}
	if (!epitaph && !last_words)
		return gone_read_err;
	/* As the module's: the whole epitaph in one read, then it goes. */
	*got = last_words ? strlen(last_words) : 0;
	if (words_step && *got > words_step) {	/* or a byte at a time */
		memcpy(buf, last_words, words_step);
		*got = words_step;
		last_words += words_step;
		*g = gone_state;
		return 0;
	}
	memcpy(buf, last_words ? last_words : "", *got);
	*g = gone_state;
	last_words = NULL;
	epitaph = 0;
	return 0;
}

/* The flood: every read returns a full buffer, until RUNAWAY. */
int dev_console_read(int fd, uint32_t id, void *buf, size_t len,
		     size_t *got, enum ctl_gone *g)
{
	(void)fd, (void)id;
	if (gone_at_read && reads + 1 == gone_at_read)
		gone = 1;
	if (gone_after >= 0 || gone_at_read || gone || hung || dead) {
		reads++;
		return quiet_read(buf, len, got, g);
	}
	*g = CTL_GONE_NO;
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
	/* A follow that never sees the end: failed, not left hanging. */
	if (++statuses > RUNAWAY_LOOKS)
		return -EIO;
	if ((gone_at_read && gone) ||
	    (gone_after >= 0 && (gone || gone_after-- == 0))) {
		gone = 1;
		return -ESRCH;
	}
	memset(st, 0, sizeof(*st));
	st->host_state = dead ? CTL_HOST_DEAD : CTL_HOST_RUNNING;
	st->hung = hung;
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

/* As main.c's: ESRCH is "no instance". */
int ctl_fail(const char *what, int err, uint32_t id)
{
	(void)what, (void)id;
	return err == -ESRCH ? EXIT_NOINST : EXIT_GUEST + 1;
}

int ctl_id_args(const char *cmd, int argc, char **argv,
		const struct ctl_flag *flags, uint32_t *id)
{
	(void)cmd;
	for (; flags->name; flags++)
		*flags->set = argc > 2 && !strcmp(argv[2], flags->name);
	*id = (uint32_t)atoi(argv[1]);
	return CTL_GO;
}

int dev_console_write(int fd, uint32_t id, const void *buf, size_t len,
		      size_t *put)
{
	(void)fd, (void)id, (void)buf, (void)len;
	*put = 0;
	return 0;	/* never called: these tests give no --input */
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
	gone_after = -1;
	gone = 0;
	last_words = NULL;
	epitaph = 0;
	gone_state = CTL_GONE_NO;
	gone_read_err = -ESRCH;
	gone_at_read = 0;
	statuses = 0;
	hung = 0;
	dead = 0;
	words_step = 0;
	setenv("LC_ALL", "C.UTF-8", 1);	/* a UTF-8 terminal */
	return 0;
}

/* cmd_console with its output in a file; what it printed in out. */
static int captured(struct ctl *c, int argc, char **argv, char *out,
		    size_t size)
{
	FILE *f = tmpfile();
	int keep = dup(1), rc;
	size_t n;

	assert_true(f && keep >= 0);
	fflush(stdout);
	dup2(fileno(f), 1);
	rc = cmd_console(c, argc, argv);
	fflush(stdout);
	dup2(keep, 1);
	close(keep);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
	fclose(f);
	return rc;
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
	/* All it wrote after the halt read, up to its empty read. */
	assert_true(halted > CTL_CONSOLE_TURN / 4096 + 1);
}

/*
 * Following a guest that hung (its heartbeat stopped) or is dead (its
 * core could not be given back): it writes no more, and the follow ends,
 * with status 9, once what it wrote was read.
 */
static void test_console_follow_hung_or_dead(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };
	char out[256];

	(void)state;
	halt_after = 1000;		/* it never halts */
	hung = 1;
	assert_int_equal(captured(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "banner\n");
	assert_int_equal(statuses, 1);
	setup(NULL);
	halt_after = 1000;
	dead = 1;
	assert_int_equal(captured(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "banner\n");
	assert_int_equal(statuses, 1);
}

/*
 * Stopped by another process between two looks: the last words the module
 * kept are printed, once, and the follow ends as the stop found the guest:
 * 0 if it ran or had halted (or the module is too old to say), 9 if it
 * had panicked, hung or was dead; whether the module then says nothing
 * more (0 bytes) or no instance (ESRCH).
 */
static void follow_stopped_elsewhere(int read_err, enum ctl_gone how,
				     int want)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };
	char out[256];

	setup(NULL);
	halt_after = 1000;		/* it never halts by itself */
	gone_after = 3;
	last_words = "guest: the host asked us to stop\n";
	gone_state = how;
	gone_read_err = read_err;
	assert_int_equal(captured(&c, 3, argv, out, sizeof(out)), want);
	assert_string_equal(out, "banner\nguest: the host asked us to stop\n");
}

static void test_console_follow_stopped_elsewhere(void **state)
{
	(void)state;
	follow_stopped_elsewhere(-ESRCH, CTL_GONE_NO, EXIT_OK);
	follow_stopped_elsewhere(0, CTL_GONE_NO, EXIT_OK);
	follow_stopped_elsewhere(-ESRCH, CTL_GONE_RUNNING, EXIT_OK);
	follow_stopped_elsewhere(-ESRCH, CTL_GONE_HALTED, EXIT_OK);
	follow_stopped_elsewhere(-ESRCH, CTL_GONE_PANICKED, EXIT_GUEST);
	follow_stopped_elsewhere(0, CTL_GONE_HUNG, EXIT_GUEST);
	follow_stopped_elsewhere(-ESRCH, CTL_GONE_DEAD, EXIT_GUEST);
}

/*
 * The guest panicked and was stopped before the follower first looked:
 * the module kept no words (another reader took them) but how it ended.
 */
static void test_console_follow_panicked_unseen(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };
	char out[256];

	(void)state;
	gone_after = 0;
	epitaph = 1;
	gone_state = CTL_GONE_PANICKED;
	assert_int_equal(captured(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "");
}

/*
 * Stopped between the status look and the read: the read says how the
 * guest ended, and the follow ends there, without another status look.
 */
static void test_console_follow_gone_at_read(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };
	char out[256];

	(void)state;
	halt_after = 1000;
	gone_at_read = 3;	/* the second turn's first read */
	last_words = "guest: no heartbeat\n";
	gone_state = CTL_GONE_HUNG;
	gone_read_err = 0;	/* the module keeps a hung guest's end */
	assert_int_equal(captured(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "banner\nguest: no heartbeat\n");
	assert_int_equal(statuses, 2);
}

/* Without --follow, an epitaph without words is no instance. */
static void test_console_empty_epitaph(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", NULL };
	char out[256];

	(void)state;
	gone = 1;
	epitaph = 1;
	gone_state = CTL_GONE_RUNNING;
	assert_int_equal(captured(&c, 2, argv, out, sizeof(out)), EXIT_NOINST);
	assert_string_equal(out, "");
}

/* cmd_console with a pty (raw: no newline mapping) as its stdout. */
static int on_tty(struct ctl *c, int argc, char **argv, char *out,
		  size_t size)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave, keep, rc;
	struct termios tio;
	ssize_t n;

	assert_true(master >= 0 && !grantpt(master) && !unlockpt(master));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0 && !tcgetattr(slave, &tio));
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(slave, TCSANOW, &tio), 0);
	keep = dup(1);
	fflush(stdout);
	dup2(slave, 1);
	rc = cmd_console(c, argc, argv);
	fflush(stdout);
	dup2(keep, 1);
	close(keep);
	close(slave);
	/* Till the closed end says EIO: each write may come on its own. */
	for (size_t at = 0;; at += (size_t)n) {
		n = read(master, out + at, size - 1 - at);
		if (n <= 0) {
			out[at] = 0;
			break;
		}
	}
	close(master);
	return rc;
}

#define HOSTILE "\x1b[2J\x1b]0;owned\x07ok \xc3\xa9 \x9b \xf0\x9f"

/* A guest's escape sequences do not reach a terminal as such. */
static void test_console_tty_is_safe(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", NULL, NULL };
	char out[256];

	(void)state;
	gone = 1;
	gone_state = CTL_GONE_RUNNING;
	last_words = HOSTILE;
	assert_int_equal(on_tty(&c, 2, argv, out, sizeof(out)), EXIT_OK);
	assert_string_equal(out, "?[2J?]0;owned?ok \xc3\xa9 ? ?");
	/* --raw: as they are, the cut character too. */
	last_words = HOSTILE;
	argv[2] = "--raw";
	assert_int_equal(on_tty(&c, 3, argv, out, sizeof(out)), EXIT_OK);
	assert_string_equal(out, HOSTILE);
	/* Not a terminal: as they are. */
	last_words = HOSTILE;
	assert_int_equal(captured(&c, 2, argv, out, sizeof(out)), EXIT_OK);
	assert_string_equal(out, HOSTILE);
	/* A byte a read: each character still judged whole. */
	words_step = 1;
	last_words = HOSTILE;
	argv[2] = NULL;
	assert_int_equal(on_tty(&c, 2, argv, out, sizeof(out)), EXIT_OK);
	assert_string_equal(out, "?[2J?]0;owned?ok \xc3\xa9 ? ?");
	/* Not a UTF-8 terminal: no byte from 0x80 on (C1 there). */
	setenv("LC_ALL", "C", 1);
	last_words = HOSTILE;
	assert_int_equal(on_tty(&c, 2, argv, out, sizeof(out)), EXIT_OK);
	assert_string_equal(out, "?[2J?]0;owned?ok ?? ? ??");
}

/*
 * Our own words after a guest line left open (here by \r, which would
 * have them overwrite it) start on a line of their own.
 */
static void test_console_tty_own_line(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };
	char out[256];

	(void)state;
	gone_after = 0;
	last_words = "all tests passed, no panic\r";
	gone_state = CTL_GONE_PANICKED;
	assert_int_equal(on_tty(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "all tests passed, no panic\r\n");
	/* A line that ended gets no newline more. */
	setup(NULL);
	gone_after = 0;
	last_words = "done\n";
	gone_state = CTL_GONE_PANICKED;
	assert_int_equal(on_tty(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "done\n");
	/* A character cut short: shown, then the newline. */
	setup(NULL);
	gone_after = 0;
	last_words = "caf\xc3";
	gone_state = CTL_GONE_PANICKED;
	assert_int_equal(on_tty(&c, 3, argv, out, sizeof(out)), EXIT_GUEST);
	assert_string_equal(out, "caf?\n");
}

/* An instance that was never there is still "no instance". */
static void test_console_follow_no_instance(void **state)
{
	struct ctl c = { 0 };
	char *argv[] = { "console", "7", "--follow", NULL };
	char out[256];

	(void)state;
	gone_after = 0;
	assert_int_equal(captured(&c, 3, argv, out, sizeof(out)), EXIT_NOINST);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_console_flood_ends, setup),
		cmocka_unit_test_setup(test_console_follow_flood_sees_halt,
				       setup),
		cmocka_unit_test_setup(test_console_follow_hung_or_dead, setup),
		cmocka_unit_test_setup(test_console_follow_stopped_elsewhere,
				       setup),
		cmocka_unit_test_setup(test_console_follow_no_instance, setup),
		cmocka_unit_test_setup(test_console_follow_panicked_unseen,
				       setup),
		cmocka_unit_test_setup(test_console_follow_gone_at_read, setup),
		cmocka_unit_test_setup(test_console_empty_epitaph, setup),
		cmocka_unit_test_setup(test_console_tty_is_safe, setup),
		cmocka_unit_test_setup(test_console_tty_own_line, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
