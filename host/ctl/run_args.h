/* kspawnctl run's command line (run_args.c), for cmd_run.c. */
#ifndef KSPAWNCTL_RUN_ARGS_H
#define KSPAWNCTL_RUN_ARGS_H

#include <stdint.h>

#include "abi/kspawn_abi.h"

struct run_args {
	const char *image;
	int cpu;
	unsigned int ncpus;		/* --cpus: more than one */
	uint32_t cpus[KSPAWN_MAX_CPUS];
	const char *cpus_arg;		/* as given, for the messages */
	uint64_t mem;
	const char *mem_arg;		/* as given, for the messages */
	const char *cmdline;
	const char *app;		/* the app --cmdline names */
	int no_verify;
	uint64_t ramdisk;
	const char *ramdisk_arg;
	const char *disk;
	int writeback;
	int net;
	int doorbell_cpu;		/* -1: the module's choice */
	int cpu_given, cpus_given, cache_given;	/* --cpu, --cpus, --cache */
};

/*
 * Parse "run IMAGE OPTIONS...", with the checks that need no device (the
 * sizes no guest can have, the doorbell on the guest's own CPU): 0, -1
 * with the reason said, or 1 after printing run's help (-h, --help).
 */
int run_parse_args(struct run_args *a, int argc, char **argv);

#endif
