/*
 * The arguments the commands share: an instance ID, "COMMAND ID [FLAG]",
 * an option's value, and how a bad command line is said.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int ctl_parse_digits(const char **s, unsigned long max, unsigned long *v)
{
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -1;	/* strtoul would skip a space or a sign */
	for (*v = 0; isdigit((unsigned char)*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (*v > (max - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	*s = p;
	return 0;
}

int ctl_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	if (ctl_parse_digits(&s, max, v))
		return -1;
	return *s ? -1 : 0;
}

int ctl_parse_id(const char *cmd, const char *s, uint32_t *id)
{
	unsigned long v;

	if (ctl_parse_uint(s, UINT32_MAX, &v)) {
		err_msg("%s: '%s' is not an instance ID (a number from kspawnctl list)",
			cmd, s);
		return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	err_msg("%s: %s", cmd, why);
	usage(cmd, 1);
	return EXIT_USAGE;
}

int ctl_end_of_options(const char *arg, int *operands)
{
	if (*operands || strcmp(arg, "--"))
		return 0;
	*operands = 1;
	return 1;
}

int ctl_is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] && !isdigit((unsigned char)arg[1]);
}

int ctl_json_cmd(const char *cmd)
{
	return !strcmp(cmd, "run") || !strcmp(cmd, "status") ||
	       !strcmp(cmd, "list");
}

void ctl_say_bad_option(const char *cmd, const char *opt)
{
	/*
	 * --json where nothing is JSON: said outright, not sent before
	 * the command only to be refused there.
	 */
	if (!strcmp(opt, "--json") && !ctl_json_cmd(cmd))
		err_msg("%s: --json is for run, status and list only", cmd);
	else if (!strcmp(opt, "--json"))
		err_msg("%s: --json goes before the command (kspawnctl --json %s ...)",
			cmd, cmd);
	else if (!strncmp(opt, "--device", 8) && (!opt[8] || opt[8] == '='))
		err_msg("%s: --device goes before the command (kspawnctl --device PATH %s ...)",
			cmd, cmd);
	else
		err_msg("%s: unknown option '%s'", cmd, opt);
}

int ctl_bad_option(const char *cmd, const char *opt)
{
	ctl_say_bad_option(cmd, opt);
	usage(cmd, 1);
	return EXIT_USAGE;
}

int ctl_help(const char *cmd, int argc, char **argv,
	     const char *const *with_value)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;	/* operands from here, "-h" an image's name */
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(cmd, 0);
			return 1;
		}
		for (int k = 0; with_value && with_value[k]; k++)
			if (!strcmp(argv[i], with_value[k])) {
				i++;	/* its value, whatever it reads */
				break;
			}
	}
	return 0;
}

/* The flag arg names, or NULL. */
static const struct ctl_flag *find_flag(const struct ctl_flag *flags,
					const char *arg)
{
	for (; flags && flags->name; flags++)
		if (!strcmp(arg, flags->name) ||
		    (flags->alias && !strcmp(arg, flags->alias)))
			return flags;
	return NULL;
}

int ctl_id_args(const char *cmd, int argc, char **argv,
		const struct ctl_flag *flags, uint32_t *id)
{
	const struct ctl_flag *f;
	const char *ids = NULL;
	int operands = 0;

	if (ctl_help(cmd, argc, argv, NULL))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (ctl_end_of_options(arg, &operands))
			continue;
		if (!operands && (f = find_flag(flags, arg))) {
			*f->set = 1;
		} else if (!operands && ctl_is_option(arg)) {
			return ctl_bad_option(cmd, arg);
		} else if (ids) {
			return ctl_usage(cmd, "one instance ID only ('%s' and '%s')",
					 ids, arg);
		} else {
			ids = arg;
		}
	}
	if (!ids)
		return ctl_usage(cmd, "which instance? (an ID from kspawnctl list)");
	if (ctl_parse_id(cmd, ids, id)) {
		usage(cmd, 1);
		return EXIT_USAGE;
	}
	return CTL_GO;
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
