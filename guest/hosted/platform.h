/*
 * The platform interface: what the portable parts of the guest (guest/lib,
 * guest/gdbstub, and the virtio drivers) may ask of whatever runs them.
 * Two implementations: the guest kernel itself, and platform_linux.c,
 * which runs them as an ordinary Linux program (tests, fuzzing, benchmarks)
 * over a region laid out as the ABI says.
 */
#ifndef HOSTED_PLATFORM_H
#define HOSTED_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "abi/kspawn_abi.h"

struct plat_region {
	void *base;		/* where the region is mapped here */
	uint64_t phys_base;	/* the guest physical address it stands for */
	uint64_t size;
};

/*
 * Map a region of size bytes standing for guest physical phys_base, with an
 * inaccessible guard page on each side so that any access outside it
 * faults.  Returns 0 or -errno.
 */
int plat_region_map(struct plat_region *r, uint64_t phys_base, uint64_t size);
void plat_region_unmap(struct plat_region *r);

/* Guest physical <-> local pointer; NULL / ~0 if outside the region. */
void *plat_phys_to_virt(const struct plat_region *r, uint64_t pa, uint64_t len);
uint64_t plat_virt_to_phys(const struct plat_region *r, const void *va);

/* Monotonic nanoseconds. */
uint64_t plat_time_ns(void);

/* Console output of the portable code. */
void plat_console_write(const char *s, size_t n);

/* Pin the calling thread to one CPU (benchmarks, two-thread tests). */
int plat_pin_to_cpu(int cpu);

#endif
