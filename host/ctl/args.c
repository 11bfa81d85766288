/* The arguments the commands share: an instance ID, "COMMAND ID [FLAG]". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int ctl_parse_id(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT32_MAX || *s == '-') {
		err_msg("'%s' is not an instance ID (a number from kspawnctl list)",
			s);
		return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

int ctl_id_args(const char *cmd, int argc, char **argv, const char *flag,
		const char *alias, int *flagged, uint32_t *id)
{
	const char *ids = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], flag) || (alias && !strcmp(argv[i], alias))) {
			*flagged = 1;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(cmd, 0);
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !ids) {
			ids = argv[i];
		} else {
			usage(cmd, 1);
			return EXIT_USAGE;
		}
	}
	if (!ids) {
		usage(cmd, 1);
		return EXIT_USAGE;
	}
	return ctl_parse_id(ids, id) ? EXIT_USAGE : CTL_GO;
}

int ctl_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
	    const char **val)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) || (arg[n] && arg[n] != '='))
		return 0;
	if (arg[n] == '=') {
		*val = arg + n + 1;
		return 1;
	}
	if (*i + 1 >= argc) {
		err_msg("%s%s%s needs a value", cmd ? cmd : "", cmd ? ": " : "",
			name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}
