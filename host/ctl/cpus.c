/*
 * CPU checks from sysfs and the module's pool, before asking the module
 * to spawn: the module refuses the same things, but here the message can
 * say which CPUs there are.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "cpus.h"

#define MAX_CPUS CTL_MAX_CPUS

/*
 * The CPU number at *p, *p past its digits: 0; -1 if none; CPUS_TOO_BIG
 * if over MAX_CPUS - 1, however many digits it has (*big then at them,
 * unless set already: the first is said).
 */
static int number(const char **p, long *v, const char **big)
{
	const char *s = *p;
	unsigned long u;

	if (!ctl_parse_digits(p, MAX_CPUS - 1, &u)) {
		*v = (long)u;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)**p))
		(*p)++;
	if (!*big)
		*big = s;
	return CPUS_TOO_BIG;
}

int cpus_parse_big(const char *p, unsigned char *set, const char **big)
{
	const char *first_big = NULL;
	int n = 0;

	memset(set, 0, MAX_CPUS);
	for (;;) {
		long lo = 0, hi;
		int r = number(&p, &lo, &first_big), r2 = 0;

		if (r == -1)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			r2 = number(&p, &hi, &first_big);
			if (r2 == -1 || (!r && !r2 && hi < lo))
				return -1;
		}
		/* Past one too big, the rest is only read, for its syntax. */
		for (long c = lo; !first_big && c <= hi; c++) {
			n += !set[c];
			set[c] = 1;
		}
		if (*p != ',')
			break;
		p++;		/* a number must follow */
	}
	/* sysfs ends its lists with a newline */
	if (*p && strcmp(p, "\n"))
		return -1;
	if (first_big) {
		if (big)
			*big = first_big;
		return CPUS_TOO_BIG;
	}
	return n;
}

int cpus_parse(const char *p, unsigned char *set)
{
	return cpus_parse_big(p, set, NULL);
}

int cpus_number(const char *s, const char **big)
{
	const char *p = s, *first_big = NULL;
	long v;
	int r = number(&p, &v, &first_big);

	if (r == -1 || *p)
		return -1;
	if (r == CPUS_TOO_BIG) {
		if (big)
			*big = first_big;
		return CPUS_TOO_BIG;
	}
	return (int)v;
}

void cpus_say_too_big(const char *what, const char *big)
{
	err_msg("%s: CPU %.*s is out of range (at most %d)", what,
		(int)strspn(big, "0123456789"), big, MAX_CPUS - 1);
}

/* The len bytes of whole items in buf, then ",...", within size. */
static void cut_short(char *buf, size_t len, size_t size)
{
	while (len && len + sizeof(",...") > size) {
		while (len && buf[len - 1] != ',')
			len--;		/* back to the last item's comma */
		len -= len > 0;
	}
	snprintf(buf + len, size - len, "%s...", len ? "," : "");
}

void cpus_format(const unsigned char *set, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int c = 0; c < MAX_CPUS; c++) {
		char item[32];
		size_t n;
		int hi = c;

		if (!set[c])
			continue;
		while (hi + 1 < MAX_CPUS && set[hi + 1])
			hi++;
		n = (size_t)(hi > c ?
			snprintf(item, sizeof(item), "%s%d-%d", len ? "," : "", c, hi) :
			snprintf(item, sizeof(item), "%s%d", len ? "," : "", c));
		if (len + n >= size) {
			cut_short(buf, len, size);
			return;
		}
		memcpy(buf + len, item, n + 1);
		len += n;
		c = hi;
	}
	if (!len)
		snprintf(buf, size, "none");
}

/* A sysfs CPU list file; the number of CPUs, or -1. */
static int read_cpulist(const char *path, unsigned char *set)
{
	char buf[4096];
	FILE *f = fopen(path, "r");

	memset(set, 0, MAX_CPUS);
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return cpus_parse(buf, set);
}

/* A reserved CPU: free, or held by an instance. */
static int pooled_ok(const struct ctl_cpus *pool, int cpu)
{
	if (!pool->busy[cpu])
		return EXIT_OK;
	err_msg("run: CPU %d is busy: another instance holds it, or it is being reserved or released (kspawnctl list)",
		cpu);
	return EXIT_RESOURCE;
}

/* Linux's online and present CPUs, and how many; counts -1 without sysfs. */
static unsigned char online[MAX_CPUS], present[MAX_CPUS];
static int nonline, npresent;

static void read_sysfs(void)
{
	nonline = read_cpulist("/sys/devices/system/cpu/online", online);
	npresent = read_cpulist("/sys/devices/system/cpu/present", present);
}

/*
 * The CPUs the machine has, as a list for a message on one it lacks, as
 * reserve says it: a count ("has 2") beside "no CPU 2" reads as CPUs 1
 * and 2, and hides gaps.
 */
