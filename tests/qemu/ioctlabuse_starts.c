/*
 * ioctlabuse's modes around starting and placing an instance: failed-start,
 * doorbell, any-cpu and disk-busy (what each checks: ioctlabuse.c).
 */
#include <dirent.h>
#include <signal.h>

#include "ioctlabuse.h"

/* Load ld; the CPU the module gave it, or -1 (a failure counted). */
static int load_cpu(int fd, struct kspawn_ioc_load *ld, const char *what)
{
	struct kspawn_ioc_status st;

	if (ioctl(fd, KSPAWN_IOC_LOAD, ld)) {
		printf("  FAILED %s: the load failed: %s\n", what, strerror(errno));
		failures++;
		return -1;
	}
	INIT(st);
	st.id = ld->id;
	if (ioctl(fd, KSPAWN_IOC_STATUS, &st)) {
		printf("  FAILED %s: no status: %s\n", what, strerror(errno));
		failures++;
		return -1;
	}
	return (int)st.cpu;
}

/*
 * 200 reserves of CPU 2, which takes a doorbell: each refused EBUSY, and
 * before Linux is asked to take the CPU offline (which tears down every
 * hotplug state and brings them back, two lines in the log a time): our
 * lines are at most what printk's rate limit lets through, 10 and a
 * "suppressed" line per 5 s window and call site (ioctlabuse.c's
 * log_flood()).
 */
static void reserve_doorbell_cpu(int fd)
{
	int k = kmsg_open_at_end(), bad = 0, lines, most;
	struct kspawn_ioc_cpu c;
	struct timespec t0, t1;

	if (k < 0) {
		printf("  FAILED reserve of the doorbell's CPU: /dev/kmsg: %s\n",
		       strerror(errno));
		failures++;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 200; i++) {
		INIT(c);
		c.cpu = 2;
		bad += ioctl(fd, KSPAWN_IOC_RESERVE, &c) != -1 || errno != EBUSY;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lines = kmsg_count(k, "kspawn");
	close(k);
	most = (int)(11 * ((t1.tv_sec - t0.tv_sec) / 5 + 2));
	printf("  %s 200 reserves of the doorbell's CPU 2: %d not EBUSY, %d lines of ours in the kernel log (at most %d)\n",
	       bad || lines > most ? "FAILED" : "ok", bad, lines, most);
	failures += bad || lines > most;
}

void doorbell_cpus(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR), fd2, cpu;
	struct kspawn_ioc_load ld;

	ld = valid_load(img, img_size, "hello");
	ld.flags = KSPAWN_LOAD_DOORBELL_CPU;
	ld.doorbell_cpu = 2;
	if (load_cpu(fd, &ld, "guest on CPU 1, doorbell on 2") != 1)
		goto out;
	ld = valid_load(img, img_size, "hello");
	ld.cpu = 2;
	want("a guest on the doorbell's CPU 2", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EBUSY);
	reserve_doorbell_cpu(fd);
	ld = valid_load(img, img_size, "hello");
	ld.cpu = 3;
	ld.flags = KSPAWN_LOAD_DOORBELL_CPU;
	ld.doorbell_cpu = 1;
	want("a doorbell on the guest's CPU 1", ioctl(fd, KSPAWN_IOC_LOAD, &ld), EADDRINUSE);
	ld = valid_load(img, img_size, "hello");
	ld.cpu = KSPAWN_LOAD_CPU_ANY;
	cpu = load_cpu(fd, &ld, "a guest on any CPU");
	printf("  %s a guest on any CPU got CPU %d (not 2, the doorbell's)\n",
	       cpu == 3 ? "ok" : "FAILED", cpu);
	failures += cpu != 3;
	close(fd);
	/* Both gone with their descriptor: CPUs 1-3 free again. */
	fd2 = open("/dev/kspawn", O_RDWR);
	ld = valid_load(img, img_size, "hello");
	ld.cpu = KSPAWN_LOAD_CPU_ANY;
	ld.flags = KSPAWN_LOAD_DOORBELL_CPU;
	ld.doorbell_cpu = 3;
	cpu = load_cpu(fd2, &ld, "a guest on any CPU, its doorbell on 3");
	printf("  %s a guest on any CPU, its doorbell on 3, got CPU %d (not 3)\n",
	       cpu == 2 ? "ok" : "FAILED", cpu);
	failures += cpu != 2;
	fd = fd2;
out:
	close(fd);
}

