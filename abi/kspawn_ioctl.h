/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/kspawn ioctls: the interface between kspawn.ko and kspawnctl.
 *
 * Every argument structure starts with argsz (its size as the caller knows
 * it) and version (KSPAWN_IOCTL_VERSION).  The module refuses a version it
 * does not speak with EPROTONOSUPPORT and a size it does not expect with
 * EINVAL (or, since the size is in the ioctl number, ENOTTY), so an old
 * kspawnctl and a new module fail clearly instead of misreading each
 * other.  Reserved fields must be zero.
 *
 * Instances belong to the module, not to the file descriptor: a guest keeps
 * running after kspawnctl exits.  The one exception is an instance that was
 * loaded but never started: closing the descriptor that loaded it frees it.
 */
#ifndef KSPAWN_IOCTL_H
#define KSPAWN_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "abi/kspawn_abi.h"

#define KSPAWN_IOCTL_VERSION 1

/* The module's view of an instance (the guest has its own state). */
enum kspawn_host_state {
	KSPAWN_HOST_NONE = 0,		/* being created, or gone: never reported */
	KSPAWN_HOST_LOADED = 1,		/* image in its region, not started */
	KSPAWN_HOST_STARTING = 2,	/* SIPIs sent, trampoline not yet left */
	KSPAWN_HOST_RUNNING = 3,	/* the core runs the guest */
	KSPAWN_HOST_STOPPING = 4,
	KSPAWN_HOST_DEAD = 6,		/* core could not be given back */
};

struct kspawn_ioc_version {
	__u32 argsz;
	__u32 version;
	__u32 abi_major;		/* out */
	__u32 abi_minor;
	__u32 ioctl_version;
	__u32 max_instances;
	__u64 pool_base;
	__u64 pool_size;
	__u64 pool_free;		/* bytes in free chunks */
	__u64 tsc_khz;
};

#define KSPAWN_LOAD_CPU_ANY (-1)

struct kspawn_ioc_load {
	__u32 argsz;
	__u32 version;
	__u64 image;			/* user pointer to the ELF file */
	__u64 image_size;
	__u64 mem;			/* region bytes; 0: the image's minimum */
	__s32 cpu;			/* or KSPAWN_LOAD_CPU_ANY */
	__u32 flags;			/* KSPAWN_LOAD_* */
	char cmdline[KSPAWN_CMDLINE_MAX]; /* NUL-terminated */
	__u64 ramdisk_bytes;		/* virtio-blk on RAM; 0: none */
	/* virtio-blk on this host file or block device; "": none (one or
	 * the other: not with ramdisk_bytes) */
	char disk_path[256];
	__u32 net_mode;			/* KSPAWN_NET_* */
	__u32 ncpus;			/* 0: one CPU, cpu; else cpus[ncpus] */
	__u32 id;			/* out: the new instance */
	/*
	 * With KSPAWN_LOAD_DOORBELL_CPU: the online host CPU the guest's
	 * doorbell interrupts (and ksnetN's NAPI runs on); else 0, and
	 * the doorbell is on CPU 0.
	 */
	__u32 doorbell_cpu;
	/*
	 * The guest's CPUs when ncpus > 0 (cpu must then be
	 * KSPAWN_LOAD_CPU_ANY): cpus[0] boots first, the others follow.
	 * Entries past ncpus are 0; each one before names a CPU.
	 */
	__u32 cpus[KSPAWN_MAX_CPUS];
};

/* The disk through the page cache, not direct I/O (--cache=writeback);
 * only with disk_path. */
#define KSPAWN_LOAD_WRITEBACK (1U << 0)
/* doorbell_cpu names the doorbell's CPU (--doorbell-cpu). */
#define KSPAWN_LOAD_DOORBELL_CPU (1U << 1)

#define KSPAWN_NET_NONE 0
#define KSPAWN_NET_LOOPBACK 1		/* virtio-net looped back (vdpa_sim) */
#define KSPAWN_NET_NETDEV 2		/* virtio-net wired to a ksnetN */

#define KSPAWN_STOP_FORCE (1U << 0)	/* skip the polite request */

struct kspawn_ioc_instance {
	__u32 argsz;
	__u32 version;
	__u32 id;
	__u32 flags;			/* stop: KSPAWN_STOP_* */
};

struct kspawn_ioc_status {
	__u32 argsz;
	__u32 version;
	__u32 id;			/* in */
	__u32 cpu;			/* out from here on */
	__u32 apic_id;
	__u32 host_state;		/* enum kspawn_host_state */
	__u32 guest_state;		/* enum kspawn_guest_state, as read */
	__u32 hung;			/* heartbeat stopped for hang_timeout_ms */
	__u32 exit_code;
	__u32 ncpus;			/* entries used in cpus[] */
	__u64 region_base;
	__u64 region_size;
	__u64 shared_base;
	__u64 shared_size;
	__u64 heartbeat;
	__u64 heartbeat_age_ms;		/* ~0: never seen one */
	__u64 tsc_khz;
	__u64 boot_tsc[KSPAWN_STAMP_COUNT];
	__u64 console_dropped;		/* by the guest and by the module */
	char cmdline[KSPAWN_CMDLINE_MAX];
	struct kspawn_panic panic;	/* valid when guest_state is PANICKED */
	__u32 cpus[KSPAWN_MAX_CPUS];	/* the guest's CPUs; cpus[0] is cpu */
	__s32 doorbell_cpu;		/* -1: no doorbell (polled) */
	__u32 doorbell_vector;
	__u64 stray_irqs;		/* as the guest counted them */
	__u32 stray_vector;		/* the last one's, as the guest said */
	__u32 stray_flags;		/* KSPAWN_STRAY_*, about stray_vector */
};

