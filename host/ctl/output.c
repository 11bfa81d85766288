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

#include "ctl.h"

int ctl_flush(void)
{
	int e = 0;

	if (fflush(stdout) == EOF)
		e = errno ? errno : EIO;
	else if (ferror(stdout))
		e = EIO;	/* an earlier write failed; its errno is gone */
	if (!e)
		return 0;
	err_msg("writing output: %s", strerror(e));
	/* Said once: what could not be written is not tried again. */
	__fpurge(stdout);
	clearerr(stdout);
	return e;
}
