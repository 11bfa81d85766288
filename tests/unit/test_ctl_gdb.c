/*
 * kspawnctl gdb's command line (host/ctl/cmd_gdb.c): bad --listen and
 * --tty values are a bad command line (status 2), said before the device
 * is opened; the instance is looked at before anything listens, so a
 * wrong ID is "no instance" (8), with no hint to connect to a bridge that
 * is not there; and the hint is one gdb reads as TCP (target remote
 * HOST:PORT; a bare PORT is a serial device to gdb).  The device is a
 * fake (ctl_fake.h); the bridge is ended by a SIGINT, as by Ctrl-C.
 *
 * unit-sources: host/ctl/cli.c host/ctl/errors.c host/ctl/args.c
 * unit-sources: host/ctl/output.c host/ctl/usage.c host/ctl/run_args.c
 * unit-sources: host/ctl/cmd_run.c host/ctl/spawn.c host/ctl/cmd_status.c host/ctl/cmd_stop.c
 * unit-sources: host/ctl/cmd_console.c host/ctl/cmd_gdb.c host/ctl/cmd_reserve.c
 * unit-sources: host/ctl/term_text.c
 * unit-sources: host/ctl/cpus.c host/ctl/image.c host/ctl/json.c
 * unit-sources: host/ctl/states.c host/ctl/kmsg.c host/ctl/gdb_break.c
 * unit-sources: host/ctl/peer_uid.c
 * unit-sources: host/loader/elf_check.c guest/gdbstub/rsp.c
 */
#define _GNU_SOURCE		/* posix_openpt, ptsname */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <cmocka.h>

#include "tests/unit/ctl_fake.h"

static char port[16];		/* a free TCP port on 127.0.0.1 */
static int first_ctrl_c_ms;	/* 0: the first Ctrl-C after 300 ms */
static int term_after;		/* > 0: a SIGTERM after that many Ctrl-C */
static pthread_t main_thread;

static void ignore(int sig)
{
	(void)sig;
}

static int reset(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	fake_reset();
	first_ctrl_c_ms = 0;
	term_after = 0;
	/* A Ctrl-C that comes after kspawnctl gdb returned is nobody's. */
	signal(SIGINT, ignore);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(s, (struct sockaddr *)&sa, &len))
		return -1;
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	close(s);
	return 0;
}

static atomic_int gdb_returned;

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/*
 * Ctrl-C for the bridge (this thread), every 300 ms until it returns: one
 * that came before kspawnctl set its handler is lost (ours ignores it).
 * The first waits first_ctrl_c_ms if set: the bridge should have ended
 * on its own by then.
 */
static void *ctrl_c(void *arg)
{
	(void)arg;
	if (first_ctrl_c_ms)
		sleep_ms(first_ctrl_c_ms - 300);
	for (int n = 0; !atomic_load(&gdb_returned); n++) {
		sleep_ms(300);
		if (!atomic_load(&gdb_returned))
			pthread_kill(main_thread, term_after && n >= term_after ?
					     SIGTERM : SIGINT);
	}
	return NULL;
}

/* kspawnctl gdb ARGS..., Ctrl-C'd if it bridges. */
static int gdb(const char *id, const char *opt, const char *val)
{
	pthread_t t;
	int rc;

	main_thread = pthread_self();
	atomic_store(&gdb_returned, 0);
	assert_int_equal(pthread_create(&t, NULL, ctrl_c, NULL), 0);
	rc = ctl("gdb", id, opt, val);
	atomic_store(&gdb_returned, 1);
	pthread_join(t, NULL);
	return rc;
}

static void no_instance_no_bridge(void **state)
{
	(void)state;
	assert_int_equal(gdb("999", "--listen", port), EXIT_NOINST);
	has(err, "no instance 999");
	hasnt(err, "target remote");
}

static void hint_is_tcp(void **state)
{
	char want[64];

	(void)state;
	gdb("7", "--listen", port);
	snprintf(want, sizeof(want), "target remote 127.0.0.1:%s\n", port);
	has(err, want);
}

/* Ctrl-C ends the bridge with 130, as a shell says an interrupt. */
static void ctrl_c_is_130(void **state)
{
	(void)state;
	assert_int_equal(gdb("7", "--listen", port), 130);
}

/*
 * A Ctrl-C the caller ignores (a script's background job) stays ignored:
 * the bridge goes on through three, and the SIGTERM after them ends it.
 */
static void ignored_ctrl_c(void **state)
{
	(void)state;
	signal(SIGINT, SIG_IGN);
	term_after = 3;
	assert_int_equal(gdb("7", "--listen", port), 143);
	signal(SIGTERM, SIG_DFL);
}

static void bad_listen(void **state)
{
	(void)state;
	assert_int_equal(ctl("gdb", "7", "--listen", "99999"), EXIT_USAGE);
	has(err, "gdb: --listen wants [ADDR:]PORT");
	assert_int_equal(ctl("gdb", "7", "--listen", "1.2.3:80"), EXIT_USAGE);
	has(err, "gdb: --listen wants [ADDR:]PORT");
	/* Not loopback: whoever connects would own the guest. */
	assert_int_equal(ctl("gdb", "7", "--listen", "0.0.0.0:1234"), EXIT_USAGE);
	has(err, "gdb: --listen takes a loopback address");
	assert_int_equal(fake.opens, 0);
}

static void bad_tty(void **state)
{
	(void)state;
	assert_int_equal(ctl("gdb", "7", "--tty", "/nonexist"), EXIT_USAGE);
	has(err, "gdb: --tty /nonexist: No such file or directory");
	assert_int_equal(fake.opens, 0);
}

