/*
 * kspawnctl's view of /dev/kspawn: the only file that knows the module's
 * ioctl structures (abi/kspawn_ioctl.h).  The commands use these
 * plain structures instead.
 */
#ifndef KSPAWNCTL_DEVICE_H
#define KSPAWNCTL_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "abi/kspawn_abi.h"
#include "cpus.h"

#define KSPAWN_DEVICE "/dev/kspawn"
/* The load request's room for a --disk path, its NUL included. */
#define CTL_DISK_PATH_MAX 256

/* The module's own view of an instance (not the guest's state record). */
enum ctl_host_state {
	CTL_HOST_UNKNOWN = 0,
	CTL_HOST_LOADED,	/* image in memory, not started */
	CTL_HOST_STARTING,	/* SIPIs sent, guest not yet running */
	CTL_HOST_RUNNING,	/* guest alive (see the guest state) */
	CTL_HOST_STOPPING,
	CTL_HOST_DEAD,		/* its core could not be given back */
};

/*
 * How a stop found a guest, said by a console read of what the module
 * kept of it (its last words) after another process stopped it.
 */
enum ctl_gone {
	CTL_GONE_NO = 0,	/* the instance is there (or the module is old) */
	CTL_GONE_RUNNING,	/* booting or running */
	CTL_GONE_HALTED,	/* it had halted on its own */
	CTL_GONE_PANICKED,
	CTL_GONE_HUNG,		/* its heartbeat had stopped */
	CTL_GONE_DEAD,		/* a stop before could not take its core */
};

struct ctl_status {
	uint32_t id;
	uint32_t cpu;
	uint32_t apic_id;
	uint32_t ncpus;			/* the guest's CPUs, cpus[0] = cpu */
	uint32_t cpus[KSPAWN_MAX_CPUS];
	enum ctl_host_state host_state;
	uint32_t guest_state;		/* enum kspawn_guest_state */
	int hung;			/* heartbeat stopped */
	uint32_t exit_code;
	uint64_t region_base, region_size;
	uint64_t shared_base, shared_size;
	uint64_t heartbeat;
	uint64_t heartbeat_age_ms;	/* since it last changed; ~0 unknown */
	uint64_t tsc_khz;
	uint64_t boot_tsc[KSPAWN_STAMP_COUNT];
	uint64_t console_dropped;
	char cmdline[KSPAWN_CMDLINE_MAX];
	struct kspawn_panic panic;	/* valid when guest_state is PANICKED */
	int doorbell_cpu;		/* -1: no doorbell, the host polls */
	uint32_t doorbell_vector;
	uint64_t stray_irqs;		/* interrupts the guest did not ask for */
	uint32_t stray_vector;		/* the last one's */
	int stray_host_broadcast;	/* the module says: its IPI broadcasts */
};

struct ctl_version {
	uint32_t abi_major, abi_minor;	/* ABI the module speaks */
	uint32_t ioctl_version;
	uint32_t max_instances;		/* the module's limit */
};

struct ctl_spawn {
	const void *image;
	size_t image_size;
	int cpu;			/* -1: the module chooses */
	unsigned int ncpus;		/* >0: cpus[] instead of cpu */
	uint32_t cpus[KSPAWN_MAX_CPUS];
	uint64_t mem;			/* region bytes */
	const char *cmdline;
	uint64_t ramdisk;		/* bytes; 0: none */
	const char *disk;		/* host path (< CTL_DISK_PATH_MAX
					 * bytes); NULL: none */
	int writeback;			/* --cache=writeback */
	int net;			/* 0 none, 1 loopback, 2 netdev */
	int doorbell_cpu;		/* -1: the module's (CPU 0) */
};

/*
 * Every function returns 0 or a negative errno; dev_error() then says in
 * words what it means for the call that failed, with what the module logged
 * when the errno alone is not enough.
 */
int dev_open(const char *path, int *fd);
int dev_version(int fd, struct ctl_version *v);
/* Load an instance (*id), then start it: run's spawn is the two. */
int dev_load(int fd, const struct ctl_spawn *req, uint32_t *id);
int dev_start(int fd, uint32_t id);
/*
 * The two in one (spawn.c), a failed start's instance stopped again; if
 * that stop fails too, *stop_err says why (else 0), the instance still
 * loaded.  *at_start: the error is the start's (1, *id the instance's)
 * or the load's (0): a start names an instance, a load does not.
 */
int dev_spawn(int fd, const struct ctl_spawn *req, uint32_t *id,
	      int *at_start, int *stop_err);
int dev_status(int fd, uint32_t id, struct ctl_status *st);
int dev_list(int fd, uint32_t *ids, int max, int *count);
/* *gone: not CTL_GONE_NO when what was read is a stopped guest's. */
int dev_console_read(int fd, uint32_t id, void *buf, size_t len,
		     size_t *got, enum ctl_gone *gone);
int dev_console_write(int fd, uint32_t id, const void *buf, size_t len,
		      size_t *put);
int dev_debug_read(int fd, uint32_t id, void *buf, size_t len, size_t *got);
int dev_debug_write(int fd, uint32_t id, const void *buf, size_t len,
		    size_t *put);
int dev_debug_break(int fd, uint32_t id);
int dev_stop(int fd, uint32_t id, int force);
/* The pool of reserved cores; reserve (1) or release (0) one core. */
int dev_cpus(int fd, struct ctl_cpus *c);
int dev_reserve(int fd, uint32_t cpu, int reserve);

#endif
