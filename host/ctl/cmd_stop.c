/* kspawnctl stop ID [--force] */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

/*
 * A stop can wait for as long as its disk holds requests in flight (a
 * frozen file system, a dead path): the module says so in its log every
 * so often, and a thread beside the blocked ioctl relays it, so that a
 * stop that takes minutes does not look hung.
 */
struct progress {
	struct kmsg_mark log;
	char what[64];
	int done[2];			/* a pipe: written when the stop returns */
};

static void *relay_progress(void *arg)
{
	struct progress *p = arg;
	struct pollfd fds[2] = {
		{ .fd = p->log.fd, .events = POLLIN },
		{ .fd = p->done[0], .events = POLLIN },
	};

	while (poll(fds, 2, -1) >= 0 && !(fds[1].revents & (POLLIN | POLLHUP)))
		kmsg_relay(&p->log, p->what, "stop: ");
	/*
	 * The stop returned: what it logged is in the log now, and all of
	 * it is relayed here, for the failure's report leaves it out.
	 */
	kmsg_relay(&p->log, p->what, "stop: ");
	return NULL;
}

/* 0 with the relay running, or -1 if there is no log to relay. */
static int progress_start(struct progress *p, pthread_t *t, uint32_t id)
{
	kmsg_mark(&p->log);
	if (p->log.fd < 0)
		return -1;
	snprintf(p->what, sizeof(p->what), "instance %u: the stop has waited",
		 id);
	if (pipe(p->done)) {
		kmsg_forget(&p->log);
		return -1;
	}
	if (pthread_create(t, NULL, relay_progress, p)) {
		close(p->done[0]);
		close(p->done[1]);
		kmsg_forget(&p->log);
		return -1;
	}
	return 0;
}

static void progress_end(struct progress *p, pthread_t t)
{
	close(p->done[1]);
	pthread_join(t, NULL);
	close(p->done[0]);
	kmsg_forget(&p->log);
}

int cmd_stop(struct ctl *c, int argc, char **argv)
{
	struct progress p;
	struct kmsg_mark m;
	int force = 0, rc, e, relaying;
	const struct ctl_flag flags[] = { { "--force", "-f", &force }, { 0 } };
	uint32_t id;
	pthread_t t;

	rc = ctl_id_args("stop", argc, argv, flags, &id);
	if (rc != CTL_GO)
		return rc;
	rc = ctl_open(c);
	if (rc)
		return rc;
	kmsg_mark(&m);
	relaying = !progress_start(&p, &t, id);
	e = dev_stop(c->fd, id, force);
	if (relaying)
		progress_end(&p, t);
	if (e) {
		rc = ctl_fail("stop", e, id);
		kmsg_report_except(&m, relaying ? p.what : NULL);
		return rc;
	}
	kmsg_forget(&m);
	return EXIT_OK;
}
