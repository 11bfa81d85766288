/*
 * kspawnctl gdb ID [--listen [ADDR:]PORT | --tty DEV]
 *
 * Carries the gdb remote protocol between gdb and the guest's stub, which
 * talks over the instance's debug channel (two byte rings in the shared
 * area).  gdb reaches the bridge over TCP (--listen) or over a serial line
 * (--tty, e.g. a second QEMU serial port exported to the build machine).
 * A Ctrl-C from gdb (the byte 0x03 between packets, gdb_break.c: inside
 * one it is data) also asks the module to send the guest's debug IPI, so
 * a break-in does not wait for the stub's poller.
 *
 * Whoever talks to the stub owns the guest's kernel, and through it, on a
 * core with no IOMMU between it and the host, the machine: the bridge runs
 * as root.  So it listens on loopback only, and serves a connection only
 * from root, the user running it, or the user sudo ran it for
 * (peer_uid.c); any other local user is refused and the refusal said.
 * From another machine, forward a port to it (ssh -L).
 */
#define _GNU_SOURCE		/* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "peer_uid.h"

#define IDLE_MS 5
#define LOOK_MS 500	/* how often --listen looks at the instance, idle */

static volatile sig_atomic_t stop_bridge;

/* The signal that stops the bridge; the exit status is EXIT_SIGNAL + it. */
static void on_signal(int sig)
{
	stop_bridge = sig;
}

static void pause_ms(int ms)
{
	struct timespec t = { 0, ms * 1000000L };

	nanosleep(&t, NULL);
}

/*
 * Will the guest still take bytes?  Not once the module stopped carrying
 * them (the instance not RUNNING), nor from a guest that halted or
 * panicked (it exits: no stub reads its debug input any more).
 */
static int guest_running(int fd, uint32_t id)
{
	struct ctl_status st;

	return !dev_status(fd, id, &st) && st.host_state == CTL_HOST_RUNNING &&
	       st.guest_state != KSPAWN_GUEST_HALTED &&
	       st.guest_state != KSPAWN_GUEST_PANICKED;
}

/*
 * Everything gdb sent goes to the guest; waits while the ring is full,
 * looking every 100 ms whether the guest still runs (-EPIPE once not).
 */
static int to_guest(int fd, uint32_t id, struct gdb_scan *scan,
		    const char *buf, size_t len)
{
	int brk = gdb_scan_breaks(scan, buf, len);
	unsigned int waits = 0;
	size_t put;
	int e;

	while (len && !stop_bridge) {
		e = dev_debug_write(fd, id, buf, len, &put);
		if (e)
			return e;
		if (!put) {
			if (++waits % 100 == 0 && !guest_running(fd, id))
				return -EPIPE;
			pause_ms(1);
		}
		buf += put;
		len -= put;
	}
	/* After the byte: the guest's IPI handler reads it from the ring. */
	e = brk ? dev_debug_break(fd, id) : 0;
	return e == -EOPNOTSUPP ? 0 : e;
}

/*
 * Shuttle bytes until the peer goes (1: end of file, or a read or write
 * error, a tty's hangup), the instance goes or fails (a negative errno),
 * or a signal (0).
 */
static int shuttle(int fd, uint32_t id, int peer)
{
	struct gdb_scan scan = { 0 };	/* a new peer starts between packets */
	char buf[4096];
	size_t got;
	int e, busy = 0;

	while (!stop_bridge) {
		struct pollfd p = { .fd = peer, .events = POLLIN };
		int r = poll(&p, 1, busy ? 0 : IDLE_MS);

		if (r > 0) {
			ssize_t n = read(peer, buf, sizeof(buf));

			if (n <= 0 && !(n < 0 && errno == EINTR))
				return 1;
			e = n > 0 ? to_guest(fd, id, &scan, buf, (size_t)n) : 0;
			if (e)
				return e;
		}
		e = dev_debug_read(fd, id, buf, sizeof(buf), &got);
		if (e)
			return e;
		/* A peer that does not read holds it, but not Ctrl-C. */
		if (ctl_write_all(peer, buf, got, &stop_bridge))
			return 1;
		busy = got > 0 || r > 0;
	}
	return 0;
}

/*
 * --tty DEV, opened: its fd, or -1 said why (a bad command line).  Opened
 * O_NONBLOCK, the serial idiom: a blocking open of a serial line without
 * CLOCAL waits for its carrier, for ever on a line that has none.  Then
 * blocking again: the bridge's poll() and writes expect it.
 */
