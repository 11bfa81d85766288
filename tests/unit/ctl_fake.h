/*
 * kspawnctl's whole command line against a fake /dev/kspawn: the tests
 * that include this link every host/ctl file but device.c and main.c, and
 * the dev_* calls of device.h answer from fake below.  ctl() runs
 * kspawnctl (ctl_main(), cli.c) with its stdout in out[] (or in a file,
 * /dev/full say) and its stderr in err[]; image_path is a valid guest
 * image (tiny_image.h).  Static: each test is one program, built alone.
 */
#ifndef TESTS_UNIT_CTL_FAKE_H
#define TESTS_UNIT_CTL_FAKE_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/ctl/ctl.h"
#include "tests/unit/tiny_image.h"

#define FAKE_ID 7		/* the one instance there is, if any */

static struct {
	int open_err;		/* dev_open's answer: 0 or a negative errno */
	/* dev_open takes a real fd, as the device's open does: an epoll's,
	 * whose read and write say EINVAL as /dev/kspawn's do. */
	int open_fd;
	int opens;		/* dev_open calls */
	int there;		/* instance FAKE_ID exists */
	int spawn_err, spawns;	/* the load's answer; loads */
	void (*on_start)(void);	/* in dev_start, as a signal might come */
	int start_err;		/* dev_start's answer */
	int load_cpu;		/* the last load's cpu (-1: the module's) */
	unsigned int load_ncpus;	/* and its ncpus */
	int any_cpu;		/* the module's choice for KSPAWN_LOAD_CPU_ANY */
	int cpu;		/* FAKE_ID's (its status) */
	unsigned int ncpus;	/* its status: >1, cpus[] its CPUs */
	uint32_t cpus[KSPAWN_MAX_CPUS];
	uint64_t heartbeat_age_ms;	/* UINT64_MAX: never seen one */
	uint64_t console_dropped;
	uint64_t tsc_khz, boot_tsc[KSPAWN_STAMP_COUNT];	/* its status's */
	unsigned char busy[CTL_MAX_CPUS];	/* dev_cpus: an instance's */
	int cpus_err;		/* dev_cpus's answer */
	int list_err;		/* dev_list's answer */
	int status_err;		/* dev_status's answer for FAKE_ID, there */
	int stop_err, stops;
	/* Written to /dev/kmsg by a failing stop: during it, then at its end. */
	const char *stop_log_during, *stop_log_end;
	int stop_force;		/* the last dev_stop's force */
	int reserve_err;	/* every dev_reserve's answer */
	const char *reserve_log;	/* to /dev/kmsg when it fails */
	int guest_state;	/* KSPAWN_GUEST_* of FAKE_ID */
	const char *cmdline;	/* its command line (NULL: "hello") */
	const char *console;	/* what its console holds, read once */
	/* Its console input: what the guest took (in[in_len]); a write puts
	 * at most in_room bytes (0: all), the first in_stalls none, and
	 * nothing once in_max were taken (0: no limit). */
	char in[1 << 15];
	size_t in_len, in_room, in_max;
	int in_stalls, in_writes;
	void (*on_status)(void);	/* at each dev_status of FAKE_ID */
	int debug_flood;	/* its stub's output never ends (hostile) */
	unsigned char pooled[CTL_MAX_CPUS];
} fake;

static char out[1 << 16], err[1 << 14];
/*
 * Set, ctl() runs kspawnctl in a child process, with the signal
 * dispositions the test left: a signal's default action ends the child,
 * not the test.  Its exit status is then the child's, or minus the signal
 * that killed it; what it did to fake is the child's own.
 */
static int ctl_forked;
/* Set (>= 0), kspawnctl's stdout: a pipe, say, instead of out[]. */
static int ctl_stdout_fd = -1;
static char image_path[] = "/tmp/kspawn-test-ctl-XXXXXX";

static __attribute__((unused)) void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	ctl_forked = 0;
	ctl_stdout_fd = -1;
	fake.there = 1;
	fake.guest_state = KSPAWN_GUEST_RUNNING;
	fake.pooled[1] = 1;	/* run needs no sysfs to pick CPU 1 */
	fake.any_cpu = 1;	/* as the module would pick it */
	fake.cpu = 1;
	fake.heartbeat_age_ms = UINT64_MAX;
}

int dev_open(const char *path, int *fd)
{
	(void)path;
	fake.opens++;
	*fd = fake.open_err ? -1 : fake.open_fd ? epoll_create1(0) : 1000;
	return fake.open_err;
}

