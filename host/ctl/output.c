/*
 * What kspawnctl prints on stdout must get there: a full disk, a closed
 * pipe or a closed stdout is said on stderr and fails the command, like
 * any other error (`kspawnctl run IMG > /dev/full` must not exit 0 having
 * lost the new instance's ID).
 */
#define _GNU_SOURCE		/* ppoll */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

void ctl_output_init(void)
{
	/*
	 * stdio writes a full buffer on its own, and a write that fails
	 * there loses its errno.  One big enough for all a command prints
	 * (console writes its copy itself: ctl_write()) leaves every write
	 * to ctl_flush(), reason and all.  A terminal keeps its line
	 * buffering.
	 */
	static char buf[1 << 20];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

/* A failed write said, and what stdio still holds dropped: e or EIO. */
static int lost(int e)
{
	if (e > 0)
		err_msg("writing output: %s", strerror(e));
	else	/* stdio wrote on its own, and forgot why it failed */
		err_msg("writing output: a write failed");
	/* Said once: what could not be written is not tried again. */
	__fpurge(stdout);
	clearerr(stdout);
	return e > 0 ? e : EIO;
}

int ctl_flush(void)
{
	if (fflush(stdout) == EOF)
		return lost(errno);
	return ferror(stdout) ? lost(-1) : 0;
}

/*
 * Wait for fd to take a write, or for a stop signal.  SIGINT and SIGTERM
 * are blocked from the test of *stop until ppoll() unblocks them as it
 * starts waiting: one that comes between the two still ends the wait (a
 * blocking write, started just after it, would wait for the reader).
 * Returns 0 to write, -1 if *stop, or an errno.
 */
static int wait_writable(int fd, volatile sig_atomic_t *stop)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	sigset_t block, was;
	int r = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &was);
	while (!*stop && (r = ppoll(&pfd, 1, NULL, &was)) < 0 &&
	       errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (*stop)
		return -1;
	return r < 0 ? errno : 0;
}

int ctl_write_all(int fd, const void *buf, size_t len,
		  volatile sig_atomic_t *stop)
{
	const char *p = buf;
	int e;

	while (len) {
		/*
		 * At most PIPE_BUF after POLLOUT: a pipe takes it whole
		 * without waiting, so a stop is seen at the next wait.
		 */
		size_t chunk = len < PIPE_BUF ? len : PIPE_BUF;
		ssize_t n;

		e = wait_writable(fd, stop);
		if (e)
			return e < 0 ? 0 : e;
		n = write(fd, p, chunk);
		if (n < 0 && errno == EINTR)
			continue;	/* *stop says whether to go on */
		if (n <= 0)
			return n < 0 ? errno : EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void ctl_catch_stop_signals(void (*fn)(int))
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa = { .sa_handler = fn }, was;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &was) || was.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

int ctl_write(const void *buf, size_t len, volatile sig_atomic_t *stop)
{
	int e = ctl_flush();

	if (!e && (e = ctl_write_all(STDOUT_FILENO, buf, len, stop)))
		e = lost(e);
	return e;
}
