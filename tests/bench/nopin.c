// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * LD_PRELOAD shim for the bench suite: every attempt to pin a thread is
 * refused, as on a machine (or cpuset) without the CPUs a benchmark
 * needs.  A benchmark must then fail, not measure two threads taking
 * turns on one CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>

int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t *set)
{
	(void)t;
	(void)size;
	(void)set;
	return EINVAL;
}

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set)
{
	(void)pid;
	(void)size;
	(void)set;
	errno = EINVAL;
	return -1;
}