/*
 * id's console into buf from *have on, until it is empty or max bytes
 * came (buf stays 0-terminated): how many, or -1 with errno if the
 * first read failed (ESRCH: no instance, and no epitaph of one).
 */
static int console_take(int fd, uint32_t id, char *buf, size_t size,
			size_t *have, size_t max)
{
	size_t start = *have, room;
	struct kspawn_ioc_io io;

	while (*have - start < max && *have + 1 < size) {
		room = size - 1 - *have;
		INIT(io);
		io.id = id;
		io.buf = (uintptr_t)(buf + *have);
		io.len = (uint32_t)(max - (*have - start) < room ?
				    max - (*have - start) : room);
		if (ioctl(fd, KSPAWN_IOC_CONSOLE_READ, &io)) {
			if (*have == start)
				return -1;
			break;
		}
		if (!io.done)
			break;
		*have += io.done;
	}
	buf[*have] = 0;
	return (int)(*have - start);
}

/*
 * What the guest wrote before its start failed (the knob fails it once
 * the guest left BOOTING, its banner printed) is kept: a console read of
 * the LOADED instance gets its first bytes, and the rest outlives the
 * stop as its epitaph.
 */
static void failed_start_words(int fd, uint32_t id, char *buf, size_t size,
			       size_t *have, int before_stop)
{
	int n = console_take(fd, id, buf, size, have, before_stop ? 16 : size);

	if (before_stop) {
		printf("  %s failed start: its console, read while LOADED, gave %d bytes (want 16)\n",
		       n == 16 ? "ok" : "FAILED", n);
		failures += n != 16;
		return;
	}
	printf("  %s failed start: %d more bytes after the stop%s%s; the guest's banner %s\n",
	       n > 0 && strstr(buf, "cmdline: hello") ? "ok" : "FAILED", n,
	       n < 0 ? ": " : "", n < 0 ? strerror(errno) : "",
	       strstr(buf, "cmdline: hello") ? "among them" : "missing");
	failures += n <= 0 || !strstr(buf, "cmdline: hello");
}

void failed_start(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR);
	static char words[8192];
	size_t have = 0;
	struct kspawn_ioc_instance in;
	struct kspawn_ioc_status st;
	struct kspawn_ioc_load ld;

	ld = valid_load(img, img_size, "hello");
	if (ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED failed start: the load failed: %s\n", strerror(errno));
		failures++;
		close(fd);
		return;
	}
	INIT(in);
	in.id = ld.id;
	want("a start failing on purpose (test_fail_starts=1)",
	     ioctl(fd, KSPAWN_IOC_START, &in), ETIMEDOUT);
	want("a second start of it", ioctl(fd, KSPAWN_IOC_START, &in), ESTALE);
	INIT(st);
	st.id = ld.id;
	if (ioctl(fd, KSPAWN_IOC_STATUS, &st) || st.host_state != KSPAWN_HOST_LOADED) {
		printf("  FAILED failed start: not LOADED afterwards (state %u)\n",
		       st.host_state);
		failures++;
	}
	failed_start_words(fd, ld.id, words, sizeof(words), &have, 1);
	if (ioctl(fd, KSPAWN_IOC_STOP, &in)) {
		printf("  FAILED failed start: the stop failed: %s\n", strerror(errno));
		failures++;
	}
	failed_start_words(fd, ld.id, words, sizeof(words), &have, 0);
	if (count_instances(fd)) {
		printf("  FAILED failed start: the instance outlived its stop\n");
		failures++;
	}
	close(fd);
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The module's test knob: its next n starts fail after the guest ran. */
static int fail_starts(int n)
{
	FILE *f = fopen("/sys/module/kspawn/parameters/test_fail_starts", "w");
	int err;

	if (!f)
		return -1;
	err = fprintf(f, "%d\n", n) < 0;
	return fclose(f) || err ? -1 : 0;
}

