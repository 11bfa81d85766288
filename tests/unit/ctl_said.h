/*
 * kspawnctl's front-end calls as the unit tests of its commands stub them
 * (test_run.c, test_gdb_bridge.c): what it says through err_msg() is kept
 * in said[], a line each, for the test to look at; the device opens as
 * fd 3 and a failure reads as main.c's generic one.  Static: each test is
 * one program, built alone.
 */
#ifndef TESTS_UNIT_CTL_SAID_H
#define TESTS_UNIT_CTL_SAID_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host/ctl/ctl.h"

static char said[4096];		/* what kspawnctl said (err_msg) */

void err_msg(const char *fmt, ...)
{
	size_t len = strlen(said);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(said + len, sizeof(said) - len, fmt, ap);
	va_end(ap);
	len = strlen(said);
	if (len + 1 < sizeof(said))
		strcpy(said + len, "\n");
}

void usage(const char *cmd, int to_stderr)
{
	(void)cmd, (void)to_stderr;
}

int ctl_open(struct ctl *c)
{
	c->fd = 3;
	return EXIT_OK;
}

int ctl_fail(const char *what, int err, uint32_t id)
{
	err_msg("%s: %s (instance %u)", what, strerror(-err), id);
	return EXIT_FAIL;
}

int ctl_fail_call(const char *what, int err)
{
	err_msg("%s: %s", what, strerror(-err));
	return EXIT_FAIL;
}

#endif