static int open_tty(const char *path)
{
	int tty = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int fl;

	if (tty < 0) {
		err_msg("gdb: --tty %s: %s", path, strerror(errno));
		return -1;
	}
	if (!isatty(tty)) {
		err_msg("gdb: --tty %s is not a terminal (a serial line)", path);
		close(tty);
		return -1;
	}
	fl = fcntl(tty, F_GETFL);
	if (fl < 0 || fcntl(tty, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err_msg("gdb: --tty %s: %s", path, strerror(errno));
		close(tty);
		return -1;
	}
	return tty;
}

/*
 * The line raw at 115200 baud, as gdb's serial remote, its settings
 * before kept in *was: 0, or -1 said.
 */
static int raw_tty(int tty, const char *path, struct termios *was)
{
	struct termios t;

	if (tcgetattr(tty, was))
		goto fail;
	t = *was;
	cfmakeraw(&t);
	if (cfsetispeed(&t, B115200) || cfsetospeed(&t, B115200) ||
	    tcsetattr(tty, TCSANOW, &t))
		goto fail;
	return 0;
fail:
	err_msg("gdb: --tty %s: cannot make it a raw 115200-baud line: %s",
		path, strerror(errno));
	return -1;
}

/*
 * "[ADDR:]PORT" -> *sa: 0, or -1 with the reason said.  Numeric IPv4
 * only (and localhost): kspawnctl is static, and glibc's resolver is not.
 */
static int parse_listen(const char *spec, struct sockaddr_in *sa)
{
	const char *colon = strrchr(spec, ':');
	char host[64] = "127.0.0.1";
	unsigned long port;

	*sa = (struct sockaddr_in){ .sin_family = AF_INET };
	if (colon && colon != spec)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (ctl_parse_uint(colon ? colon + 1 : spec, 65535, &port))
		port = 0;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (!port ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		err_msg("gdb: --listen wants [ADDR:]PORT with a numeric IPv4 address and a port from 1 to 65535, not '%s'",
			spec);
		return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	/* 127.0.0.0/8: the first byte of the address as it lies in memory. */
	if (((const uint8_t *)&sa->sin_addr)[0] != 127) {
		err_msg("gdb: --listen takes a loopback address (127.x.x.x), not '%s': whoever connects owns the guest; from another machine, forward a port to it (ssh -L PORT:127.0.0.1:PORT)",
			spec);
		return -1;
	}
	return 0;
}

/* "ADDR:PORT" of sa, as gdb's target remote takes it. */
static const char *addr_port(const struct sockaddr_in *sa)
{
	static char buf[INET_ADDRSTRLEN + 8];
	char host[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, &sa->sin_addr, host, sizeof(host));
	snprintf(buf, sizeof(buf), "%s:%u", host, ntohs(sa->sin_port));
	return buf;
}

/* A socket listening on sa, or -1 with the reason said. */
static int open_listener(const struct sockaddr_in *sa)
{
	int s, one = 1;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (const struct sockaddr *)sa, sizeof(*sa)) ||
	    listen(s, 1)) {
		err_msg("gdb: cannot listen on %s: %s", addr_port(sa),
			strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

/* Why the bridge ended, if it failed; the exit status. */
static int bridge_fail(int e, uint32_t id)
{
	if (e == -ESRCH || e == -ENOENT) {
		/* It was there when the bridge began. */
		err_msg("gdb: instance %u is gone: another process stopped it (kspawnctl list)",
			id);
		return EXIT_NOINST;
	}
	if (e != -EPIPE)
		return ctl_fail("gdb", e, id);
	err_msg("gdb: instance %u is not running: nothing takes what gdb sends",
		id);
	return EXIT_FAIL;
}

/* May the peer on sock debug instance id?  A refusal is said. */
static int peer_may_debug(int sock, uint32_t id)
{
	uid_t uid;
	int e = tcp_peer_uid(sock, &uid);

	if (e) {
		err_msg("gdb: refused a connection to instance %u: whose it is cannot be told (%s)",
			id, strerror(-e));
		return 0;
	}
	if (!peer_uid_allowed(uid)) {
		err_msg("gdb: refused a connection from uid %u: instance %u is debugged only by root, or by the user who started the bridge (or who ran it with sudo: SUDO_UID)",
			(unsigned int)uid, id);
		return 0;
	}
	return 1;
}

static int bridge_tcp(int fd, uint32_t id, const struct sockaddr_in *sa)
{
	static const struct timespec wait_peer = { 0, LOOK_MS * 1000000L };
	int ls = open_listener(sa), e = 0;
	sigset_t stops, was;

	if (ls < 0)
		return EXIT_FAIL;
	fprintf(stderr, "kspawnctl: gdb: instance %u on %s: in gdb, target remote %s\n",
		id, addr_port(sa), addr_port(sa));
	/*
	 * Ctrl-C and SIGTERM blocked but while ppoll() waits: one that came
	 * between the look at stop_bridge and the wait would otherwise wait
	 * for the next connection.  The shuttle runs with them as they were.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &was);
	while (!stop_bridge) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		struct ctl_status st;
		int peer, r;

		/* No gdb: only a look now and then sees the instance go. */
		r = ppoll(&p, 1, &wait_peer, &was);
		if (!r) {
			e = dev_status(fd, id, &st);
			if (e)
				break;
			continue;
		}
		if (r < 0)
			continue;	/* a signal: stop_bridge says which */
		peer = accept(ls, NULL, NULL);
		if (peer < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err_msg("gdb: accept: %s", strerror(errno));
			e = 1;
			break;
		}
		if (!peer_may_debug(peer, id)) {
			close(peer);
			continue;
		}
		sigprocmask(SIG_SETMASK, &was, NULL);
		e = shuttle(fd, id, peer);
		sigprocmask(SIG_BLOCK, &stops, NULL);
		close(peer);
		if (e < 0)
			break;
		e = 0;
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
	close(ls);
	if (e > 0)
		return EXIT_FAIL;
	return e < 0 ? bridge_fail(e, id) : EXIT_SIGNAL + stop_bridge;
}

/*
 * The line is left as it was found (a serial console, or a terminal
 * given by mistake, would stay raw: no echo, no Ctrl-C), whatever ends
 * the session.
 */
static int bridge_tty(int fd, uint32_t id, int tty, const char *path)
{
	struct termios was;
	int e, rc;

	if (raw_tty(tty, path, &was))
		return EXIT_FAIL;
	fprintf(stderr, "kspawnctl: gdb: instance %u on %s\n", id, path);
	e = shuttle(fd, id, tty);
	if (e == 1) {
		/*
		 * A raw line reads 0 or EIO only once hung up (a pty whose
		 * other end closed): it stays so, and poll() says so at
		 * once, so going round again would spin.
		 */
		err_msg("gdb: %s hung up: the session is over", path);
		rc = EXIT_OK;
	} else {
		rc = e < 0 ? bridge_fail(e, id) : EXIT_SIGNAL + stop_bridge;
	}
	/* Not waiting for output to drain: a hung-up line never would. */
	tcsetattr(tty, TCSANOW, &was);
	return rc;
}

static const char *const gdb_options[] = { "--listen", "--tty", NULL };

int cmd_gdb(struct ctl *c, int argc, char **argv)
{
	const char *ids = NULL, *listen_on = NULL, *tty = NULL;
	struct sockaddr_in addr;
	struct ctl_status st;
	uint32_t id;
	int rc, e, tty_fd = -1, operands = 0;

	if (ctl_help("gdb", argc, argv, gdb_options))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char **to = &listen_on, *val;
		int r = 0;

		if (ctl_end_of_options(argv[i], &operands))
			continue;
		if (!operands)
			r = ctl_opt("gdb", argc, argv, &i, gdb_options[0], &val);
		if (!operands && !r) {
			to = &tty;
			r = ctl_opt("gdb", argc, argv, &i, gdb_options[1], &val);
		}
		if (r < 0) {
			usage("gdb", 1);
			return EXIT_USAGE;
		}
		if (r) {
			/* Not the last one silently: which was meant? */
			if (*to)
				return ctl_usage("gdb", "%s given twice",
						 gdb_options[to == &tty]);
			*to = val;
			continue;
		}
		if (!operands && ctl_is_option(argv[i]))
			return ctl_bad_option("gdb", argv[i]);
		if (ids)
			return ctl_usage("gdb", "one instance ID only ('%s' and '%s')",
					 ids, argv[i]);
		ids = argv[i];
	}
	if (!ids)
		return ctl_usage("gdb", "which instance? (an ID from kspawnctl list)");
	if (listen_on && tty)
		return ctl_usage("gdb", "--listen or --tty, not both");
	/* An unset variable ("$tty"): not "--tty : No such file". */
	if (tty && !*tty)
		return ctl_usage("gdb", "--tty needs a path, not an empty word");
	if (ctl_parse_id("gdb", ids, &id)) {
		usage("gdb", 1);
		return EXIT_USAGE;
	}
	/*
	 * The values first, then the instance: only then a bridge.  A bad
	 * value is a bad command line, said as any: then the synopsis.
	 */
	if (tty) {
		tty_fd = open_tty(tty);
		if (tty_fd < 0) {
			usage("gdb", 1);
			return EXIT_USAGE;
		}
	} else if (parse_listen(listen_on ? listen_on : "127.0.0.1:1234",
				&addr)) {
		usage("gdb", 1);
		return EXIT_USAGE;
	}
	rc = ctl_open(c);
	if (rc)
		goto out;
	e = dev_status(c->fd, id, &st);
	if (e) {
		rc = ctl_fail("gdb", e, id);
		goto out;
	}
	stop_bridge = 0;
	ctl_catch_stop_signals(on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (tty)
		rc = bridge_tty(c->fd, id, tty_fd, tty);
	else
		rc = bridge_tcp(c->fd, id, &addr);
out:
	if (tty_fd >= 0)
		close(tty_fd);
	return rc;
}
