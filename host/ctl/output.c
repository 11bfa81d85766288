/*
 * What kspawnctl prints on stdout must get there: a full disk, a closed
 * pipe or a closed stdout is said on stderr and fails the command, like
 * any other error (`kspawnctl run IMG > /dev/full` must not exit 0 having
 * lost the new instance's ID).
 */
#include <errno.h>
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
	 * (console flushes as it goes) leaves every write to ctl_flush(),
	 * reason and all.  A terminal keeps its line buffering.
	 */
	static char buf[1 << 20];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

int ctl_flush(void)
{
	int e = -1;

	if (fflush(stdout) == EOF)
		e = errno;
	else if (!ferror(stdout))
		return 0;
	if (e > 0)
		err_msg("writing output: %s", strerror(e));
	else	/* stdio wrote on its own, and forgot why it failed */
		err_msg("writing output: a write failed");
	/* Said once: what could not be written is not tried again. */
	__fpurge(stdout);
	clearerr(stdout);
	return e > 0 ? e : EIO;
}
