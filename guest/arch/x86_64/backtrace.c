#include "arch/x86_64/backtrace.h"
#include "kern/console.h"
#include "kern/ksyms.h"
#include "kern/mm.h"
#include "kern/shared.h"

#define MAX_FRAMES 32

/* A return address points after the call: name the call's function. */
static void print_frame(int n, uint64_t addr, int is_return)
{
	uint64_t off;
	const char *name = ksym_lookup(addr - (is_return ? 1 : 0), &off);

	off += is_return ? 1 : 0;

	if (name)
		kprintf("  #%-2d 0x%016llx %s+0x%llx\n", n,
			(unsigned long long)addr, name,
			(unsigned long long)off);
	else
		kprintf("  #%-2d 0x%016llx ?\n", n, (unsigned long long)addr);
}

/* A frame record (saved rbp, return address) we may safely read. */
static int frame_ok(uint64_t rbp)
{
	uint64_t lo = KSPAWN_VA_REGION;
	uint64_t hi = KSPAWN_VA_REGION + kspawn_hdr->region_size;

	if (rbp & 7 || rbp < lo || rbp + 16 > hi)
		return 0;
	return !mm_is_guard_page(rbp) && !mm_is_guard_page(rbp + 15);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	int n = 0;

	kprintf("backtrace:\n");
	print_frame(n++, rip, 0);
	while (n < MAX_FRAMES && frame_ok(rbp)) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];

		if (!ret)
			break;
		print_frame(n++, ret, 1);
		if (frame[0] <= rbp)		/* stacks grow down */
			break;
		rbp = frame[0];
	}
}
