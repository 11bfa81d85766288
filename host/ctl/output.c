/*
 * What kspawnctl prints on stdout must get there: a full disk, a closed
 * pipe or a closed stdout is said on stderr and fails the command, like
 * any other error (`kspawnctl run IMG > /dev/full` must not exit 0 having
 * lost the new instance's ID).
 */
#include <errno.h>
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

int ctl_write_all(int fd, const void *buf, size_t len,
		  volatile sig_atomic_t *stop)
{
	const char *p = buf;

	while (len && !*stop) {
		ssize_t n = write(fd, p, len);

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
