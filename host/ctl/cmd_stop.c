/* kspawnctl stop ID [--force] */
#include <string.h>

#include "ctl.h"

int cmd_stop(struct ctl *c, int argc, char **argv)
{
	const char *ids = NULL;
	struct kmsg_mark m;
	int force = 0, rc, e;
	uint32_t id;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage("stop", 0);
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !ids) {
			ids = argv[i];
		} else {
			usage("stop", 1);
			return EXIT_USAGE;
		}
	}
	if (!ids) {
		usage("stop", 1);
		return EXIT_USAGE;
	}
	if (ctl_parse_id(ids, &id))
		return EXIT_USAGE;
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
