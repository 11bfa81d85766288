/*
 * kspawnctl's command line: the global options, then the command, which
 * the table below hands the rest to.  `kspawnctl --help` is the manual
 * (usage.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#ifndef KSPAWNCTL_VERSION	/* ctl.mk defines it; the unit tests do not */
#define KSPAWNCTL_VERSION "unknown"
#endif

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

/* The command's index in commands[], or -1. */
static int command(const char *name)
{
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(name, commands[k].name))
			return (int)k;
	return -1;
}

/*
 * kspawnctl help [COMMAND], and kspawnctl --help [COMMAND].  From --help,
 * argv[0] is the last global word: the "--" that ended the options when
 * one did, and the words after it are operands here too.
 */
static int help(int argc, char **argv)
{
	const char *cmd = NULL;
	int operands = !strcmp(argv[0], "--");

	for (int i = 1; i < argc; i++) {
		if (ctl_end_of_options(argv[i], &operands))
			continue;
		/*
		 * help's own help is what it gives anyway, as elsewhere; so is
		 * help help (help is a command the synopsis names).
		 */
		if ((!operands && (!strcmp(argv[i], "-h") ||
				   !strcmp(argv[i], "--help"))) ||
		    !strcmp(argv[i], "help"))
			continue;
		if (cmd) {
			err_msg("help: one command only ('%s' and '%s')", cmd,
				argv[i]);
			usage(NULL, 1);
			return EXIT_USAGE;
		}
		cmd = argv[i];
	}
	if (cmd && command(cmd) < 0) {
		err_msg("help: unknown command '%s'", cmd);
		usage(NULL, 1);
		return EXIT_USAGE;
	}
	usage(cmd, 0);
	return EXIT_OK;
}

/*
 * kspawnctl --version: the whole command line.  A word after it (a typo,
 * `--version stop 5`) is refused rather than dropped, and --json with it:
 * a script would take text for the JSON it asked for.
 */
static int version(const struct ctl *c, int argc, char **argv)
{
	if (argc > 1 || c->json) {
		if (argc > 1)
			err_msg("--version takes no arguments ('%s')", argv[1]);
		else
			err_msg("--json is for run, status and list only");
		usage(NULL, 1);
		return EXIT_USAGE;
	}
	printf("kspawnctl %s, kspawn ABI %u.%u\n", KSPAWNCTL_VERSION,
	       KSPAWN_ABI_MAJOR, KSPAWN_ABI_MINOR);
	return EXIT_OK;
}

static int command_line(int argc, char **argv)
{
	struct ctl c = { .device = KSPAWN_DEVICE, .fd = -1 };
	const char *env = getenv("KSPAWN_DEVICE");
	int i = 1, k, device_given = 0, want_help = 0, version_at = 0;

	/* Empty is unset, as a shell's KSPAWN_DEVICE= makes it. */
	if (env && *env) {
		c.device = env;
		c.device_from = "KSPAWN_DEVICE";
	}
	/* A lone '-' is a word, as in every command: no command. */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *val;
		int r;

		/* The end of the options: the next word is the command. */
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if ((r = ctl_opt(NULL, argc, argv, &i, "--device", &val))) {
			/* --device= is no path: not opened as "". */
			if (r > 0 && !*val)
				err_msg("--device needs a value");
			/* Not the last one silently: which was meant? */
			else if (r > 0 && device_given)
				err_msg("--device given twice");
			if (r < 0 || !*val || device_given) {
				usage(NULL, 1);
				return EXIT_USAGE;
			}
			c.device = val;
			c.device_from = "--device";
			device_given = 1;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			/*
			 * The help command, once the other global options
			 * are read: --help stop is help stop.
			 */
			want_help = 1;
		} else if (!strcmp(argv[i], "--version")) {
			if (!version_at)
				version_at = i;
		} else {
			err_msg("unknown option '%s'", argv[i]);
			usage(NULL, 1);
			return EXIT_USAGE;
		}
	}
	/*
	 * Help wins over --version, either way round: nothing is done.  The
	 * command after --help is all it looks at: a command line made
	 * --help by putting it in front (--help run --mem 16M) is run's.
	 * help skips its first word: here the last global option.
	 */
	if (want_help)
		return help(i < argc && command(argv[i]) >= 0 ? 2 : argc - i + 1,
			    argv + i - 1);
	if (version_at)
		return version(&c, argc - version_at, argv + version_at);
	if (i == argc) {
		/* The synopsis alone would not say what was wrong. */
		err_msg("which command? (kspawnctl help)");
		usage(NULL, 1);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help"))
		return help(argc - i, argv + i);
	k = command(argv[i]);
	if (k < 0) {
		err_msg("unknown command '%s'", argv[i]);
		usage(NULL, 1);
		return EXIT_USAGE;
	}
	/* Not ignored where nothing is JSON: a script would be misled. */
	if (c.json && !ctl_json_cmd(argv[i])) {
		if (ctl_help(argv[i], argc - i, argv + i, NULL))
			return EXIT_OK;
		return ctl_usage(argv[i], "--json is for run, status and list only");
	}
	return commands[k].fn(&c, argc - i, argv + i);
}

/*
 * A closed stdin, stdout or stderr (kspawnctl list >&-) would be the next
 * file opened, the device say: output written into it, its EINVAL said
 * as the output's ("writing output: Invalid argument").  /dev/null keeps
 * the place, opened the other way round, so that a write to it fails as
 * on a closed stdout (EBADF), and a read as on a closed stdin.
 */
static void keep_std_fds(void)
{
	/* open() takes the lowest free fd: each closed one in turn. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd ? O_RDONLY : O_WRONLY) != fd)
			return;	/* no /dev/null: as it was */
}

int ctl_main(int argc, char **argv)
{
	int rc;

	keep_std_fds();

	/*
	 * A closed pipe is a write error to say (ctl_flush(): "writing
	 * output: ...", status 1), for every command, not a death by
	 * SIGPIPE that says nothing (and loses run's new ID).
	 */
	signal(SIGPIPE, SIG_IGN);
	ctl_output_init();
	rc = command_line(argc, argv);

	/* Printed but not written (a full disk, a closed pipe): failed. */
	if (ctl_flush() && rc == EXIT_OK)
		rc = EXIT_FAIL;
	return rc;
}
