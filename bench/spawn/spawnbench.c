/*
 * spawnbench: how long it takes to start something and to get its CPU
 * back, for a spawned kernel and for its peer, a Linux process.
 *
 *   spawnbench kspawn IMAGE [cpu=1] [cmdline=spin]
 *	kspawnctl run IMAGE (the spin app: a busy guest) on that CPU;
 *	microseconds from the moment kspawnctl is started to the guest
 *	app's main() (the guest stamps its TSC there, and the host's TSC
 *	is the same clock), then from `kspawnctl stop` to the CPU being
 *	online in Linux again.
 *   spawnbench reserved IMAGE [cpu=1] [cmdline=spin]
 *	(bench/fullstack runs it with cmdline=idle: a guest asleep, as
 *	the fork child is in pause())
 *	the same on a core of the module's pool (kspawnctl reserve it
 *	first), as a program that spawns guests would: the image read
 *	once, then the spawn ioctl; microseconds from the ioctl to the
 *	app's main(), then from the stop ioctl to its return with the
 *	core parked in the pool again and free for the next guest.
 *   spawnbench fork
 *	fork + exec of this static binary; microseconds from fork to the
 *	child's main(), then from kill(SIGKILL) to waitpid() returning.
 *
 * Prints "spawn_to_main_us X us" and "stop_us X us" (the harness's metric
 * lines) and nothing else on stdout; for kspawn also "ioctl_to_main_us",
 * the part from the start ioctl on (the module's and the guest's share,
 * without reading the image and starting kspawnctl), and
 * "kmain_to_main_us", the guest's own boot, and the stages before it:
 * "to_ioctl_us" (the image copied into the kernel), "ioctl_to_sipi_us"
 * (checks, load, INIT) and "sipi_to_kmain_us" (reserved only).  One start and stop
 * goes first, unmeasured ("warmup 1 spawns"): the first one also reads
 * the image and the binaries into the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "bench/lib/hostbench.h"
#include "host/ctl/device.h"
#include "host/ctl/image.h"

#define POLL_LIMIT_NS (30ULL * 1000000000ULL)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Run argv with stdout into buf (NUL-terminated); its exit status. */
static int run_capture(char *const argv[], char *buf, size_t len)
{
	int fd[2], status;
	ssize_t got = 0, n;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while ((size_t)got < len - 1 &&
	       (n = read(fd[0], buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int cpu_online(int cpu)
{
	char path[64], c = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1';
}

/*
 * The guest's stamps once it reached its app's main (0 on timeout).  The
 * stamp is the guest's own TSC reading, so how often this looks does not
 * change the result; sleeping between looks leaves Linux's CPUs alone.
 */
static int wait_main(int fd, uint32_t id, struct ctl_status *st)
{
	uint64_t end = now_ns() + POLL_LIMIT_NS;
	const struct timespec nap = { 0, 50000 };

	while (now_ns() < end) {
		if (dev_status(fd, id, st))
			return -1;
		if (st->boot_tsc[KSPAWN_STAMP_APP_MAIN] && st->tsc_khz)
			return 0;
		nanosleep(&nap, NULL);
	}
	return -1;
}

static double tsc_us(uint64_t from, uint64_t to, uint64_t khz)
{
	return (double)(to - from) * 1000.0 / (double)khz;
}

/* From one of the guest's boot stamps to another. */
static double stage_us(const struct ctl_status *st, int from, int to)
{
	return tsc_us(st->boot_tsc[from], st->boot_tsc[to], st->tsc_khz);
}

/* One start and stop; ioctl_to_main_us is 0 for a Linux process. */
struct times {
	double to_main_us, stop_us, ioctl_to_main_us, kmain_to_main_us;
	double to_ioctl_us, ioctl_to_sipi_us, sipi_to_kmain_us;
};

static int bench_kspawn(const char *image, const char *cpu,
			const char *cmdline, struct times *t)
{
	char *run[] = { "kspawnctl", "run", (char *)image, "--cpu",
			(char *)cpu, "--cmdline", (char *)cmdline, NULL };
	char out[64], id_s[16];
	char *stop[] = { "kspawnctl", "stop", id_s, NULL };
	char *force[] = { "kspawnctl", "stop", id_s, "--force", NULL };
	uint64_t t0, s0, s1;
	struct ctl_status st;
	int fd, rc;
	uint32_t id;

	rc = dev_open(KSPAWN_DEVICE, &fd);
	if (rc) {
		fprintf(stderr, "spawnbench: %s: %s\n", KSPAWN_DEVICE,
			strerror(-rc));
		return 1;
	}
	t0 = __rdtsc();
	rc = run_capture(run, out, sizeof(out));
	if (rc || sscanf(out, "%u", &id) != 1) {
		fprintf(stderr, "spawnbench: kspawnctl run failed (%d)\n", rc);
		return 1;
	}
	snprintf(id_s, sizeof(id_s), "%u", id);
	if (wait_main(fd, id, &st) ||
	    st.boot_tsc[KSPAWN_STAMP_APP_MAIN] < t0) {
		fprintf(stderr, "spawnbench: guest %u never reached main\n", id);
		run_capture(force, out, sizeof(out));	/* give the CPU back */
		return 1;
	}
	s0 = now_ns();
	rc = run_capture(stop, out, sizeof(out));
	s1 = now_ns();
	close(fd);
	/* kspawnctl stop returns once the module has the CPU online again. */
	if (rc || cpu_online(atoi(cpu)) != 1) {
		fprintf(stderr, "spawnbench: stop failed or CPU %s offline\n",
			cpu);
		return 1;
	}
	t->to_main_us = tsc_us(t0, st.boot_tsc[KSPAWN_STAMP_APP_MAIN],
			       st.tsc_khz);
	t->stop_us = (double)(s1 - s0) / 1000.0;
	t->ioctl_to_main_us = tsc_us(st.boot_tsc[KSPAWN_STAMP_IOCTL],
				     st.boot_tsc[KSPAWN_STAMP_APP_MAIN],
				     st.tsc_khz);
	return 0;
}

/* Whether cpu is in the module's pool and no instance holds it. */
static int pooled_free(int fd, int cpu)
{
	static struct ctl_cpus c;

	if (cpu < 0 || cpu >= CTL_MAX_CPUS || dev_cpus(fd, &c))
		return 0;
	return c.pooled[cpu] && !c.busy[cpu];
}

/*
 * The module scrubs a stopped guest's memory after the stop returns, on
 * a Linux CPU; reading its counters waits for that, so that the next
 * measurement (fork+exec's, say) does not share the CPU with it.
 */
static void settle_pool(void)
{
	char buf[512];
	int fd = open("/sys/class/misc/kspawn/objects", O_RDONLY);

	if (fd < 0)
		return;
	if (read(fd, buf, sizeof(buf)) < 0)
		perror("spawnbench: objects");
	close(fd);
}

/* The image read and checked once, as a spawning program keeps it. */
static struct image img;
static uint64_t img_mem;

static int bench_reserved(const char *image, const char *cpu,
			  const char *cmdline, struct times *t)
{
	struct ctl_spawn req = { .cpu = atoi(cpu), .cmdline = cmdline };
	uint64_t t0, s0, s1;
	struct ctl_status st;
	int fd, rc, at_start, stop_err;
	uint32_t id;

	if (!img.data && image_load(&img, image, &img_mem)) {
		fprintf(stderr, "spawnbench: %s: %s\n", image, img.error);
		return 1;
	}
	rc = dev_open(KSPAWN_DEVICE, &fd);
	if (!rc && !pooled_free(fd, req.cpu)) {
		fprintf(stderr, "spawnbench: CPU %s is not free in the pool (kspawnctl reserve %s)\n",
			cpu, cpu);
		close(fd);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "spawnbench: %s: %s\n", KSPAWN_DEVICE,
			strerror(-rc));
		return 1;
	}
	req.image = img.data;
	req.image_size = img.size;
	req.mem = img_mem;
	t0 = __rdtsc();
	rc = dev_spawn(fd, &req, &id, &at_start, &stop_err);
	if (rc) {
		fprintf(stderr, "spawnbench: spawn ioctl failed: %s%s\n",
			strerror(-rc), stop_err ?
			" (and the instance could not be stopped)" : "");
		close(fd);
		return 1;
	}
	if (wait_main(fd, id, &st) ||
	    st.boot_tsc[KSPAWN_STAMP_APP_MAIN] < t0) {
		fprintf(stderr, "spawnbench: guest %u never reached main\n", id);
		dev_stop(fd, id, 1);
		close(fd);
		return 1;
	}
	s0 = now_ns();
	rc = dev_stop(fd, id, 0);
	s1 = now_ns();
	/* The stop ioctl returns with the core parked: ready for the next. */
	if (rc || !pooled_free(fd, req.cpu)) {
		fprintf(stderr, "spawnbench: stop failed or CPU %s not free in the pool\n",
			cpu);
		close(fd);
		return 1;
	}
	close(fd);
	settle_pool();
	t->to_main_us = tsc_us(t0, st.boot_tsc[KSPAWN_STAMP_APP_MAIN],
			       st.tsc_khz);
	t->stop_us = (double)(s1 - s0) / 1000.0;
	t->ioctl_to_main_us = stage_us(&st, KSPAWN_STAMP_IOCTL,
				       KSPAWN_STAMP_APP_MAIN);
	t->kmain_to_main_us = stage_us(&st, KSPAWN_STAMP_KMAIN,
				       KSPAWN_STAMP_APP_MAIN);
	/* The stages before: copy in, load and INIT, the core's way to kmain. */
	t->to_ioctl_us = tsc_us(t0, st.boot_tsc[KSPAWN_STAMP_IOCTL],
				st.tsc_khz);
	t->ioctl_to_sipi_us = stage_us(&st, KSPAWN_STAMP_IOCTL,
				       KSPAWN_STAMP_SIPI);
	t->sipi_to_kmain_us = stage_us(&st, KSPAWN_STAMP_SIPI,
				       KSPAWN_STAMP_KMAIN);
	return 0;
}

/* The child: say when main() began, then wait to be killed. */
static int child(int fd)
{
	uint64_t t = now_ns();

	if (write(fd, &t, sizeof(t)) != sizeof(t))
		return 1;
	for (;;)
		pause();
}

static int bench_fork(const char *self, struct times *t)
{
	uint64_t t0, t_main = 0, s0, s1;
	char fd_s[16];
	int fd[2], status;
	pid_t pid;

	if (pipe(fd))
		return 1;
	snprintf(fd_s, sizeof(fd_s), "%d", fd[1]);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		execl(self, self, "child", fd_s, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	if (read(fd[0], &t_main, sizeof(t_main)) != sizeof(t_main)) {
		fprintf(stderr, "spawnbench: the child never reached main\n");
		return 1;
	}
	s0 = now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	s1 = now_ns();
	t->to_main_us = (double)(t_main - t0) / 1000.0;
	t->stop_us = (double)(s1 - s0) / 1000.0;
	t->ioctl_to_main_us = 0;
	return 0;
}

/* The warm-up's start and stop, then the measured one. */
static int warm_and_measure(int argc, char **argv, struct times *t)
{
	for (int i = 0; i < 2; i++) {
		const char *cpu = hb_opt(argc, argv, 3, "cpu", "1");
		const char *cmdline = hb_opt(argc, argv, 3, "cmdline", "spin");
		int err;

		memset(t, 0, sizeof(*t));
		if (!strcmp(argv[1], "fork"))
			err = bench_fork("/proc/self/exe", t);
		else if (!strcmp(argv[1], "reserved"))
			err = bench_reserved(argv[2], cpu, cmdline, t);
		else
			err = bench_kspawn(argv[2], cpu, cmdline, t);

		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct times t;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(atoi(argv[2]));
	if ((argc < 3 || (strcmp(argv[1], "kspawn") &&
			  strcmp(argv[1], "reserved"))) &&
	    (argc != 2 || strcmp(argv[1], "fork"))) {
		fprintf(stderr, "usage: spawnbench kspawn IMAGE [cpu=N] [cmdline=STR]\n"
				"       spawnbench reserved IMAGE [cpu=N] [cmdline=STR]\n"
				"       spawnbench fork\n");
		return 2;
	}
	if (warm_and_measure(argc, argv, &t))
		return 1;
	printf("spawn_to_main_us %.1f us\n", t.to_main_us);
	printf("stop_us %.1f us\n", t.stop_us);
	if (t.ioctl_to_main_us)
		printf("ioctl_to_main_us %.1f us\n", t.ioctl_to_main_us);
	if (t.kmain_to_main_us)
		printf("kmain_to_main_us %.1f us\n", t.kmain_to_main_us);
	if (t.to_ioctl_us) {
		printf("to_ioctl_us %.1f us\n", t.to_ioctl_us);
		printf("ioctl_to_sipi_us %.1f us\n", t.ioctl_to_sipi_us);
		printf("sipi_to_kmain_us %.1f us\n", t.sipi_to_kmain_us);
	}
	printf("warmup 1 spawns\n");
	return 0;
}
