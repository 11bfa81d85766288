/*
 * kspawnctl: start, watch and stop kspawn guests through /dev/kspawn.
 * `kspawnctl --help` is the manual; usage.c holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "list", cmd_list },
	{ "status", cmd_status },
	{ "console", cmd_console },
	{ "stop", cmd_stop },
	{ "gdb", cmd_gdb },
	{ "reserve", cmd_reserve },
	{ "release", cmd_release },
};

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("kspawnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_open(struct ctl *c)
{
	int e = dev_open(c->device, &c->fd);

	if (!e)
		return EXIT_OK;
	if (e == -ENOENT || e == -ENXIO || e == -ENODEV) {
		err_msg("%s is missing: the kspawn module is not loaded (insmod kspawn.ko, or modprobe kspawn)",
			c->device);
		return EXIT_NOMODULE;
	}
	if (e == -EACCES || e == -EPERM) {
		err_msg("cannot open %s: permission denied: kspawnctl must run as root%s",
			c->device, geteuid() ? " (you are not)" : "");
		return EXIT_PERM;
	}
	err_msg("cannot open %s: %s", c->device, strerror(-e));
	return EXIT_FAIL;
}

int ctl_fail(const char *what, int err, uint32_t id)
{
	switch (-err) {
	case ENOENT:
	case ESRCH:
		err_msg("%s: no instance %u (see kspawnctl list)", what, id);
		return EXIT_NOINST;
	case EPERM:
	case EACCES:
		err_msg("%s: permission denied: kspawnctl must run as root",
			what);
		return EXIT_PERM;
	case ENOTTY:
		err_msg("%s: the module does not know this request: kspawnctl and kspawn.ko are from different versions",
			what);
		return EXIT_FAIL;
	default:
		err_msg("%s: %s", what, strerror(-err));
		return EXIT_FAIL;
	}
}

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

static int version(void)
{
	printf("kspawnctl %s, kspawn ABI %u.%u\n", KSPAWNCTL_VERSION,
	       KSPAWN_ABI_MAJOR, KSPAWN_ABI_MINOR);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct ctl c = { .device = KSPAWN_DEVICE, .fd = -1 };
	const char *env = getenv("KSPAWN_DEVICE");
	int i = 1;

	if (env && *env)
		c.device = env;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			c.device = argv[++i];
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(NULL, 0);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			return version();
		} else {
			err_msg("unknown option '%s'", argv[i]);
			usage(NULL, 1);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(NULL, 1);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(i + 1 < argc ? argv[i + 1] : NULL, 0);
		return EXIT_OK;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].fn(&c, argc - i, argv + i);
	err_msg("unknown command '%s'", argv[i]);
	usage(NULL, 1);
	return EXIT_USAGE;
}
