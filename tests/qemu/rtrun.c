/*
 * rtrun PRIO CMD [ARG...]: CMD run under SCHED_FIFO at PRIO, as a
 * real-time process (a watchdog daemon, say) runs it.  Busybox has no
 * chrt.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sched_param sp = { 0 };

	if (argc < 3) {
		fprintf(stderr, "usage: rtrun PRIO CMD [ARG...]\n");
		return 2;
	}
	sp.sched_priority = atoi(argv[1]);
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		perror("rtrun: sched_setscheduler");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("rtrun: exec");
	return 127;
}