int dev_version(int fd, struct ctl_version *v)
{
	(void)fd;
	memset(v, 0, sizeof(*v));
	v->abi_major = KSPAWN_ABI_MAJOR;
	v->abi_minor = KSPAWN_ABI_MINOR;
	v->max_instances = 16;
	return 0;
}

/* The spawn: a load that fails with spawn_err, or a start. */
int dev_load(int fd, const struct ctl_spawn *req, uint32_t *id)
{
	(void)fd;
	fake.spawns++;
	fake.load_cpu = req->cpu;
	fake.load_ncpus = req->ncpus;
	if (fake.spawn_err)
		return fake.spawn_err;
	fake.cpu = req->ncpus ? (int)req->cpus[0] :
		   req->cpu < 0 ? fake.any_cpu : req->cpu;
	*id = FAKE_ID;
	return 0;
}

int dev_start(int fd, uint32_t id)
{
	(void)fd, (void)id;
	if (fake.on_start)
		fake.on_start();
	if (fake.start_err)
		return fake.start_err;
	fake.there = 1;
	return 0;
}

int dev_status(int fd, uint32_t id, struct ctl_status *st)
{
	(void)fd;
	if (id != FAKE_ID || !fake.there)
		return -ESRCH;
	if (fake.status_err)
		return fake.status_err;
	if (fake.on_status)
		fake.on_status();
	memset(st, 0, sizeof(*st));
	st->id = id;
	st->cpu = (uint32_t)fake.cpu;
	st->host_state = CTL_HOST_RUNNING;
	st->guest_state = (uint32_t)fake.guest_state;
	st->region_size = 16 << 20;
	st->doorbell_cpu = 0;
	snprintf(st->cmdline, sizeof(st->cmdline), "%s",
		 fake.cmdline ? fake.cmdline : "hello");
	st->heartbeat_age_ms = fake.heartbeat_age_ms;
	st->console_dropped = fake.console_dropped;
	st->tsc_khz = fake.tsc_khz;
	memcpy(st->boot_tsc, fake.boot_tsc, sizeof(st->boot_tsc));
	st->ncpus = fake.ncpus ? fake.ncpus : 1;
	st->cpus[0] = st->cpu;
	if (fake.ncpus)
		memcpy(st->cpus, fake.cpus, sizeof(st->cpus));
	return 0;
}

int dev_list(int fd, uint32_t *ids, int max, int *count)
{
	(void)fd;
	if (fake.list_err)
		return fake.list_err;
	*count = fake.there && max > 0;
	if (*count)
		ids[0] = FAKE_ID;
	return 0;
}

int dev_console_read(int fd, uint32_t id, void *buf, size_t len,
		     size_t *got, enum ctl_gone *gone)
{
	(void)fd;
	*got = 0;
	*gone = CTL_GONE_NO;
	if (id != FAKE_ID || !fake.there)
		return -ESRCH;
	if (fake.console) {
		*got = strlen(fake.console) < len ? strlen(fake.console) : len;
		memcpy(buf, fake.console, *got);
		fake.console += *got;
		if (!*fake.console)
			fake.console = NULL;
	}
	return 0;
}

int dev_console_write(int fd, uint32_t id, const void *buf, size_t len,
		      size_t *put)
{
	size_t room = sizeof(fake.in) - fake.in_len;

	(void)fd;
	*put = 0;
	if (id != FAKE_ID || !fake.there)
		return -ESRCH;
	if (fake.in_writes++ < fake.in_stalls)
		return 0;
	if (fake.in_room && room > fake.in_room)
		room = fake.in_room;
	if (fake.in_max && room > fake.in_max - fake.in_len)
		room = fake.in_max - fake.in_len;
	*put = len < room ? len : room;
	memcpy(fake.in + fake.in_len, buf, *put);
	fake.in_len += *put;
	return 0;
}

int dev_debug_read(int fd, uint32_t id, void *buf, size_t len, size_t *got)
{
	(void)fd;
	*got = 0;
	if (id != FAKE_ID || !fake.there)
		return -ESRCH;
	if (fake.debug_flood) {
		memset(buf, '+', len);
		*got = len;
	}
	return 0;
}

int dev_debug_write(int fd, uint32_t id, const void *buf, size_t len,
		    size_t *put)
{
	(void)fd, (void)buf;
	*put = len;
	return id == FAKE_ID && fake.there ? 0 : -ESRCH;
}