static char absent_list[CTL_CPULIST_MAX];

static const char *present_list(void)
{
	cpus_format(present, absent_list, sizeof(absent_list));
	return absent_list;
}

int cpus_check(const struct ctl_cpus *pool, int cpu)
{
	read_sysfs();

	if (cpu < MAX_CPUS && pool->pooled[cpu])
		return pooled_ok(pool, cpu);
	/* Claimed by an instance loaded but not yet started: still online. */
	if (cpu < MAX_CPUS && pool->busy[cpu]) {
		err_msg("run: CPU %d is busy: another instance holds it (loaded or running), or it is being reserved or released (kspawnctl list)",
			cpu);
		return EXIT_RESOURCE;
	}
	if (nonline < 0 || npresent < 0)
		return EXIT_OK;	/* no sysfs: leave it to the module */
	if (cpu >= MAX_CPUS || !present[cpu]) {
		err_msg("run: there is no CPU %d (this machine's CPUs: %s)",
			cpu, present_list());
		return EXIT_RESOURCE;
	}
	if (cpu == 0) {
		err_msg("run: CPU 0 stays with Linux (it handles what only CPU 0 can); pick another with --cpu");
		return EXIT_RESOURCE;
	}
	if (!online[cpu]) {
		err_msg("run: CPU %d is busy: it is offline, held by another instance or taken down by an administrator",
			cpu);
		return EXIT_RESOURCE;
	}
	if (nonline < 2) {
		err_msg("run: CPU %d is the last online CPU: Linux needs one", cpu);
		return EXIT_RESOURCE;
	}
	if (pool->doorbells[cpu]) {
		err_msg("run: CPU %d takes a guest's doorbell (--doorbell-cpu): it stays with Linux until that guest stops",
			cpu);
		return EXIT_RESOURCE;
	}
	return EXIT_OK;
}

/*
 * Which CPUs, as lists: the pool's all taken; Linux's online ones, none
 * of which can go; and those instances hold, a halted guest's too: the
 * way to a CPU is most often a stop.
 */
int cpus_none_to_spare(const struct ctl_cpus *pool)
{
	static char pooled[CTL_CPULIST_MAX], on[CTL_CPULIST_MAX],
		busy[CTL_CPULIST_MAX], pool_part[CTL_CPULIST_MAX + 40];
	int any_pooled = 0, any_held = 0;

	read_sysfs();
	for (int c = 0; c < MAX_CPUS; c++) {
		any_pooled |= pool->pooled[c];
		any_held |= pool->busy[c];
	}
	cpus_format(pool->pooled, pooled, sizeof(pooled));
	snprintf(pool_part, sizeof(pool_part),
		 "the reserved CPUs (%s) are all taken, and ", pooled);
	/* Without sysfs, the module's word alone. */
	if (nonline < 0)
		on[0] = 0;
	else
		cpus_format(online, on, sizeof(on));
	cpus_format(pool->busy, busy, sizeof(busy));
	err_msg("run: no CPU to spare: %snone of Linux's online CPUs %s%s%scan go (CPU 0, the last online CPU and one taking a guest's doorbell stay with Linux)%s%s%s",
		any_pooled ? pool_part : "", on[0] ? "(" : "", on,
		on[0] ? ") " : "",
		any_held ? "; CPUs held by instances: " : "",
		any_held ? busy : "",
		any_held ? " (kspawnctl list; kspawnctl stop ID frees one)" :
			   " (kspawnctl list)");
	return EXIT_RESOURCE;
}

int cpus_check_doorbell(const struct ctl_cpus *pool, int cpu)
{
	read_sysfs();

	if (cpu < MAX_CPUS && (pool->pooled[cpu] || pool->busy[cpu])) {
		err_msg("run: --doorbell-cpu %d: the CPU is %s; the doorbell needs one Linux keeps",
			cpu, pool->busy[cpu] ? "an instance's, or on its way into or out of the pool" :
			"reserved for guests (kspawnctl release it first)");
		return EXIT_RESOURCE;
	}
	if (nonline < 0 || npresent < 0)
		return EXIT_OK;	/* no sysfs: leave it to the module */
	if (cpu >= MAX_CPUS || !present[cpu]) {
		err_msg("run: --doorbell-cpu %d: there is no such CPU (this machine's CPUs: %s)",
			cpu, present_list());
		return EXIT_RESOURCE;
	}
	if (!online[cpu]) {
		err_msg("run: --doorbell-cpu %d: the CPU is offline", cpu);
		return EXIT_RESOURCE;
	}
	return EXIT_OK;
}

int cpus_present(int cpu, char *list, size_t size)
{
	read_sysfs();
	if (npresent < 0)
		return -1;
	cpus_format(present, list, size);
	return cpu >= 0 && cpu < MAX_CPUS && present[cpu];
}
