#ifndef ARCH_X86_64_CPUINFO_H
#define ARCH_X86_64_CPUINFO_H

struct cpuinfo {
	char vendor[13];
	char brand[49];
	unsigned int family, model, stepping;
	int has_x2apic;
	int has_monitor;
	int has_tsc_deadline;
	int has_invariant_tsc;
	int has_xsave;
	int has_nx;
};

extern struct cpuinfo boot_cpu;

void cpuinfo_init(void);

#endif
