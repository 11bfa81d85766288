/* kspawnctl reserve CPULIST / kspawnctl release CPULIST: the core pool. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* The module's EINVAL: CPU 0, or a CPU Linux does not have. */
static int not_for_guests(const char *cmd, int cpu, int reserve)
{
	char list[CTL_CPULIST_MAX];

	if (cpu == 0)
		err_msg("%s: CPU 0 stays with Linux (it handles what only CPU 0 can)",
			cmd);
	else if (cpus_present(cpu, list, sizeof(list)) == 0)
		err_msg("%s: there is no CPU %d (this machine's CPUs: %s)", cmd,
			cpu, list);
	else
		err_msg("%s: CPU %d cannot be %s: the module says it is not a CPU a guest may have",
			cmd, cpu, reserve ? "reserved" : "released");
	return EXIT_RESOURCE;
}

/*
 * The module's answer to one CPU's reserve or release, said.  *about_cpu
 * cleared when it is not about this CPU (not the device, another
 * version): the next CPUs would only get the same message.
 */
static int answer(const char *cmd, int cpu, int reserve, int e,
		  int *about_cpu)
{
	switch (-e) {
	case 0:
		return EXIT_OK;
	case EALREADY:	/* nothing to do fails, both ways */
		err_msg("%s: CPU %d is in the pool already", cmd, cpu);
		return EXIT_FAIL;
	case ENOENT:
		err_msg("%s: CPU %d is not in the pool", cmd, cpu);
		return EXIT_FAIL;
	case EBUSY:
		/* A pooled CPU is offline and takes no doorbell: not those. */
		if (reserve)
			err_msg("%s: CPU %d is busy: an instance holds it or has its doorbell there, another kspawnctl is reserving or releasing it, it is offline already or the last online CPU, or Linux would not take it offline",
				cmd, cpu);
		else
			err_msg("%s: CPU %d is busy: an instance holds it (stop it first: kspawnctl list), another kspawnctl is reserving or releasing it, or Linux would not bring it online",
				cmd, cpu);
		return EXIT_RESOURCE;
	case EINVAL:
		return not_for_guests(cmd, cpu, reserve);
	default:
		*about_cpu = 0;
		return ctl_fail_call(cmd, e);
	}
}

/*
 * One CPU's reserve or release; on failure the module's log line after
 * kspawnctl's (which of the reasons it was: cores.c says).
 */
static int one(struct ctl *c, const char *cmd, int cpu, int reserve,
	       int *about_cpu)
{
	struct kmsg_mark log;
	int rc;

	kmsg_mark(&log);
	rc = answer(cmd, cpu, reserve,
		    dev_reserve(c->fd, (uint32_t)cpu, reserve), about_cpu);
	if (rc == EXIT_OK)
		kmsg_forget(&log);
	else
		kmsg_report(&log);
	return rc;
}

/* Reserve or release every CPU of the list; the worst exit status. */
static int pool_cmd(struct ctl *c, int argc, char **argv, int reserve)
{
	const char *cmd = reserve ? "reserve" : "release", *list = NULL, *big;
	static unsigned char set[CTL_MAX_CPUS];
	int n, rc, worst = EXIT_OK, about_cpu = 1, operands = 0;

	if (ctl_help(cmd, argc, argv, NULL))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (ctl_end_of_options(argv[i], &operands))
			continue;
		if (!operands && ctl_is_option(argv[i]))
			return ctl_bad_option(cmd, argv[i]);
		if (list)
			return ctl_usage(cmd, "one CPU list only ('%s' and '%s': %s,%s is both)",
					 list, argv[i], list, argv[i]);
		list = argv[i];
	}
	if (!list)
		return ctl_usage(cmd, "which CPUs? (a list like 2-3,5)");
	n = cpus_parse_big(list, set, &big);
	if (n == CPUS_TOO_BIG) {
		cpus_say_too_big(cmd, big);
		usage(cmd, 1);
		return EXIT_USAGE;
	}
	if (n <= 0)
		return ctl_usage(cmd, "'%s' is not a CPU list (like 2-3,5)",
				 list);
	rc = ctl_open(c);
	if (rc)
		return rc;
	for (int cpu = 0; cpu < CTL_MAX_CPUS && about_cpu; cpu++) {
		if (!set[cpu])
			continue;
		rc = one(c, cmd, cpu, reserve, &about_cpu);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

int cmd_reserve(struct ctl *c, int argc, char **argv)
{
	return pool_cmd(c, argc, argv, 1);
}

int cmd_release(struct ctl *c, int argc, char **argv)
{
	return pool_cmd(c, argc, argv, 0);
}