/*
 * One try of failed_start_closed(): 1 if it checked the close (failures
 * counted as found), 0 if the start was not caught under way or did not
 * fail as the knob makes it (then the caller tries again).
 */
static int close_during_failed_start(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR), status = -1, seen = 0, left;
	struct kspawn_ioc_instance in;
	int checked;
	struct kspawn_ioc_status st;
	struct kspawn_ioc_load ld;
	double end = seconds() + 20;
	pid_t child;

	ld = valid_load(img, img_size, "hello");
	if (fail_starts(1) || ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED closed loader: the knob or the load failed: %s\n",
		       strerror(errno));
		failures++;
		close(fd);
		return 1;
	}
	INIT(in);
	in.id = ld.id;
	child = fork();
	if (child == 0) {
		int b;

		close(fd);		/* the parent's close must be the last */
		b = open("/dev/kspawn", O_RDWR);
		/* Its errno, 0 for the ETIMEDOUT wanted, 255 for a success. */
		if (ioctl(b, KSPAWN_IOC_START, &in) == 0)
			_exit(255);
		_exit(errno == ETIMEDOUT ? 0 : errno);
	}
	while (!seen && seconds() < end && waitpid(child, &status, WNOHANG) == 0) {
		INIT(st);
		st.id = ld.id;
		seen = !ioctl(fd, KSPAWN_IOC_STATUS, &st) &&
		       st.host_state == KSPAWN_HOST_STARTING;
	}
	close(fd);
	if (seen || seconds() >= end)
		waitpid(child, &status, 0);
	fail_starts(0);
	fd = open("/dev/kspawn", O_RDWR);
	checked = seen && WIFEXITED(status) && !WEXITSTATUS(status);
	if (checked) {
		left = none_left(fd, "closed loader",
				 "the loader's close during a failing start freed it");
	} else {
		left = count_instances(fd);
		printf("  (closed loader: %s, %s; again)\n",
		       seen ? "the start seen under way" :
		       "the start not seen under way",
		       status == -1 ? "still going after 20 s" :
		       !WIFEXITED(status) ? "its process was killed" :
		       WEXITSTATUS(status) == 255 ? "it succeeded" :
		       !WEXITSTATUS(status) ? "it failed as the knob makes it" :
		       strerror(WEXITSTATUS(status)));
	}
	if (left)
		ioctl(fd, KSPAWN_IOC_STOP, &in);	/* for what comes after */
	close(fd);
	return checked;
}

/*
 * The loading descriptor closes while a second one's start is under way
 * and then fails (the test knob): the instance is LOADED again, and only
 * its loader's close could free it.  That close must wait for the start
 * and free it, not pass it by as not LOADED.  The start is caught under
 * way by polling its state; a try that misses it is made again.  The
 * window is the STARTING state alone (about 75 ms under TCG), while the
 * poller shares the host's one CPU left with the starter: in a CI run,
 * three tries once all missed it, so up to TRIES.
 */
#define TRIES 10
void failed_start_closed(void *img, size_t img_size)
{
	for (int i = 0; i < TRIES; i++)
		if (close_during_failed_start(img, img_size))
			return;
	printf("  FAILED closed loader: %d tries, none caught the start under way\n",
	       TRIES);
	failures++;
}

void any_cpu(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR), cpu;
	struct kspawn_ioc_load ld;

	ld = valid_load(img, img_size, "hello");
	ld.cpu = KSPAWN_LOAD_CPU_ANY;
	cpu = load_cpu(fd, &ld, "any-cpu");
	if (cpu >= 0)
		printf("any-cpu: CPU %d\n", cpu);
	close(fd);
}

void disk_busy(void *img, size_t img_size, const char *disk)
{
	int fd = open("/dev/kspawn", O_RDWR);
	struct kspawn_ioc_load ld;

	ld = valid_load(img, img_size, "hello");
	ld.cpu = 2;
	snprintf(ld.disk_path, sizeof(ld.disk_path), "%s", disk);
	want("a disk another instance holds", ioctl(fd, KSPAWN_IOC_LOAD, &ld),
	     ETXTBSY);
	ld = valid_load(img, img_size, "hello");
	snprintf(ld.disk_path, sizeof(ld.disk_path), "%s", disk);
	want("that disk on that instance's CPU 1",
	     ioctl(fd, KSPAWN_IOC_LOAD, &ld), EBUSY);
	close(fd);
}

