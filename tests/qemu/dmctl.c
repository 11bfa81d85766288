// SPDX-License-Identifier: GPL-2.0
/*
 * dmctl: the few device-mapper operations the qemu cases need, straight
 * through the DM ioctl (/dev/mapper/control), so the QEMU host's initramfs
 * needs no dmsetup and its libraries.  A device has one target.
 *
 *   dmctl create NAME TARGET SECTORS PARAMS   load the table, resume;
 *                                             prints the node, /dev/dm-N
 *   dmctl message NAME TEXT                   a message to the target
 *   dmctl status NAME                         the target's status line
 *   dmctl remove NAME
 *
 * e.g. dmctl create lw log-writes 16384 "/dev/nvme0n1 /dev/ram0".
 * Exit status 0 on success, 1 if the kernel refused (errno printed), 2 on
 * bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

/* Room for the header, one target spec or message and its text. */
#define BUF_SIZE 16384

static union {
	struct dm_ioctl io;
	char bytes[BUF_SIZE];
} buf;

static int control = -1;

static void usage(void)
{
	fprintf(stderr,
		"usage: dmctl create NAME TARGET SECTORS PARAMS\n"
		"       dmctl message NAME TEXT\n"
		"       dmctl status NAME\n"
		"       dmctl remove NAME\n");
	exit(2);
}

/* A fresh request for device NAME; its payload starts after the header. */
static void *request(const char *name)
{
	memset(&buf, 0, sizeof(buf));
	/* Minor 0: any 4.x kernel accepts it and answers with its own. */
	buf.io.version[0] = DM_VERSION_MAJOR;
	buf.io.data_size = sizeof(buf);
	buf.io.data_start = sizeof(buf.io);
	if (strlen(name) >= sizeof(buf.io.name)) {
		fprintf(stderr, "dmctl: name '%s' too long\n", name);
		exit(2);
	}
	strcpy(buf.io.name, name);
	return buf.bytes + sizeof(buf.io);
}

static int call(unsigned long cmd, const char *what)
{
	if (ioctl(control, cmd, &buf) == 0)
		return 0;
	fprintf(stderr, "dmctl: %s %s: %s\n", what, buf.io.name,
		strerror(errno));
	return -1;
}

static int create(const char *name, const char *target, const char *sectors,
		  const char *params)
{
	struct dm_target_spec *spec;
	char *end;
	unsigned long long len = strtoull(sectors, &end, 0);
	size_t room = BUF_SIZE - sizeof(buf.io) - sizeof(*spec);

	if (*end || !len || strlen(target) >= sizeof(spec->target_type) ||
	    strlen(params) >= room)
		usage();
	request(name);
	if (call(DM_DEV_CREATE, "create"))
		return 1;
	spec = request(name);
	buf.io.target_count = 1;
	spec->sector_start = 0;
	spec->length = len;
	strcpy(spec->target_type, target);
	strcpy((char *)(spec + 1), params);
	if (call(DM_TABLE_LOAD, "load")) {
		request(name);
		call(DM_DEV_REMOVE, "remove");
		return 1;
	}
	/* DM_DEV_SUSPEND without DM_SUSPEND_FLAG resumes: the table goes live. */
	request(name);
	if (call(DM_DEV_SUSPEND, "resume")) {
		request(name);
		call(DM_DEV_REMOVE, "remove");
		return 1;
	}
	/* devtmpfs names a mapped device's node after its minor. */
	printf("/dev/dm-%u\n", minor(buf.io.dev));
	return 0;
}

static int message(const char *name, const char *text)
{
	struct dm_target_msg *msg = request(name);

	if (strlen(text) >= BUF_SIZE - sizeof(buf.io) - sizeof(*msg))
		usage();
	msg->sector = 0;
	strcpy(msg->message, text);
	return call(DM_TARGET_MSG, "message") ? 1 : 0;
}

static int status(const char *name)
{
	struct dm_target_spec *spec;

	request(name);
	if (call(DM_TABLE_STATUS, "status"))
		return 1;
	if (buf.io.flags & DM_BUFFER_FULL_FLAG || buf.io.target_count != 1 ||
	    buf.io.data_start + sizeof(*spec) >= BUF_SIZE) {
		fprintf(stderr, "dmctl: status %s: %u targets, cannot show\n",
			name, buf.io.target_count);
		return 1;
	}
	spec = (struct dm_target_spec *)(buf.bytes + buf.io.data_start);
	buf.bytes[BUF_SIZE - 1] = 0;
	printf("%llu %llu %s %s\n", (unsigned long long)spec->sector_start,
	       (unsigned long long)spec->length, spec->target_type,
	       (char *)(spec + 1));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	control = open("/dev/" DM_DIR "/" DM_CONTROL_NODE, O_RDWR);
	if (control < 0) {
		perror("dmctl: /dev/" DM_DIR "/" DM_CONTROL_NODE);
		return 1;
	}
	if (!strcmp(argv[1], "create") && argc == 6)
		return create(argv[2], argv[3], argv[4], argv[5]);
	if (!strcmp(argv[1], "message") && argc == 4)
		return message(argv[2], argv[3]);
	if (!strcmp(argv[1], "status") && argc == 3)
		return status(argv[2]);
	if (!strcmp(argv[1], "remove") && argc == 3) {
		request(argv[2]);
		return call(DM_DEV_REMOVE, "remove") ? 1 : 0;
	}
	usage();
}
