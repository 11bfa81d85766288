/*
 * Who is at the other end of a loopback TCP connection (host/ctl/peer_uid.c),
 * which the gdb bridge asks before it serves a connection: from a table in
 * /proc/net/tcp's format, and live, through real sockets, the peer being
 * this process or (as root) a child that became nobody before it connected.
 *
 * unit-sources: host/ctl/peer_uid.c
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "host/ctl/peer_uid.h"

#define NOBODY 65534

static const char table[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 0100007F:04D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n"
	/* ours, accepted: 127.0.0.1:1234 <- 127.0.0.1:40000 */
	"   1: 0100007F:04D2 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 101 1 0 20 4 30 10 -1\n"
	/* the peer's: 127.0.0.1:40000 -> 127.0.0.1:1234, nobody's */
	"   2: 0100007F:9C40 0100007F:04D2 01 00000000:00000000 00:00000000 00000000 65534        0 102 1 0 20 4 30 10 -1\n"
	/* a peer that closed before the lookup: an orphan, root's in the table */
	"   4: 0100007F:9C42 0100007F:04D2 06 00000000:00000000 03:00000F9D 00000000     0        0 0 3 0\n"
	/* connected, but no socket holds it (inode 0): no process's */
	"   5: 0100007F:9C43 0100007F:04D2 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1\n"
	/* another user's connection elsewhere */
	"   3: 0100007F:9C41 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 103 1 0 20 4 30 10 -1\n"
	"garbage line\n";

static struct sockaddr_in end(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

static int lookup(int peer_port, int self_port, uid_t *uid)
{
	struct sockaddr_in peer = end("127.0.0.1", peer_port);
	struct sockaddr_in self = end("127.0.0.1", self_port);
	FILE *f = fmemopen((void *)table, sizeof(table) - 1, "r");
	int r;

	assert_non_null(f);
	r = tcp_peer_uid_in(f, &peer, &self, uid);
	fclose(f);
	return r;
}

/* The peer's entry, not ours (same ends, swapped), nor another's. */
static void test_table_peer_entry(void **state)
{
	uid_t uid = 12345;

	(void)state;
	assert_int_equal(lookup(40000, 1234, &uid), 0);
	assert_int_equal(uid, NOBODY);
	assert_int_equal(lookup(40001, 1234, &uid), -ENOENT);
	assert_int_equal(lookup(1234, 40000, &uid), 0);	/* ours, root's */
	assert_int_equal(uid, 0);
	/* Closed already: not a peer at all, whatever uid it shows. */
	assert_int_equal(lookup(40002, 1234, &uid), -ENOENT);
	/* Established without an inode: no owner to take its uid from. */
	assert_int_equal(lookup(40003, 1234, &uid), -ENOENT);
}

static void test_allowed(void **state)
{
	(void)state;
	unsetenv("SUDO_UID");
	assert_true(peer_uid_allowed(0));
	assert_true(peer_uid_allowed(getuid()));
	if (getuid() != NOBODY)
		assert_false(peer_uid_allowed(NOBODY));
	setenv("SUDO_UID", "1000", 1);
	assert_true(peer_uid_allowed(1000));
	assert_false(peer_uid_allowed(1001));
	setenv("SUDO_UID", "1000x", 1);
	if (getuid() != 1000)
		assert_false(peer_uid_allowed(1000));
	unsetenv("SUDO_UID");
}

/* A listener on 127.0.0.1, some free port; its port in *port. */
static int listener(int *port)
{
	struct sockaddr_in sa = end("127.0.0.1", 0);
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return s;
}

static int dial(int port)
{
	struct sockaddr_in sa = end("127.0.0.1", port);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return s;
}

static void test_live_self(void **state)
{
	int port, ls = listener(&port), c = dial(port), a;
	uid_t uid = 12345;

	(void)state;
	assert_true(c >= 0);
	a = accept(ls, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(tcp_peer_uid(a, &uid), 0);
	assert_int_equal(uid, getuid());
	close(a);
	close(c);
	close(ls);
}

/*
 * As root: a child that becomes nobody and connects to port, then waits
 * until the parent has looked (closes when the parent's end does), or,
 * with close_first, writes and closes at once.  Its exit status: 0, or 2
 * if it could not become nobody, 3 if it could not connect or write.
 */
static pid_t nobody_dials(int port, int close_first)
{
	pid_t pid = fork();
	char b;
	int c;

	assert_true(pid >= 0);
	if (pid)
		return pid;
	if (setgid(NOBODY) || setuid(NOBODY))
		_exit(2);
	c = dial(port);
	if (c < 0)
		_exit(3);
	if (close_first) {
		if (write(c, "$c#63", 5) != 5)
			_exit(3);
		close(c);
		_exit(0);
	}
	(void)!read(c, &b, 1);	/* until the parent has looked */
	_exit(0);
}

/* As root: a child that is nobody when it connects is seen as nobody. */
static void test_live_other_user(void **state)
{
	int port, ls, a, status;
	uid_t uid = 12345;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	ls = listener(&port);
	pid = nobody_dials(port, 0);
	a = accept(ls, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(tcp_peer_uid(a, &uid), 0);
	close(a);
	close(ls);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(uid, NOBODY);
	assert_false(peer_uid_allowed(uid));
}

/*
 * As root: nobody connects, writes and closes before we look.  Its bytes
 * wait for us, but its socket is an orphan that /proc/net/tcp shows as
 * root's: that must be no peer, not root.
 */
static void test_live_closed_first(void **state)
{
	int port, ls, a, status, r;
	uid_t uid = 12345;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	ls = listener(&port);
	pid = nobody_dials(port, 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	a = accept(ls, NULL, NULL);
	assert_true(a >= 0);
	r = tcp_peer_uid(a, &uid);
	close(a);
	close(ls);
	assert_int_equal(r, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_peer_entry),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_live_other_user),
		cmocka_unit_test(test_live_closed_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