/* The addresses of every ksnetN now, sorted, one per line, in buf. */
static int ksnet_macs(char *buf, size_t size)
{
	FILE *f = popen("cat /sys/class/net/ksnet*/address 2>/dev/null | sort",
			"r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	return pclose(f) ? -1 : 0;
}

/*
 * ioctlabuse IMAGE mac-ids (a host with CPUs 1 and 2 free): a ksnetN
 * for an instance on CPU 1, then 255 instances loaded and stopped on
 * CPU 2, then a second ksnetN, its ID 256 after the first: the two must
 * not share a MAC.  They did when it held 8 bits of the ID.
 */
void mac_ids(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR), bad = 0;
	struct kspawn_ioc_instance in;
	struct kspawn_ioc_load ld;
	char macs[256], *nl;

	ld = valid_load(img, img_size, "hello");
	ld.net_mode = KSPAWN_NET_NETDEV;
	if (load_cpu(fd, &ld, "a ksnetN on CPU 1") != 1)
		goto out;
	for (int i = 0; i < 255 && !bad; i++) {
		ld = valid_load(img, img_size, "hello");
		ld.cpu = 2;
		INIT(in);
		bad = ioctl(fd, KSPAWN_IOC_LOAD, &ld);
		in.id = ld.id;
		bad = bad || ioctl(fd, KSPAWN_IOC_STOP, &in);
	}
	ld = valid_load(img, img_size, "hello");
	ld.cpu = 2;
	ld.net_mode = KSPAWN_NET_NETDEV;
	if (bad) {
		printf("  FAILED mac ids: the 255 loads between: %s\n",
		       strerror(errno));
		failures++;
		goto out;
	}
	if (load_cpu(fd, &ld, "a ksnetN on CPU 2, 256 IDs on") != 2)
		goto out;
	if (ksnet_macs(macs, sizeof(macs)) || !(nl = strchr(macs, '\n'))) {
		printf("  FAILED mac ids: no ksnetN addresses\n");
		failures++;
		goto out;
	}
	*nl = 0;
	bad = !strncmp(macs, nl + 1, strlen(macs));
	printf("  %s two ksnetN, IDs 256 apart: %s and %.17s\n",
	       bad ? "FAILED" : "ok", macs, nl + 1);
	failures += bad;
out:
	close(fd);
}

/* The state letter of instance id's device thread, kspawn-io/ID; 0: none. */
static char io_thread_state(unsigned int id)
{
	char want[32], path[300], line[128], state = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	snprintf(want, sizeof(want), "(kspawn-io/%u) ", id);
	while (d && !state && (e = readdir(d))) {
		FILE *f;
		char *at;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) && (at = strstr(line, want)))
			state = at[strlen(want)];
		fclose(f);
	}
	if (d)
		closedir(d);
	return state;
}

static int io_thread_of(unsigned int id)
{
	return io_thread_state(id) != 0;
}

/*
 * A loaded instance's device thread (made at load) waits idle for the
 * start: never woken, a kthread sleeps uninterruptibly (D), which counts
 * in the load average and is reported hung after 120 s.
 */
static void loaded_thread(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR);
	struct kspawn_ioc_load ld = valid_load(img, img_size, "spin");
	char state;

	ld.ramdisk_bytes = 1 << 20;
	if (ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED loaded thread: the load failed: %s\n",
		       strerror(errno));
		failures++;
		close(fd);
		return;
	}
	/* Until it reaches its wait: 5 s at most (a busy TCG host). */
	for (int i = 0; i < 50 && (state = io_thread_state(ld.id)) != 'I'; i++)
		usleep(100000);
	printf("  %s a loaded instance's device thread waits idle (state %c)\n",
	       state == 'I' ? "ok" : "FAILED", state ? state : '-');
	failures += state != 'I';
	close(fd);
}

