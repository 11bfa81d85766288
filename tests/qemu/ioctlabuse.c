/*
 * ioctlabuse IMAGE: garbage into every /dev/kspawn ioctl, structured and
 * random: wrong sizes and versions, bad instance IDs, bad user pointers,
 * huge sizes, unterminated strings, unknown flags and commands, then
 * 200 000 random argument blocks.  Each structured case must fail with the
 * expected errno; nothing may succeed by accident or crash the host (the
 * suite checks the kernel log).  Each forged header is the one of the
 * command called, so the checks behind the header are the ones reached;
 * flags and reserved fields are tried on an instance that exists.  Last, an instance loaded but never started
 * is freed when its descriptor closes (kspawnctl killed mid-spawn), and a
 * load whose argument block cannot be written back (read-only) fails
 * EFAULT leaving no instance, its ID being one the caller never learns.
 * And refusals do not flood the kernel log: 10 000 reserves of CPU 0 and
 * as many of a CPU that does not exist leave at most what printk's rate
 * limit lets through in the time they took (44 lines if under 5 s).
 * A disk that is a FIFO or a character device is refused (EINVAL) before
 * the module opens it, said so in the kernel log; arguments the module
 * can check alone are refused before it makes an instance.
 *
 * ioctlabuse IMAGE failed-start: with the module's test_fail_starts at 1,
 * a start that fails after its guest ran (ETIMEDOUT), and a second start
 * of the same instance, which must be refused (ESTALE) rather than boot a
 * guest over what the first left in its memory and shared area; the
 * instance is still LOADED, its console holds what the guest wrote
 * before the failure (the knob waits for it to leave its boot), and a
 * stop frees it, leaving the rest of those words for a console read.  Then (setting the knob
 * itself) a start through a second descriptor that fails while the
 * loading one closes: the close waits for it and frees the instance,
 * LOADED again.
 *
 * ioctlabuse IMAGE killed-start: a loaded instance's device thread waits
 * idle, and a START whose caller gets SIGKILL while it is under way
 * leaves a guest that runs on with that thread (ioctlabuse_starts.c).
 *
 * ioctlabuse IMAGE doorbell: the module's own refusals around doorbell
 * CPUs (kspawnctl refuses the same before asking; a 4-CPU host): with
 * an instance loaded on CPU 1, its doorbell on CPU 2, a guest on CPU 2
 * (EBUSY) or a doorbell on CPU 1 (EADDRINUSE) is refused, 200 reserves of
 * CPU 2 are refused (EBUSY) without flooding the kernel log, and a guest
 * whose CPU the module picks gets neither 2 nor, when its own doorbell
 * is to be on 3, CPU 3.
 *
 * ioctlabuse IMAGE disk-busy DISK: with DISK (a block device) held by a
 * guest on CPU 1, a load on CPU 2 with that disk is refused ETXTBSY (the
 * disk), one on CPU 1 with it EBUSY (the CPU, checked first): kspawnctl
 * tells the two apart by the errno alone.
 *
 * ioctlabuse IMAGE status-stall: ioctlabuse_stall.c.
 *
 * ioctlabuse IMAGE races: life-cycle ioctls racing on one instance from
 * several descriptors (ioctlabuse_races.c).
 *
 * ioctlabuse IMAGE mac-ids: two ksnetN whose instances' IDs are 256
 * apart do not share a MAC (ioctlabuse_starts.c).
 *
 * ioctlabuse IMAGE any-cpu: one load whose CPU the module picks; prints
 * "any-cpu: CPU N" or why it was refused, and frees it (reserve-release
 * runs it while a pooled core is being released).
 */
#include "ioctlabuse.h"

int failures;

void want(const char *what, int r, int err)
{
	if (r == -1 && errno == err) {
		printf("  ok %s: %s\n", what, strerror(err));
		return;
	}
	printf("  FAILED %s: got %d (%s), want %s\n", what, r,
	       r < 0 ? strerror(errno) : "success", strerror(err));
	failures++;
}

