#include <string.h>

#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/cpu.h"

struct cpuinfo boot_cpu;

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
	while (s[i] == ' ')
		i++;
	memmove(s, s + i, n - i + 1);
}

void cpuinfo_init(void)
{
	uint32_t r[4];
	uint32_t max_ext;

	cpuid(0, 0, r);
	memcpy(boot_cpu.vendor, &r[1], 4);
	memcpy(boot_cpu.vendor + 4, &r[3], 4);
	memcpy(boot_cpu.vendor + 8, &r[2], 4);

	cpuid(1, 0, r);
	boot_cpu.stepping = r[0] & 0xf;
	boot_cpu.model = (r[0] >> 4) & 0xf;
	boot_cpu.family = (r[0] >> 8) & 0xf;
	if (boot_cpu.family == 0xf)
		boot_cpu.family += (r[0] >> 20) & 0xff;
	if (boot_cpu.family >= 6)
		boot_cpu.model |= ((r[0] >> 16) & 0xf) << 4;
	boot_cpu.has_x2apic = (r[2] >> 21) & 1;
	boot_cpu.has_monitor = (r[2] >> 3) & 1;
	boot_cpu.has_tsc_deadline = (r[2] >> 24) & 1;
	boot_cpu.has_xsave = (r[2] >> 26) & 1;

	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		boot_cpu.has_nx = (r[3] >> 20) & 1;
	}
	if (max_ext >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			cpuid(0x80000002 + i, 0, r);
			memcpy(boot_cpu.brand + 16 * i, r, 16);
		}
		trim(boot_cpu.brand);
	}
	if (max_ext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		boot_cpu.has_invariant_tsc = (r[3] >> 8) & 1;
	}
}
