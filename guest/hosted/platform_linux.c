#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hosted/platform.h"

#define GUARD 4096UL

int plat_region_map(struct plat_region *r, uint64_t phys_base, uint64_t size)
{
	char *p;

	if (!size || size % GUARD)
		return -EINVAL;
	p = mmap(NULL, size + 2 * GUARD, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (mprotect(p + GUARD, size, PROT_READ | PROT_WRITE)) {
		int err = errno;

		munmap(p, size + 2 * GUARD);
		return -err;
	}
	r->base = p + GUARD;
	r->phys_base = phys_base;
	r->size = size;
	return 0;
}

void plat_region_unmap(struct plat_region *r)
{
	if (r->base)
		munmap((char *)r->base - GUARD, r->size + 2 * GUARD);
	r->base = NULL;
}

void *plat_phys_to_virt(const struct plat_region *r, uint64_t pa, uint64_t len)
{
	if (pa < r->phys_base || pa - r->phys_base > r->size ||
	    len > r->size - (pa - r->phys_base))
		return NULL;
	return (char *)r->base + (pa - r->phys_base);
}

uint64_t plat_virt_to_phys(const struct plat_region *r, const void *va)
{
	const char *p = va, *base = r->base;

	if (p < base || (uint64_t)(p - base) >= r->size)
		return ~0ULL;
	return r->phys_base + (uint64_t)(p - base);
}

uint64_t plat_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void plat_console_write(const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(STDERR_FILENO, s, n);

		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

int plat_pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
