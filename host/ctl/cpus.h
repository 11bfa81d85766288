/* Which CPUs Linux has online and which the module pooled, to pick one and
 * to explain refusals; CPU lists as in sysfs ("2-3,5"). */
#ifndef KSPAWNCTL_CPUS_H
#define KSPAWNCTL_CPUS_H

#include <stddef.h>

#define CTL_MAX_CPUS 1024

struct ctl_cpus {
	unsigned char pooled[CTL_MAX_CPUS];	/* reserved for guests */
	unsigned char busy[CTL_MAX_CPUS];	/* an instance's, or moving */
	unsigned char doorbells[CTL_MAX_CPUS];	/* a guest's doorbell is there */
};

/*
 * With *cpu < 0, choose a free pooled CPU, else the highest online CPU
 * other than CPU 0 that is not the last online one and has no doorbell;
 * otherwise check that *cpu can be used.  Prints why not and returns an
 * exit status.
 */
int cpus_choose(const struct ctl_cpus *pool, int *cpu);

/*
 * Check that cpu can take a new guest's doorbell: present, online, not
 * a guest's nor in the pool.  Prints why not and returns an exit status.
 */
int cpus_check_doorbell(const struct ctl_cpus *pool, int cpu);

/*
 * 1 if Linux has CPU cpu (sysfs: present), 0 if not, -1 if sysfs cannot
 * say; list: the CPUs it has, as "0-3".
 */
int cpus_present(int cpu, char *list, size_t size);

/* Parse "2-3,5" into set[CTL_MAX_CPUS]; the number of CPUs, or -1. */
int cpus_parse(const char *list, unsigned char *set);

/*
 * Room for any set of CTL_MAX_CPUS as a list: every other CPU, or every
 * third paired ("0-1,3-4,..."), is about 3000 characters.
 */
#define CTL_CPULIST_MAX 4096

/*
 * set[] as "2-3,5" ("none" if empty) into buf: whole in CTL_CPULIST_MAX
 * bytes; a list cut short for want of room ends in "...".
 */
void cpus_format(const unsigned char *set, char *buf, size_t size);

#endif