/*
 * One try of killed_start(): a START whose caller gets SIGKILL delay_us
 * after it asked; how long the start took if it was not killed.  A kill
 * that found the caller inside the START with the guest running on after
 * it is a case: the guest must have its device thread.  The child writes
 * a byte on the pipe as soon as its START returns: a kill that came after
 * that byte found the START over, whatever it left, and is no case (a
 * kill between the return and _exit() once counted, and a module whose
 * START had made the thread unkilled passed on it alone).
 */
static double kill_during_start(void *img, size_t img_size, int delay_us,
				int *cases, int *late)
{
	int fd = open("/dev/kspawn", O_RDWR), p[2], status, r;
	char returned;
	struct kspawn_ioc_load ld = valid_load(img, img_size, "spin");
	struct kspawn_ioc_instance in;
	struct kspawn_ioc_status st;
	double t0 = 0, took = 0;
	pid_t child;

	ld.ramdisk_bytes = 1 << 20;
	if (fd < 0 || pipe(p))
		return -1;
	child = fork();
	if (child == 0) {
		int b = open("/dev/kspawn", O_RDWR);

		if (ioctl(b, KSPAWN_IOC_LOAD, &ld) ||
		    write(p[1], &ld.id, sizeof(ld.id)) != sizeof(ld.id))
			_exit(1);
		INIT(in);
		in.id = ld.id;
		r = ioctl(b, KSPAWN_IOC_START, &in);
		returned = 1;
		if (write(p[1], &returned, 1) != 1)
			_exit(1);
		_exit(r ? 2 : 0);
	}
	close(p[1]);
	if (read(p[0], &ld.id, sizeof(ld.id)) != sizeof(ld.id)) {
		printf("  FAILED killed start: the load failed\n");
		failures++;
		waitpid(child, &status, 0);
		close(p[0]);
		close(fd);
		return -1;
	}
	if (delay_us >= 0) {
		usleep(delay_us);
		kill(child, SIGKILL);
	} else {
		t0 = seconds();
	}
	waitpid(child, &status, 0);
	if (delay_us < 0)
		took = seconds() - t0;
	/* The child is gone: its byte, or end of file if it never wrote it. */
	returned = 0;
	r = read(p[0], &returned, 1);
	close(p[0]);
	*late += WIFSIGNALED(status) && r == 1;
	INIT(st);
	st.id = ld.id;
	if (WIFSIGNALED(status) && r != 1 &&
	    !ioctl(fd, KSPAWN_IOC_STATUS, &st) &&
	    st.host_state == KSPAWN_HOST_RUNNING) {
		int ok = io_thread_of(ld.id);

		(*cases)++;
		printf("  %s a START whose caller was killed %d us in: instance %u runs %s its device thread\n",
		       ok ? "ok" : "FAILED", delay_us, ld.id,
		       ok ? "with" : "without");
		failures += !ok;
	}
	INIT(in);
	in.id = ld.id;
	ioctl(fd, KSPAWN_IOC_STOP, &in);
	close(fd);
	return took;
}

/*
 * SIGKILL for the caller of a START while the start is under way: nothing
 * in it waits for a signal once the cores are taken, so the start goes on
 * and the guest runs; it must run with its device thread.  (Its thread
 * was made there, and kthread_create() gives up on a fatal signal: the
 * guest ran without, its devices never answering.)  Kills at random
 * moments of a start, timed once unkilled, until three found the caller
 * inside the START and the guest running on (30 tries at most).
 */
void killed_start(void *img, size_t img_size)
{
	int cases = 0, tries = 0, late = 0;
	double took;

	loaded_thread(img, img_size);
	took = kill_during_start(img, img_size, -1, &cases, &late);

	if (took <= 0) {
		printf("  FAILED killed start: the unkilled start failed\n");
		failures++;
		return;
	}
	srand((unsigned int)time(NULL));
	for (; cases < 3 && tries < 30; tries++)
		kill_during_start(img, img_size,
				  (int)(took * 1e6 * (rand() % 1000) / 1000),
				  &cases, &late);
	printf("  %s killed starts: %d of %d tries killed the caller inside a START its guest outlived, %d after its START returned (not counted; a start takes %.0f ms)\n",
	       cases < 3 ? "FAILED" : "ok", cases, tries, late,
	       took * 1000);
	failures += cases < 3;
}
