/*
 * kspawnctl's look at the kernel log (host/ctl/kmsg.c) against a fake
 * /dev/kmsg: this program's read() answers for the mark's fd as Linux's
 * devkmsg_read() does, a record at a time: EPIPE once where records were
 * overwritten since the last read (the log wrapped), EINVAL for a record
 * longer than the read's room (skipped, as Linux moves past it too), and
 * EAGAIN at the end.  Every other fd is read for real.  The lines after
 * either failure are still shown, and the failure said.
 *
 * unit-sources: host/ctl/kmsg.c
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
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"

#define LOST ((const char *)1)	/* a record: EPIPE here, once */

static int kmsg_fd = -1;		/* the fake's fd */
static const char *records[8];		/* NULL-terminated, or LOST */
static int next;

ssize_t read(int fd, void *buf, size_t n)
{
	const char *r;
	size_t len;

	if (fd != kmsg_fd)
		return syscall(SYS_read, fd, buf, n);
	r = records[next];
	if (!r) {
		errno = EAGAIN;
		return -1;
	}
	next++;
	if (r == LOST) {
		errno = EPIPE;
		return -1;
	}
	len = strlen(r);
	if (len > n) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, r, len);
	return (ssize_t)len;
}

static char said[1 << 15];	/* kspawnctl's stderr */

/* kmsg_relay() over the records given, its stderr in said[]. */
static void relay(const char *first, ...)
{
	struct kmsg_mark m;
	int saved = dup(2), fds[2];
	ssize_t got;
	va_list ap;
	int i = 0;

	va_start(ap, first);
	for (const char *r = first; r && i < 7; r = va_arg(ap, const char *))
		records[i++] = r;
	va_end(ap);
	records[i] = NULL;
	next = 0;
	assert_int_equal(pipe(fds), 0);
	m.fd = kmsg_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(m.fd >= 0);
	fflush(stderr);
	dup2(fds[1], 2);
	kmsg_relay(&m, "kspawn", "stop: ");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	got = read(fds[0], said, sizeof(said) - 1);
	said[got > 0 ? got : 0] = '\0';
	close(fds[0]);
	kmsg_forget(&m);
	kmsg_fd = -1;
}

static void says(const char *what)
{
	if (!strstr(said, what))
		fail_msg("kspawnctl said \"%s\", which lacks \"%s\"", said, what);
}

/* A record of len bytes in all, "6,SEQ,USEC,-;kspawn: long line xxx...\n". */
static const char *long_record(size_t len)
{
	static char rec[10000];
	int head = snprintf(rec, sizeof(rec), "6,2,1000,-;kspawn: long line ");

	assert_true(len < sizeof(rec) && len > (size_t)head + 1);
	memset(rec + head, 'x', len - (size_t)head - 1);
	rec[len - 1] = '\n';
	rec[len] = '\0';
	return rec;
}

/* The log wrapped since the mark: said, and the lines after it shown. */
static void wrapped(void **state)
{
	(void)state;
	relay("6,1,1000,-;kspawn: instance 3: before\n", LOST,
	      "6,900,2000,-;kspawn: instance 3: after the wrap\n", NULL);
	says("stop: kspawn: instance 3: before\n");
	says("stop: (some kernel log lines were lost: the log wrapped");
	says("stop: kspawn: instance 3: after the wrap\n");
}

/*
 * Records up to Linux's largest (escapes and dictionary make them far
 * longer than the 1 KiB kspawnctl once read) are read whole; one longer
 * still would be skipped, said, and the lines after it shown.
 */
static void long_lines(void **state)
{
	(void)state;
	relay(long_record(2000), "6,3,1000,-;kspawn: after a long one\n", NULL);
	says("stop: kspawn: long line xxxx");
	says("stop: kspawn: after a long one\n");
	relay(long_record(8192), "6,3,1000,-;kspawn: after a longest\n", NULL);
	says("stop: kspawn: long line xxxx");
	says("stop: kspawn: after a longest\n");
	relay(long_record(9000), "6,3,1000,-;kspawn: after a too long one\n",
	      NULL);
	says("stop: (a kernel log line too long for kspawnctl to read was skipped)\n");
	says("stop: kspawn: after a too long one\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrapped),
		cmocka_unit_test(long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
