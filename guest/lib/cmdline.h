/*
 * Guest command line: "key=value ... app arg ...".  Words holding '=' before
 * the first plain word are kernel options; the first plain word names the
 * app; the rest are its arguments.  Portable.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stddef.h>

#define CMDLINE_MAX_ARGS 16
#define CMDLINE_MAX_OPTS 16

struct cmdline {
	char buf[512];			/* a private copy, split in place */
	int nopts;
	const char *opt_key[CMDLINE_MAX_OPTS];
	const char *opt_val[CMDLINE_MAX_OPTS];
	int argc;			/* argv[0] is the app name */
	char *argv[CMDLINE_MAX_ARGS + 1];
};

/* Parse src (NUL-terminated within max bytes). Returns 0, or -1 if cut. */
int cmdline_parse(struct cmdline *c, const char *src, size_t max);

/* The value of option key, or NULL. */
const char *cmdline_opt(const struct cmdline *c, const char *key);

#endif
