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
 *   spawnbench fork
 *	fork + exec of this static binary; microseconds from fork to the
 *	child's main(), then from kill(SIGKILL) to waitpid() returning.
 *
 * Prints "spawn_to_main_us X us" and "stop_us X us" (the harness's metric
 * lines) and nothing else on stdout.
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

#include "host/ctl/device.h"

#define POLL_LIMIT_NS (30ULL * 1000000000ULL)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *opt(int argc, char **argv, const char *key,
		       const char *def)
{
	size_t n = strlen(key);

	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return def;
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

/* The guest's app-main TSC stamp, once it is there (0 on timeout). */
static uint64_t wait_main_tsc(int fd, uint32_t id, uint64_t *khz)
{
	uint64_t end = now_ns() + POLL_LIMIT_NS;
	struct ctl_status st;

	while (now_ns() < end) {
		if (dev_status(fd, id, &st))
			return 0;
		*khz = st.tsc_khz;
		if (st.boot_tsc[KSPAWN_STAMP_APP_MAIN])
			return st.boot_tsc[KSPAWN_STAMP_APP_MAIN];
	}
	return 0;
}

static int bench_kspawn(const char *image, const char *cpu,
			const char *cmdline)
{
	char *run[] = { "kspawnctl", "run", (char *)image, "--cpu",
			(char *)cpu, "--cmdline", (char *)cmdline, NULL };
	char out[64], id_s[16];
	char *stop[] = { "kspawnctl", "stop", id_s, NULL };
	uint64_t t0, main_tsc, khz = 0, s0, s1;
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
	main_tsc = wait_main_tsc(fd, id, &khz);
	snprintf(id_s, sizeof(id_s), "%u", id);
	if (!main_tsc || !khz || main_tsc < t0) {
		fprintf(stderr, "spawnbench: guest %u never reached main\n", id);
		run_capture(stop, out, sizeof(out));
		return 1;
	}
	s0 = now_ns();
	rc = run_capture(stop, out, sizeof(out));
	while (!rc && cpu_online(atoi(cpu)) != 1 && now_ns() - s0 < POLL_LIMIT_NS)
		;
	s1 = now_ns();
	close(fd);
	if (rc || cpu_online(atoi(cpu)) != 1) {
		fprintf(stderr, "spawnbench: stop failed or CPU %s offline\n",
			cpu);
		return 1;
	}
	printf("spawn_to_main_us %.1f us\n", (double)(main_tsc - t0) * 1000.0 /
	       (double)khz);
	printf("stop_us %.1f us\n", (double)(s1 - s0) / 1000.0);
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

static int bench_fork(const char *self)
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
	printf("spawn_to_main_us %.1f us\n", (double)(t_main - t0) / 1000.0);
	printf("stop_us %.1f us\n", (double)(s1 - s0) / 1000.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "kspawn"))
		return bench_kspawn(argv[2], opt(argc, argv, "cpu", "1"),
				    opt(argc, argv, "cmdline", "spin"));
	if (argc == 2 && !strcmp(argv[1], "fork"))
		return bench_fork("/proc/self/exe");
	fprintf(stderr, "usage: spawnbench kspawn IMAGE [cpu=N] [cmdline=STR]\n"
			"       spawnbench fork\n");
	return 2;
}
