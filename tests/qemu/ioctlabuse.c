/*
 * ioctlabuse IMAGE: garbage into every /dev/kspawn ioctl, structured and
 * random: wrong sizes and versions, bad instance IDs, bad user pointers,
 * huge sizes, unterminated strings, unknown flags and commands, then
 * 200 000 random argument blocks.  Each structured case must fail with the
 * expected errno; nothing may succeed by accident or crash the host (the
 * suite checks the kernel log).  Last, an instance loaded but never started
 * is freed when its descriptor closes (kspawnctl killed mid-spawn).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/kmod/kspawn_ioctl.h"

static int failures;

static void want(const char *what, int r, int err)
{
	if (r == -1 && errno == err) {
		printf("  ok %s: %s\n", what, strerror(err));
		return;
	}
	printf("  FAILED %s: got %d (%s), want %s\n", what, r,
	       r < 0 ? strerror(errno) : "success", strerror(err));
	failures++;
}

#define INIT(a) do { memset(&(a), 0, sizeof(a)); (a).argsz = sizeof(a); \
		     (a).version = KSPAWN_IOCTL_VERSION; } while (0)

static void structured(int fd, void *img, size_t img_size)
{
	struct kspawn_ioc_instance in;
	struct kspawn_ioc_status st;
	struct kspawn_ioc_load ld;
	struct kspawn_ioc_io io;

	INIT(in);
	in.argsz = 4;
	want("argsz too small", ioctl(fd, KSPAWN_IOC_STOP, &in), EINVAL);
	INIT(in);
	in.version = 99;
	want("unknown version", ioctl(fd, KSPAWN_IOC_STOP, &in), EPROTONOSUPPORT);
	INIT(in);
	in.id = 4242;
	want("no such instance", ioctl(fd, KSPAWN_IOC_STOP, &in), ESRCH);
	INIT(in);
	in.id = 4242;
	in.flags = 0x80;
	want("start with flags", ioctl(fd, KSPAWN_IOC_START, &in), ESRCH);
	want("NULL argument", ioctl(fd, KSPAWN_IOC_STATUS, NULL), EFAULT);
	want("kernel pointer", ioctl(fd, KSPAWN_IOC_STATUS,
				     (void *)0xffffffff81000000UL), EFAULT);
	INIT(st);
	st.id = 0;
	want("status of ID 0", ioctl(fd, KSPAWN_IOC_STATUS, &st), ESRCH);
	want("unknown command", ioctl(fd, _IO(KSPAWN_IOC_MAGIC, 77), 0), ENOTTY);
	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 1;
	memset(ld.cmdline, 'x', sizeof(ld.cmdline));
	want("unterminated cmdline", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = 1ULL << 40;
	ld.cpu = 1;
	want("huge image size", ioctl(fd, KSPAWN_IOC_LOAD, &ld), E2BIG);
	INIT(ld);
	ld.image = 16;
	ld.image_size = img_size;
	ld.cpu = 1;
	want("image at a bad address", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EFAULT);
	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 1;
	ld.flags = 1;
	want("unknown load flags", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 0;
	want("CPU 0", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 1;
	ld.mem = 3ULL << 30;
	want("region beyond the maximum", ioctl(fd, KSPAWN_IOC_LOAD, &ld), E2BIG);
	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 1;
	ld.net_mode = 7;
	want("unknown net mode", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	INIT(io);
	io.id = 4242;
	io.len = 1 << 30;
	io.buf = 8;
	want("console of no instance", ioctl(fd, KSPAWN_IOC_CONSOLE_READ, &io),
	     ESRCH);
}

static void random_blocks(int fd, long n)
{
	static const unsigned long cmds[] = {
		KSPAWN_IOC_VERSION, KSPAWN_IOC_START, KSPAWN_IOC_STOP,
		KSPAWN_IOC_STATUS, KSPAWN_IOC_LIST, KSPAWN_IOC_CONSOLE_READ,
		KSPAWN_IOC_CONSOLE_WRITE, KSPAWN_IOC_DEBUG_READ,
		KSPAWN_IOC_DEBUG_WRITE, KSPAWN_IOC_DEBUG_BREAK,
	};
	unsigned char buf[1024];
	unsigned int seed = 7;
	long ok = 0;

	for (long i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (unsigned char)rand_r(&seed);
		/* Half the time a plausible header, so the checks go deeper. */
		if (i & 1) {
			((unsigned int *)buf)[1] = KSPAWN_IOCTL_VERSION;
			((unsigned int *)buf)[0] = (unsigned int)_IOC_SIZE(cmds[i % 10]);
		}
		if (ioctl(fd, cmds[rand_r(&seed) % 10], buf) == 0)
			ok++;
	}
	printf("  ok %ld random argument blocks (%ld accepted as valid)\n", n, ok);
}

static int count_instances(int fd)
{
	struct kspawn_ioc_list l;
	unsigned int ids[16];

	INIT(l);
	l.max = 16;
	l.ids = (unsigned long)ids;
	return ioctl(fd, KSPAWN_IOC_LIST, &l) ? -1 : (int)l.count;
}

/* A load whose descriptor closes before start: nothing must remain. */
static void abandoned_load(void *img, size_t img_size)
{
	struct kspawn_ioc_load ld;
	int fd = open("/dev/kspawn", O_RDWR), left;

	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 1;
	strcpy(ld.cmdline, "hello");
	if (ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED abandoned load: the load itself failed: %s\n",
		       strerror(errno));
		failures++;
		return;
	}
	close(fd);
	fd = open("/dev/kspawn", O_RDWR);
	left = count_instances(fd);
	close(fd);
	if (left) {
		printf("  FAILED abandoned load: %d instance(s) left\n", left);
		failures++;
		return;
	}
	printf("  ok a loaded, never started instance went with its descriptor\n");
}

int main(int argc, char **argv)
{
	struct stat sb;
	void *img;
	int fd, in;

	if (argc != 2 || (in = open(argv[1], O_RDONLY)) < 0 || fstat(in, &sb)) {
		fprintf(stderr, "usage: ioctlabuse IMAGE\n");
		return 2;
	}
	img = malloc((size_t)sb.st_size);
	if (!img || read(in, img, (size_t)sb.st_size) != sb.st_size)
		return 2;
	fd = open("/dev/kspawn", O_RDWR);
	if (fd < 0) {
		perror("ioctlabuse: /dev/kspawn");
		return 2;
	}
	structured(fd, img, (size_t)sb.st_size);
	random_blocks(fd, 200000);
	close(fd);
	abandoned_load(img, (size_t)sb.st_size);
	printf("ioctlabuse: %d failed\n", failures);
	return failures != 0;
}