/* Not a terminal: no serial line to set raw, a bad --tty. */
static void tty_not_a_terminal(void **state)
{
	(void)state;
	assert_int_equal(gdb("7", "--tty", "/dev/null"), EXIT_USAGE);
	has(err, "gdb: --tty /dev/null is not a terminal");
	assert_int_equal(fake.opens, 0);
}

static int pty_master = -1;

static void *hang_up(void *arg)
{
	(void)arg;
	sleep_ms(200);
	close(pty_master);
	return NULL;
}

/*
 * The line hangs up (a pty whose other end closes, as QEMU's exported
 * serial port when QEMU goes): the session is over, said, status 0; not
 * a bridge spinning on a read that returns at once until Ctrl-C.
 */
/* A pty: its master in pty_master, the name of its slave returned. */
static char *open_pty(void)
{
	char *slave;

	pty_master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(pty_master >= 0);
	assert_int_equal(grantpt(pty_master), 0);
	assert_int_equal(unlockpt(pty_master), 0);
	slave = ptsname(pty_master);
	assert_non_null(slave);
	return slave;
}

static void tty_hangup_ends(void **state)
{
	pthread_t t;
	char *slave;

	(void)state;
	slave = open_pty();
	first_ctrl_c_ms = 10000;
	assert_int_equal(pthread_create(&t, NULL, hang_up, NULL), 0);
	assert_int_equal(gdb("7", "--tty", slave), EXIT_OK);
	pthread_join(t, NULL);
	has(err, "hung up");
	has(err, "the session is over");
}

/*
 * A guest flooding its debug channel, and a line whose other end is open
 * but not read (a gdb stopped, say): the bridge's write to it waits, and
 * Ctrl-C must end it all the same (130), not be a write to try again.
 * (The alarm ends a kspawnctl that waits: the test then dies of SIGALRM
 * rather than hang.)
 */
static void ctrl_c_ends_stalled_write(void **state)
{
	char *slave;
	int rc;

	(void)state;
	slave = open_pty();
	fake.debug_flood = 1;
	first_ctrl_c_ms = 1000;		/* the line full by then */
	alarm(10);
	rc = gdb("7", "--tty", slave);
	alarm(0);
	close(pty_master);
	assert_int_equal(rc, 130);
}

/*
 * open() as kspawnctl calls it, seen here: the flags of the open of
 * tty_path, and the fd it gave.  A serial line waiting for its carrier
 * (no CLOCAL) holds a blocking open for ever; a pty has no carrier to
 * wait for, so only the flags can show it.
 */
static const char *tty_path;
static int tty_flags = -1, tty_fd = -1;

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd;

	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	if (tty_path && !strcmp(path, tty_path)) {
		tty_flags = flags;
		tty_fd = fd;
	}
	return fd;
}

static int tty_fl = -1;	/* the bridge's line's file flags, in its session */

static void *look_then_hang_up(void *arg)
{
	(void)arg;
	sleep_ms(200);
	tty_fl = fcntl(tty_fd, F_GETFL);
	close(pty_master);
	return NULL;
}

/*
 * --tty opens the line without waiting for its carrier (O_NONBLOCK), then
 * bridges with blocking reads and writes (O_NONBLOCK cleared: a write to
 * a full line waits, as ctrl_c_ends_stalled_write wants).  Before, the
 * open was blocking: a serial line with no carrier kept it for ever.
 */
static void tty_open_does_not_wait(void **state)
{
	pthread_t t;

	(void)state;
	tty_path = open_pty();
	tty_flags = tty_fd = tty_fl = -1;
	first_ctrl_c_ms = 10000;
	assert_int_equal(pthread_create(&t, NULL, look_then_hang_up, NULL), 0);
	assert_int_equal(gdb("7", "--tty", tty_path), EXIT_OK);
	pthread_join(t, NULL);
	tty_path = NULL;
	assert_true(tty_flags >= 0);
	if (!(tty_flags & O_NONBLOCK))
		fail_msg("--tty opened without O_NONBLOCK (flags %#x)",
			 tty_flags);
	assert_true(tty_fl >= 0);
	if (tty_fl & O_NONBLOCK)
		fail_msg("the bridge's line is left O_NONBLOCK (flags %#x)",
			 tty_fl);
}

static int statuses;

/* The instance is stopped by another process after two looks. */
static void stopped_later(void)
{
	if (++statuses == 2)
		fake.there = 0;
}

/*
 * The instance goes while no gdb is connected: the bridge sees it within
 * its wait's timeout and ends, saying so (status 8), instead of waiting
 * for a connection for ever.
 */
static void listen_sees_instance_go(void **state)
{
	(void)state;
	statuses = 0;
	fake.on_status = stopped_later;
	first_ctrl_c_ms = 10000;
	assert_int_equal(gdb("7", "--listen", port), EXIT_NOINST);
	has(err, "gdb: instance 7 is gone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(no_instance_no_bridge, reset),
		cmocka_unit_test_setup(hint_is_tcp, reset),
		cmocka_unit_test_setup(ctrl_c_is_130, reset),
		cmocka_unit_test_setup(ignored_ctrl_c, reset),
		cmocka_unit_test_setup(bad_listen, reset),
		cmocka_unit_test_setup(bad_tty, reset),
		cmocka_unit_test_setup(tty_not_a_terminal, reset),
		cmocka_unit_test_setup(tty_hangup_ends, reset),
		cmocka_unit_test_setup(ctrl_c_ends_stalled_write, reset),
		cmocka_unit_test_setup(tty_open_does_not_wait, reset),
		cmocka_unit_test_setup(listen_sees_instance_go, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