/*
 * stray_vector is one this host kernel sends to all CPUs but the sender
 * (its IPI shorthand broadcasts; no_ipi_broadcast=1 stops them).  The
 * module decides, from its own kernel's vector numbers.
 */
#define KSPAWN_STRAY_HOST_BROADCAST	(1U << 0)

struct kspawn_ioc_list {
	__u32 argsz;
	__u32 version;
	__u32 max;			/* room in ids[] */
	__u32 count;			/* out: instances (may exceed max) */
	__u64 ids;			/* user pointer to __u32[max] */
};

/* Console and debug channel: bytes from (read) or to (write) the guest. */
struct kspawn_ioc_io {
	__u32 argsz;
	__u32 version;
	__u32 id;
	__u32 len;			/* buffer bytes */
	__u64 buf;			/* user pointer */
	__u32 done;			/* out: bytes moved */
	__u32 gone;			/* out: KSPAWN_GONE_*, console read */
};

/*
 * A console read of an instance another caller stopped reads what its
 * guest wrote that nobody read and, in gone, how the stop found the
 * guest: a reader who follows the console learns that the guest had
 * panicked, hung or was dead even when the stop came before it looked.
 * The module keeps the words until read and, for a guest that panicked,
 * hung or was dead, how it ended, for every reader, a while (10 s) after
 * the stop.  0 while the instance is there, and from a module older than
 * the field (it was reserved).
 */
#define KSPAWN_GONE_RUNNING	1	/* booting or running */
#define KSPAWN_GONE_HALTED	2	/* it had halted on its own */
#define KSPAWN_GONE_PANICKED	3
#define KSPAWN_GONE_HUNG	4	/* its heartbeat had stopped */
#define KSPAWN_GONE_DEAD	5	/* a stop before could not take its core */

/* One core, for KSPAWN_IOC_RESERVE and KSPAWN_IOC_RELEASE. */
struct kspawn_ioc_cpu {
	__u32 argsz;
	__u32 version;
	__u32 cpu;
	__u32 flags;			/* none yet: 0 */
};

/* The cores of the pool and those instances hold, as CPU bitmaps. */
#define KSPAWN_CPU_WORDS 16		/* 1024 CPUs */

struct kspawn_ioc_cpus {
	__u32 argsz;
	__u32 version;
	__u32 nr_cpus;			/* out: bits that mean something */
	__u32 reserved;
	__u64 pooled[KSPAWN_CPU_WORDS];	/* reserved for guests */
	__u64 busy[KSPAWN_CPU_WORDS];	/* claimed, or being reserved/released */
	/* A guest's doorbell is there: it stays with Linux, online. */
	__u64 doorbells[KSPAWN_CPU_WORDS];
};

#define KSPAWN_IOC_MAGIC 0xb5
#define KSPAWN_IOC_VERSION	_IOWR(KSPAWN_IOC_MAGIC, 0, struct kspawn_ioc_version)
#define KSPAWN_IOC_LOAD		_IOWR(KSPAWN_IOC_MAGIC, 1, struct kspawn_ioc_load)
#define KSPAWN_IOC_START	_IOW(KSPAWN_IOC_MAGIC, 2, struct kspawn_ioc_instance)
#define KSPAWN_IOC_STOP		_IOW(KSPAWN_IOC_MAGIC, 3, struct kspawn_ioc_instance)
#define KSPAWN_IOC_STATUS	_IOWR(KSPAWN_IOC_MAGIC, 4, struct kspawn_ioc_status)
#define KSPAWN_IOC_LIST		_IOWR(KSPAWN_IOC_MAGIC, 5, struct kspawn_ioc_list)
#define KSPAWN_IOC_CONSOLE_READ	_IOWR(KSPAWN_IOC_MAGIC, 6, struct kspawn_ioc_io)
#define KSPAWN_IOC_CONSOLE_WRITE _IOWR(KSPAWN_IOC_MAGIC, 7, struct kspawn_ioc_io)
#define KSPAWN_IOC_DEBUG_READ	_IOWR(KSPAWN_IOC_MAGIC, 8, struct kspawn_ioc_io)
#define KSPAWN_IOC_DEBUG_WRITE	_IOWR(KSPAWN_IOC_MAGIC, 9, struct kspawn_ioc_io)
#define KSPAWN_IOC_DEBUG_BREAK	_IOW(KSPAWN_IOC_MAGIC, 10, struct kspawn_ioc_instance)
#define KSPAWN_IOC_RESERVE	_IOW(KSPAWN_IOC_MAGIC, 11, struct kspawn_ioc_cpu)
#define KSPAWN_IOC_RELEASE	_IOW(KSPAWN_IOC_MAGIC, 12, struct kspawn_ioc_cpu)
#define KSPAWN_IOC_CPUS		_IOWR(KSPAWN_IOC_MAGIC, 13, struct kspawn_ioc_cpus)

#endif
