/*
 * CPU checks from sysfs, before asking the module: the module refuses the
 * same things, but here the message can say which CPUs there are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "cpus.h"

#define MAX_CPUS 4096

/* Parse a sysfs CPU list ("0-3,5") into set[]; the number of CPUs, or -1. */
static int read_cpulist(const char *path, unsigned char *set)
{
	char buf[4096], *p = buf;
	int n = 0;
	FILE *f = fopen(path, "r");

	memset(set, 0, MAX_CPUS);
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	while (*p && *p != '\n') {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -1;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (long c = lo; c <= hi && c >= 0 && c < MAX_CPUS; c++) {
			n += !set[c];
			set[c] = 1;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

int cpus_choose(int *cpu)
{
	static unsigned char online[MAX_CPUS], present[MAX_CPUS];
	int nonline = read_cpulist("/sys/devices/system/cpu/online", online);
	int npresent = read_cpulist("/sys/devices/system/cpu/present",
				    present);

	if (nonline < 0 || npresent < 0)
		return EXIT_OK;	/* no sysfs: leave it to the module */
	if (*cpu < 0) {
		for (int c = MAX_CPUS - 1; c > 0; c--)
			if (online[c] && nonline > 1) {
				*cpu = c;
				return EXIT_OK;
			}
		err_msg("run: no CPU to spare: %d online, and CPU 0 and the last online CPU stay with Linux",
			nonline);
		return EXIT_RESOURCE;
	}
	if (*cpu >= MAX_CPUS || !present[*cpu]) {
		err_msg("run: there is no CPU %d (this machine has %d)", *cpu,
			npresent);
		return EXIT_RESOURCE;
	}
	if (*cpu == 0) {
		err_msg("run: CPU 0 stays with Linux (it handles what only CPU 0 can); pick another with --cpu");
		return EXIT_RESOURCE;
	}
	if (!online[*cpu]) {
		err_msg("run: CPU %d is busy: it is offline, held by another instance or taken down by an administrator",
			*cpu);
		return EXIT_RESOURCE;
	}
	if (nonline < 2) {
		err_msg("run: CPU %d is the last online CPU: Linux needs one", *cpu);
		return EXIT_RESOURCE;
	}
	return EXIT_OK;
}