/* A valid load of the image on CPU 1, for a case to spoil one field of. */
struct kspawn_ioc_load valid_load(void *img, size_t img_size,
				  const char *cmdline)
{
	struct kspawn_ioc_load ld;

	INIT(ld);
	ld.image = (unsigned long)img;
	ld.image_size = img_size;
	ld.cpu = 1;
	snprintf(ld.cmdline, sizeof(ld.cmdline), "%s", cmdline);
	return ld;
}

static void structured(int fd, void *img, size_t img_size)
{
	struct kspawn_ioc_cpus cpus;
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
	want("start of no instance, with flags", ioctl(fd, KSPAWN_IOC_START, &in), ESRCH);
	want("NULL argument", ioctl(fd, KSPAWN_IOC_STATUS, NULL), EFAULT);
	want("kernel pointer", ioctl(fd, KSPAWN_IOC_STATUS,
				     (void *)0xffffffff81000000UL), EFAULT);
	INIT(st);
	st.id = 0;
	want("status of ID 0", ioctl(fd, KSPAWN_IOC_STATUS, &st), ESRCH);
	want("unknown command", ioctl(fd, _IO(KSPAWN_IOC_MAGIC, 77), 0), ENOTTY);
	ld = valid_load(img, img_size, "");
	memset(ld.cmdline, 'x', sizeof(ld.cmdline));
	want("unterminated cmdline", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.image_size = 1ULL << 40;
	want("huge image size", ioctl(fd, KSPAWN_IOC_LOAD, &ld), E2BIG);
	ld = valid_load(img, img_size, "");
	ld.image = 16;
	want("image at a bad address", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EFAULT);
	ld = valid_load(img, img_size, "");
	ld.flags = ~(KSPAWN_LOAD_WRITEBACK | KSPAWN_LOAD_DOORBELL_CPU);
	want("unknown load flags", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.flags = KSPAWN_LOAD_DOORBELL_CPU;
	ld.doorbell_cpu = (unsigned int)ld.cpu;
	want("doorbell on the guest's own CPU", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.cpu = 0;
	want("CPU 0", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.mem = 3ULL << 30;
	want("region beyond the maximum", ioctl(fd, KSPAWN_IOC_LOAD, &ld), E2BIG);
	ld = valid_load(img, img_size, "");
	ld.net_mode = 7;
	want("unknown net mode", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.cpus[3] = 2;
	want("a CPU list entry beyond ncpus", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.cpu = KSPAWN_LOAD_CPU_ANY;
	ld.ncpus = 1;
	ld.cpus[0] = 0xffffffffu;
	want("CPU -1 in a CPU list", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.ramdisk_bytes = 1 << 20;
	snprintf(ld.disk_path, sizeof(ld.disk_path), "/dev/null");
	want("a disk and a RAM disk", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.flags = KSPAWN_LOAD_WRITEBACK;
	want("writeback without a disk", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	INIT(cpus);
	cpus.reserved = 1;
	want("CPUS with its reserved field set", ioctl(fd, KSPAWN_IOC_CPUS, &cpus),
	     EINVAL);
	INIT(io);
	io.id = 4242;
	io.len = 1 << 30;
	io.buf = 8;
	want("console of no instance", ioctl(fd, KSPAWN_IOC_CONSOLE_READ, &io),
	     ESRCH);
}

/*
 * A disk that is neither a regular file nor a block device, a FIFO or a
 * character device, is refused before it is opened (opening one can act:
 * a watchdog arms), and the kernel log says why.  Before, it was opened,
 * then refused as empty.
 */
static void disk_kinds(int fd, void *img, size_t img_size)
{
	static const char fifo[] = "/tmp/ioctlabuse-fifo";
	const char *paths[] = { fifo, "/dev/null" };
	struct kspawn_ioc_load ld;
	int k = kmsg_open_at_end(), said;

	unlink(fifo);
	if (k < 0 || mkfifo(fifo, 0600)) {
		printf("  FAILED disk kinds: %s: %s\n", k < 0 ? "/dev/kmsg" : fifo,
		       strerror(errno));
		failures++;
		return;
	}
	for (int i = 0; i < 2; i++) {
		char what[64];

		ld = valid_load(img, img_size, "");
		snprintf(ld.disk_path, sizeof(ld.disk_path), "%s", paths[i]);
		snprintf(what, sizeof(what), "disk %s", paths[i]);
		want(what, ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	}
	unlink(fifo);
	said = kmsg_count(k, "neither a regular file nor a block device");
	close(k);
	if (said != 2) {
		printf("  FAILED disk kinds: %d kernel log lines said neither a regular file nor a block device (want 2)\n",
		       said);
		failures++;
		return;
	}
	printf("  ok disk kinds: said in the kernel log\n");
}

/* A valid load on its own descriptor, closed at once: its ID, or 0. */
static uint32_t load_id(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR);
	struct kspawn_ioc_load ld = valid_load(img, img_size, "");
	uint32_t id = 0;

	if (fd >= 0 && !ioctl(fd, KSPAWN_IOC_LOAD, &ld))
		id = ld.id;
	if (fd >= 0)
		close(fd);	/* frees the instance, never started */
	return id;
}

/*
 * What the module can check alone is refused before it makes anything
 * (an ID, a region, ksnetN, a log line per try): an unterminated disk
 * path, a RAM disk over the limit, an unknown network mode, each with a
 * ksnetN asked for.  Every instance made takes the next ID, so the next
 * valid load tells: its ID follows the last valid one's.  (Before, all
 * three were refused after ksnetN was registered.)
 */
static void refused_early(int fd, void *img, size_t img_size)
{
	struct kspawn_ioc_load ld;
	uint32_t first, next;

	first = load_id(img, img_size);
	ld = valid_load(img, img_size, "");
	ld.net_mode = KSPAWN_NET_NETDEV;
	memset(ld.disk_path, 'd', sizeof(ld.disk_path));
	want("unterminated disk path", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld = valid_load(img, img_size, "");
	ld.net_mode = KSPAWN_NET_NETDEV;
	ld.ramdisk_bytes = 1ULL << 40;
	want("RAM disk of 1 TiB", ioctl(fd, KSPAWN_IOC_LOAD, &ld), E2BIG);
	ld = valid_load(img, img_size, "");
	ld.net_mode = 3;
	want("net mode 3", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	next = load_id(img, img_size);
	if (!first || next != first + 1) {
		printf("  FAILED refused early: valid loads got IDs %u and %u around the refused ones (want consecutive)\n",
		       first, next);
		failures++;
		return;
	}
	printf("  ok refused early: no instance made for them\n");
}

/*
 * The commands of the random phase, each with where its reserved fields
 * are: a forged header must reach the checks after the header, so the
 * header is forged for the command that is then called.
 */
static const struct {
	unsigned long cmd;
	const char *name;
	size_t zero_from, zero_to;	/* fields refused unless zero */
} random_cmds[] = {
	{ KSPAWN_IOC_VERSION, "VERSION", 0, 0 },
#define INST_ZERO offsetof(struct kspawn_ioc_instance, flags), sizeof(struct kspawn_ioc_instance)
	{ KSPAWN_IOC_START, "START", INST_ZERO },
	{ KSPAWN_IOC_STOP, "STOP", INST_ZERO },
	{ KSPAWN_IOC_STATUS, "STATUS", 0, 0 },
	{ KSPAWN_IOC_LIST, "LIST", 0, 0 },
#define IO_ZERO offsetof(struct kspawn_ioc_io, done), sizeof(struct kspawn_ioc_io)
	{ KSPAWN_IOC_CONSOLE_READ, "CONSOLE_READ", IO_ZERO },
	{ KSPAWN_IOC_CONSOLE_WRITE, "CONSOLE_WRITE", IO_ZERO },
	{ KSPAWN_IOC_DEBUG_READ, "DEBUG_READ", IO_ZERO },
	{ KSPAWN_IOC_DEBUG_WRITE, "DEBUG_WRITE", IO_ZERO },
	{ KSPAWN_IOC_DEBUG_BREAK, "DEBUG_BREAK", INST_ZERO },
};
#define NCMDS (sizeof(random_cmds) / sizeof(random_cmds[0]))

/*
 * Random argument blocks, four kinds in turn: all random (twice), a right
 * header over random fields, and a right header with the reserved fields
 * zeroed.  With no instance loaded, the last kind can only be refused by
 * a check past the header and the reserved fields (no such instance, a
 * bad buffer): an EINVAL or EPROTONOSUPPORT there means the header or a
 * reserved field was refused, i.e. the block never reached what it was
 * forged to reach.
 */
/* A /dev/kmsg reader at the log's end: what is logged from now on. */
int kmsg_open_at_end(void)
{
	int k = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (k >= 0)
		lseek(k, 0, SEEK_END);
	return k;
}

/* How many lines it has read that contain what; -1 on an error. */
int kmsg_count(int k, const char *what)
{
	char rec[8192];
	int n = 0;
	ssize_t r;

	for (;;) {
		r = read(k, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;	/* overwritten before we read them */
		if (r <= 0)
			break;
		rec[r] = 0;
		n += strstr(rec, what) != NULL;
	}
	return r < 0 && errno != EAGAIN ? -1 : n;
}

/*
 * 10 000 refused reserves each of CPU 0 and of a CPU that does not exist:
 * each call site may log 10 lines and a "callbacks suppressed" line per
 * 5 s window (printk's default), so the bound follows the time taken.
 */
static void log_flood(int fd)
{
	struct kspawn_ioc_cpu c;
	int k = kmsg_open_at_end(), lines, bad = 0, most;
	struct timespec t0, t1;
	long windows;

	if (k < 0) {
		printf("  FAILED log flood: /dev/kmsg: %s\n", strerror(errno));
		failures++;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20000; i++) {
		INIT(c);
		c.cpu = i & 1 ? 0xffffffffu : 0;
		bad += ioctl(fd, KSPAWN_IOC_RESERVE, &c) != -1 || errno != EINVAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lines = kmsg_count(k, "kspawn");
	close(k);
	/* Windows the loop touched: its length in 5 s, and a partial one
	 * at each end. */
	windows = (t1.tv_sec - t0.tv_sec) / 5 + 2;
	most = (int)(2 * 11 * windows);
	if (bad || lines < 1 || lines > most) {
		printf("  FAILED log flood: 20000 refused reserves: %d not EINVAL, %d lines of ours in the kernel log (want 1 to %d)\n",
		       bad, lines, most);
		failures++;
		return;
	}
	printf("  ok log flood: 20000 refused reserves in %ld s, %d lines of ours in the kernel log (at most %d)\n",
	       (long)(t1.tv_sec - t0.tv_sec), lines, most);
}

static void random_blocks(int fd, long n)
{
	/* Room for the largest argument: the module copies _IOC_SIZE bytes. */
	unsigned char buf[4096];
	unsigned int seed = 7;
	long ok = 0, early = 0;

	for (size_t c = 0; c < NCMDS; c++) {
		unsigned long size = _IOC_SIZE(random_cmds[c].cmd);

		if (size > sizeof(buf)) {
			printf("  FAILED %s takes %lu bytes, more than the %zu-byte block\n",
			       random_cmds[c].name, size, sizeof(buf));
			failures++;
			return;
		}
	}
	for (long i = 0; i < n; i++) {
		unsigned int c = (unsigned int)rand_r(&seed) % NCMDS;
		unsigned long cmd = random_cmds[c].cmd;
		int r;

		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (unsigned char)rand_r(&seed);
		if (i % 4 >= 2) {
			((unsigned int *)buf)[0] = (unsigned int)_IOC_SIZE(cmd);
			((unsigned int *)buf)[1] = KSPAWN_IOCTL_VERSION;
		}
		if (i % 4 == 3)
			memset(buf + random_cmds[c].zero_from, 0,
			       random_cmds[c].zero_to - random_cmds[c].zero_from);
		r = ioctl(fd, cmd, buf);
		if (r == 0)
			ok++;
		if (i % 4 == 3 && r == -1 && (errno == EINVAL || errno == EPROTONOSUPPORT)) {
			if (early++ < 5)
				printf("  FAILED random %s with a right header: %s (the header or a reserved field was refused)\n",
				       random_cmds[c].name, strerror(errno));
			failures++;
		}
	}
	printf("  %s %ld random argument blocks (%ld accepted as valid, %ld forged ones refused at the header)\n",
	       early ? "FAILED" : "ok", n, ok, early);
}

/*
 * The checks that come after the instance is found: flags and reserved
 * fields against an instance that exists (loaded, never started), so that
 * the refusal is theirs and not "no such instance".  The descriptor's
 * close frees the instance.
 */
static void loaded_instance(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR);
	struct kspawn_ioc_instance in;
	struct kspawn_ioc_status st;
	struct kspawn_ioc_load ld;
	struct kspawn_ioc_io io;
	char byte;

	ld = valid_load(img, img_size, "hello");
	if (ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED loaded instance: the load failed: %s\n", strerror(errno));
		failures++;
		close(fd);
		return;
	}
	INIT(st);
	st.id = ld.id;
	if (ioctl(fd, KSPAWN_IOC_STATUS, &st)) {
		printf("  FAILED status of the loaded instance: %s\n", strerror(errno));
		failures++;
	}
	INIT(in);
	in.id = ld.id;
	in.flags = 0x80;
	want("start with flags", ioctl(fd, KSPAWN_IOC_START, &in), EINVAL);
	want("stop with unknown flags", ioctl(fd, KSPAWN_IOC_STOP, &in), EINVAL);
	want("break with flags", ioctl(fd, KSPAWN_IOC_DEBUG_BREAK, &in), EINVAL);
	INIT(io);
	io.id = ld.id;
	io.len = 1;
	io.buf = (unsigned long)&byte;
	io.gone = 1;
	want("console read, gone set", ioctl(fd, KSPAWN_IOC_CONSOLE_READ, &io), EINVAL);
	io.gone = 0;
	io.done = 1;
	want("console write, done set", ioctl(fd, KSPAWN_IOC_CONSOLE_WRITE, &io), EINVAL);
	ld.id = 0;
	ld.doorbell_cpu = 1;
	want("load, doorbell CPU without its flag", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	ld.flags = KSPAWN_LOAD_DOORBELL_CPU;
	ld.doorbell_cpu = 1U << 31;
	want("load, doorbell CPU out of range", ioctl(fd, KSPAWN_IOC_LOAD, &ld), ENODEV);
	ld.flags = 0;
	ld.doorbell_cpu = 0;
	ld.id = 77;
	want("load, id set", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EINVAL);
	close(fd);
}

int count_instances(int fd)
{
	struct kspawn_ioc_list l;
	unsigned int ids[16];

	INIT(l);
	l.max = 16;
	l.ids = (unsigned long)ids;
	return ioctl(fd, KSPAWN_IOC_LIST, &l) ? -1 : (int)l.count;
}

/* No instance may be listed after what; ok says so.  Returns the count. */
int none_left(int fd, const char *what, const char *ok)
{
	int left = count_instances(fd);

	if (left) {
		printf("  FAILED %s: %d instance(s) left\n", what, left);
		failures++;
	} else {
		printf("  ok %s\n", ok);
	}
	return left;
}

/* A load whose descriptor closes before start: nothing must remain. */
static void abandoned_load(void *img, size_t img_size)
{
	struct kspawn_ioc_load ld;
	int fd = open("/dev/kspawn", O_RDWR);

	ld = valid_load(img, img_size, "hello");
	if (ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED abandoned load: the load itself failed: %s\n",
		       strerror(errno));
		failures++;
		return;
	}
	close(fd);
	fd = open("/dev/kspawn", O_RDWR);
	none_left(fd, "abandoned load",
		  "a loaded, never started instance went with its descriptor");
	close(fd);
}

/* A load the module cannot write the ID back to: nothing may remain. */
static void readonly_load(void *img, size_t img_size)
{
	struct kspawn_ioc_load *ld = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open("/dev/kspawn", O_RDWR);

	if (ld == MAP_FAILED)
		return;
	*ld = valid_load(img, img_size, "hello");
	mprotect(ld, 4096, PROT_READ);
	want("a load whose argument block is read-only",
	     ioctl(fd, KSPAWN_IOC_LOAD, ld), EFAULT);
	/* Its descriptor still open: nothing left to go with it. */
	none_left(fd, "read-only load", "the read-only load left no instance");
	close(fd);
	munmap(ld, 4096);
}

int main(int argc, char **argv)
{
	struct stat sb;
	void *img;
	int fd, in;

	if (argc < 2 || argc > 4 ||
	    (argc == 3 && strcmp(argv[2], "failed-start") &&
	     strcmp(argv[2], "doorbell") && strcmp(argv[2], "any-cpu") &&
	     strcmp(argv[2], "status-stall") && strcmp(argv[2], "mac-ids") &&
	     strcmp(argv[2], "races") && strcmp(argv[2], "killed-start")) ||
	    (argc == 4 && strcmp(argv[2], "disk-busy")) ||
	    (in = open(argv[1], O_RDONLY)) < 0 || fstat(in, &sb)) {
		fprintf(stderr, "usage: ioctlabuse IMAGE [failed-start | doorbell | any-cpu | status-stall | mac-ids | races | killed-start | disk-busy DISK]\n");
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
	if (argc >= 3) {
		if (argc == 4)
			disk_busy(img, (size_t)sb.st_size, argv[3]);
		else if (!strcmp(argv[2], "doorbell"))
			doorbell_cpus(img, (size_t)sb.st_size);
		else if (!strcmp(argv[2], "any-cpu"))
			any_cpu(img, (size_t)sb.st_size);
		else if (!strcmp(argv[2], "status-stall"))
			status_stall(img, (size_t)sb.st_size);
		else if (!strcmp(argv[2], "mac-ids"))
			mac_ids(img, (size_t)sb.st_size);
		else if (!strcmp(argv[2], "races"))
			races(img, (size_t)sb.st_size);
		else if (!strcmp(argv[2], "killed-start"))
			killed_start(img, (size_t)sb.st_size);
		else {
			failed_start(img, (size_t)sb.st_size);
			failed_start_closed(img, (size_t)sb.st_size);
		}
		printf("ioctlabuse: %d failed\n", failures);
		return failures != 0;
	}
	structured(fd, img, (size_t)sb.st_size);
	disk_kinds(fd, img, (size_t)sb.st_size);
	refused_early(fd, img, (size_t)sb.st_size);
	loaded_instance(img, (size_t)sb.st_size);
	if (count_instances(fd)) {
		printf("  FAILED the loaded instance outlived its descriptor\n");
		failures++;
	}
	log_flood(fd);
	random_blocks(fd, 200000);
	close(fd);
	abandoned_load(img, (size_t)sb.st_size);
	readonly_load(img, (size_t)sb.st_size);
	printf("ioctlabuse: %d failed\n", failures);
	return failures != 0;
}
