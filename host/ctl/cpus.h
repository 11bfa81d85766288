/* Which CPUs Linux has online and which the module pooled, to check one
 * and to explain refusals; CPU lists as in sysfs ("2-3,5"). */
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
 * Check that cpu, asked for by --cpu or --cpus, can take a guest: free
 * if reserved, else not another instance's, present, online, not CPU 0
 * nor the last online one, no doorbell there.  Prints why not and returns
 * an exit status.  Without either option the module chooses, atomically
 * (KSPAWN_LOAD_CPU_ANY): two runs at once cannot pick the same CPU.
 */
int cpus_check(const struct ctl_cpus *pool, int cpu);

/*
 * The module found no CPU to give a guest: say why, as sysfs and the
 * pool tell; EXIT_RESOURCE.
 */
int cpus_none_to_spare(const struct ctl_cpus *pool);

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

/*
 * CPU numbers: 0 to CTL_MAX_CPUS - 1, for every command and option
 * (--cpu, --cpus, --doorbell-cpu, reserve, release) alike.
 */
#define CPUS_TOO_BIG (-2)

/* Parse "2-3,5" into set[CTL_MAX_CPUS]; the number of CPUs, or -1. */
int cpus_parse(const char *list, unsigned char *set);
/*
 * The same, but a CPU list with a CPU over the limit is told apart from
 * no CPU list (-1): CPUS_TOO_BIG, with *big (if not NULL) at the first
 * such CPU's digits, for cpus_say_too_big().
 */
int cpus_parse_big(const char *list, unsigned char *set, const char **big);
/* One CPU number: it, -1 if malformed, or CPUS_TOO_BIG as above. */
int cpus_number(const char *s, const char **big);
/* "WHAT: CPU N is out of range (at most M)", N the digits at big. */
void cpus_say_too_big(const char *what, const char *big);

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
