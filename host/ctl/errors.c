/*
 * kspawnctl's messages: err_msg(), and what a failed open of the device
 * or a failed request on an instance means, with its exit status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("kspawnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The device opened, for the messages. */
static const char *device = KSPAWN_DEVICE;
static const char *device_from;		/* --device, KSPAWN_DEVICE or NULL */

int ctl_open(struct ctl *c)
{
	int e = dev_open(c->device, &c->fd);
	int named;

	device = c->device;
	device_from = c->device_from;
	if (!e)
		return EXIT_OK;
	/*
	 * A path the user named, not the module's: most likely mistyped,
	 * and the module may well be loaded; said as theirs.
	 */
	named = c->device_from && strcmp(c->device, KSPAWN_DEVICE) != 0;
	if (named && e == -ENOENT) {
		err_msg("%s (from %s) is missing (the kspawn module's device is %s)",
			c->device, c->device_from, KSPAWN_DEVICE);
		return EXIT_NOMODULE;
	}
	if (named && (e == -ENXIO || e == -ENODEV)) {
		err_msg("cannot open %s (from %s): %s: no driver behind it (the kspawn module's device is %s)",
			c->device, c->device_from, strerror(-e), KSPAWN_DEVICE);
		return EXIT_NOMODULE;
	}
	if (e == -ENOENT || e == -ENXIO || e == -ENODEV) {
		/* A bare insmod fails: the pool must be set aside at boot. */
		err_msg("%s is missing: the kspawn module is not loaded (it needs pool_base=, pool_size= and trampoline=, memory set aside at boot with memmap=: see host/kmod/README.md)",
			c->device);
		return EXIT_NOMODULE;
	}
	/*
	 * Root too can be refused: the node on a file system mounted nodev,
	 * a security module, a device cgroup.  "Must run as root" would
	 * then send root looking for a root it already is.
	 */
	if ((e == -EACCES || e == -EPERM) && !geteuid()) {
		err_msg("cannot open %s: permission denied, to root too: its file system may be mounted nodev, or a security module (SELinux, AppArmor) or a device cgroup refuses it",
			c->device);
		return EXIT_PERM;
	}
	if (e == -EACCES || e == -EPERM) {
		err_msg("cannot open %s: permission denied: kspawnctl must run as root (you are not)",
			c->device);
		return EXIT_PERM;
	}
	if (named)	/* a directory, say: where the path came from too */
		err_msg("cannot open %s (from %s): %s", c->device,
			c->device_from, strerror(-e));
	else
		err_msg("cannot open %s: %s", c->device, strerror(-e));
	return EXIT_FAIL;
}

/* id: the instance the request named, or NULL if it named none. */
static int fail(const char *what, int err, const uint32_t *id)
{
	switch (-err) {
	case ENOENT:
	case ESRCH:
		if (!id)
			break;
		err_msg("%s: no instance %u (see kspawnctl list)", what, *id);
		return EXIT_NOINST;
	case EPERM:
	case EACCES:
		/* The module's capable(CAP_SYS_ADMIN), which root can lack. */
		if (!geteuid())
			err_msg("%s: permission denied, to root too: the module wants CAP_SYS_ADMIN, which this process lacks (a container, capabilities dropped)",
				what);
		else
			err_msg("%s: permission denied: kspawnctl must run as root",
				what);
		return EXIT_PERM;
	case ENOTTY:
		/* /dev/null, say: it cannot tell which. */
		err_msg("%s: %s%s%s%s does not know kspawn's requests: it is not the kspawn device, or kspawn.ko and kspawnctl are from different versions",
			what, device, device_from ? " (from " : "",
			device_from ? device_from : "", device_from ? ")" : "");
		return EXIT_FAIL;
	case EPROTONOSUPPORT:
		/* abi/kspawn_ioctl.h: the version every argument carries. */
		err_msg("%s: the module speaks another ioctl version than this kspawnctl: use the kspawnctl built with the module",
			what);
		return EXIT_ABI;
	}
	err_msg("%s: %s", what, strerror(-err));
	return EXIT_FAIL;
}

int ctl_fail(const char *what, int err, uint32_t id)
{
	return fail(what, err, &id);
}

int ctl_fail_call(const char *what, int err)
{
	return fail(what, err, NULL);
}
