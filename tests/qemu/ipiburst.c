// SPDX-License-Identifier: GPL-2.0
/*
 * ipiburst [count=N]: make the host kernel send up to N
 * CALL_FUNCTION IPIs to "all but itself", without patching any code.
 *
 * A thread of this process spins in user space on every online CPU but
 * one; the caller, pinned to that one, issues private expedited
 * membarriers.  Each must run a function on every other CPU that is
 * running this mm, which is then every other online CPU, and for such a
 * mask Linux uses its IPI shorthand (unless booted no_ipi_broadcast=1).
 * The broadcast also reaches a core the host lent to a guest.
 *
 * Why not switch a tracepoint (the first version of qemu/host-broadcast):
 * that patches kernel text with INT3, and under QEMU 7.2's TCG a CPU was
 * seen looping in the INT3 handler of the patched site with interrupts
 * off, hanging the whole boot.  A membarrier moves no code.
 *
 * A spinner preempted by another task is not running this mm at that
 * moment, and that one call is no broadcast: the case asks for far fewer
 * broadcasts than calls.  Prints "membarriers N from CPU C, spinners on K CPUs"; exit 1 on error,
 * also when it cannot have a thread on every other online CPU.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SPINNERS 64

static atomic_int stop;
static atomic_int running;

struct spinner {
	pthread_t thread;
	int cpu;
};

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *spin(void *arg)
{
	struct spinner *s = arg;

	if (pin(s->cpu)) {
		perror("ipiburst: sched_setaffinity (spinner)");
		_exit(1);
	}
	atomic_fetch_add(&running, 1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		__builtin_ia32_pause();
	return NULL;
}

static int membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, -1);
}

/* A positive number after PREFIX in ARG, whole; 0 if not. */
static long arg_num(const char *arg, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long v;

	if (strncmp(arg, prefix, n))
		return 0;
	v = strtol(arg + n, &end, 10);
	return *end || v <= 0 ? 0 : v;
}

int main(int argc, char **argv)
{
	static struct spinner spinners[MAX_SPINNERS];
	long count = 200, done = 0, online_cpus;
	int caller = -1, n = 0;
	cpu_set_t online;

	for (int i = 1; i < argc; i++) {
		if (arg_num(argv[i], "count=")) {
			count = arg_num(argv[i], "count=");
		} else {
			fprintf(stderr, "usage: ipiburst [count=N]\n");
			return 2;
		}
	}
	/*
	 * Allowed everywhere, the kernel leaves us the online CPUs of our
	 * cpuset; it must be all of them, or no call is a broadcast.
	 */
	CPU_ZERO(&online);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &online);
	if (sched_setaffinity(0, sizeof(online), &online) ||
	    sched_getaffinity(0, sizeof(online), &online)) {
		perror("ipiburst: sched_{set,get}affinity");
		return 1;
	}
	online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (CPU_COUNT(&online) != online_cpus ||
	    online_cpus > MAX_SPINNERS + 1) {
		fprintf(stderr,
			"ipiburst: may run on %d of the %ld online CPUs (at most %d): no call would reach them all\n",
			CPU_COUNT(&online), online_cpus, MAX_SPINNERS + 1);
		return 1;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		if (caller < 0)
			caller = cpu;
		else
			spinners[n++].cpu = cpu;
	}
	if (n < 2) {
		fprintf(stderr,
			"ipiburst: needs 3 online CPUs (a caller and 2 spinners), have %d\n",
			n + 1);
		return 1;
	}
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)) {
		perror("ipiburst: membarrier register");
		return 1;
	}
	if (pin(caller)) {
		perror("ipiburst: sched_setaffinity (caller)");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&spinners[i].thread, NULL, spin, &spinners[i])) {
			fprintf(stderr, "ipiburst: cannot start a spinner\n");
			return 1;
		}
	}
	while (atomic_load(&running) < n)
		sched_yield();

	for (long i = 0; i < count; i++) {
		if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
			perror("ipiburst: membarrier");
			break;
		}
		done++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(spinners[i].thread, NULL);
	printf("membarriers %ld from CPU %d, spinners on %d CPUs\n", done,
	       caller, n);
	return done == count ? 0 : 1;
}
