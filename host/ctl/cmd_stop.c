/* kspawnctl stop ID [--force] */
#include <string.h>

#include "ctl.h"

int cmd_stop(struct ctl *c, int argc, char **argv)
{
	struct kmsg_mark m;
	int force = 0, rc, e;
	uint32_t id;

	rc = ctl_id_args("stop", argc, argv, "--force", NULL, &force, &id);
	if (rc != CTL_GO)
		return rc;
	rc = ctl_open(c);
	if (rc)
		return rc;
	kmsg_mark(&m);
	e = dev_stop(c->fd, id, force);
	if (e) {
		rc = ctl_fail("stop", e, id);
		kmsg_report(&m);
		return rc;
	}
	kmsg_forget(&m);
	return EXIT_OK;
}