int dev_debug_break(int fd, uint32_t id)
{
	(void)fd, (void)id;
	return 0;
}

/*
 * A line in the kernel log, as the module would write it (root only).
 * With its newline: a record without one stays open for more, unseen by
 * readers until the next record comes.
 */
static void fake_kmsg(const char *line)
{
	char rec[256];
	int fd;

	if (!line)
		return;
	snprintf(rec, sizeof(rec), "%s\n", line);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, rec, strlen(rec)) < 0) {
		fprintf(stderr, "fake_kmsg: cannot write /dev/kmsg\n");
		abort();
	}
	close(fd);
}

int dev_stop(int fd, uint32_t id, int force)
{
	(void)fd;
	fake.stops++;
	fake.stop_force = force;
	if (id != FAKE_ID || !fake.there)
		return -ESRCH;
	if (fake.stop_err) {
		fake_kmsg(fake.stop_log_during);
		if (fake.stop_log_during)
			usleep(500 * 1000);	/* for cmd_stop.c's relay */
		fake_kmsg(fake.stop_log_end);
		return fake.stop_err;
	}
	fake.there = 0;
	return 0;
}

int dev_cpus(int fd, struct ctl_cpus *c)
{
	(void)fd;
	memset(c, 0, sizeof(*c));
	if (fake.cpus_err)
		return fake.cpus_err;
	memcpy(c->pooled, fake.pooled, sizeof(c->pooled));
	memcpy(c->busy, fake.busy, sizeof(c->busy));
	return 0;
}

int dev_reserve(int fd, uint32_t cpu, int reserve)
{
	(void)fd, (void)cpu, (void)reserve;
	if (fake.reserve_err)
		fake_kmsg(fake.reserve_log);
	return fake.reserve_err;
}

/* The file's bytes into buf, a string. */
static void slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* ctl_main() in a child (ctl_forked): its exit status, or -signal. */
static int ctl_child(int argc, char **argv)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		status = ctl_main(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(status);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		abort();
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/*
 * kspawnctl ARG... (NULL-terminated): its exit status; what it printed on
 * stderr in err[], on stdout in out[], or in the file to if not NULL.
 */
static __attribute__((unused)) int ctl_to(const char *to, ...)
{
	char *argv[32] = { "kspawnctl" };
	int argc = 1, keep1 = dup(1), keep2 = dup(2), rc, fd;
	FILE *o = tmpfile(), *e = tmpfile();
	va_list ap;

	va_start(ap, to);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	if (!o || !e || keep1 < 0 || keep2 < 0)
		abort();
	fd = to ? open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600) :
	     ctl_stdout_fd >= 0 ? ctl_stdout_fd : fileno(o);
	if (fd < 0)
		abort();
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fileno(e), 2);
	/*
	 * stdout as a new process has it: out of glibc's writing mode (a
	 * seek leaves it), which setvbuf() in ctl_main() expects, as it
	 * comes before any write there.
	 */
	fseek(stdout, 0, SEEK_END);
	rc = ctl_forked ? ctl_child(argc, argv) : ctl_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	clearerr(stdout);
	dup2(keep1, 1);
	dup2(keep2, 2);
	close(keep1);
	close(keep2);
	if (to)
		close(fd);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return rc;
}

#define ctl(...) ctl_to(NULL, __VA_ARGS__, (char *)NULL)

/* Fail unless what is (or is not) in buf, showing both. */
#define has(buf, what)                                                         \
	do {                                                                   \
		if (!strstr(buf, what))                                        \
			fail_msg("%s lacks \"%s\"; it is \"%s\"", #buf,      \
				 what, buf);                                   \
	} while (0)
#define hasnt(buf, what)                                                       \
	do {                                                                   \
		if (strstr(buf, what))                                         \
			fail_msg("%s has \"%s\"; it is \"%s\"", #buf, what,   \
				 buf);                                         \
	} while (0)

/* cmocka group setup and teardown: the image, and KSPAWN_DEVICE unset. */
static __attribute__((unused)) int fake_setup(void **state)
{
	struct tiny t = good();
	int fd = mkstemp(image_path);

	(void)state;
	unsetenv("KSPAWN_DEVICE");
	if (fd < 0)
		return -1;
	if (write(fd, &t, sizeof(t)) != (ssize_t)sizeof(t)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static __attribute__((unused)) int fake_teardown(void **state)
{
	(void)state;
	unlink(image_path);
	return 0;
}

#endif
