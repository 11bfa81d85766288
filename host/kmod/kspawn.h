/* SPDX-License-Identifier: GPL-2.0 */
/* kspawn.ko internals: what the files of the module share. */
#ifndef KSPAWN_H
#define KSPAWN_H

#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "abi/kspawn_abi.h"
#include "abi/byte_ring.h"
#include "abi/kspawn_ioctl.h"
#include "elf_check.h"

#define KSPAWN_MAX_INSTANCES 16
#define KSPAWN_CHUNK (2ULL << 20)	/* pool granule = region alignment */

/* Module parameters (main.c). */
extern unsigned int kspawn_apic_timer_khz;
extern unsigned int kspawn_hang_timeout_ms;
extern unsigned int kspawn_stop_timeout_ms;
extern unsigned int kspawn_bounce_budget_kib;
extern bool kspawn_test_no_flush;
/* Set by a reboot, power-off or kexec: no guest starts any more. */
extern bool kspawn_going_down;
extern unsigned int kspawn_test_fail_starts;
extern bool kspawn_test_no_scrub_thread;
extern unsigned int kspawn_test_io_start_delay_ms;
extern unsigned int kspawn_test_release_delay_ms;

/*
 * Locking.  No lock is held across work a guest controls or across slow
 * work another instance's caller would wait for:
 *   kspawn_list_lock   the instance list and IDs (instance.c), the
 *                      suspend flag, and the epitaphs (epitaph.c); held
 *                      for list walks only
 *   cores lock         which cores are claimed, pooled, moving (cores.c)
 *   pool lock          the pool's bitmap (pool.c)
 *   boot lock          the trampoline page, from the first INIT to the
 *                      core's word that it left it, 2 s at most
 *                      (lifecycle.c)
 *   in->op_lock        one life-cycle step of one instance at a time
 *   in->ring_lock      its byte rings and what the monitor tracks
 * An instance is reached through a counted reference (kspawn_instance_get),
 * so stop cannot free it under a status or console call.
 */
extern struct mutex kspawn_list_lock;

/* Guest output kept by the module until kspawnctl reads it. */
struct kspawn_console {
	spinlock_t lock;		/* the monitor fills, kspawnctl drains */
	char *buf;
	u32 size;			/* power of two */
	u64 head, tail;			/* free running */
	u64 lost;			/* overwritten before anyone read them */
};

/* Region bytes (off, len) to keep unscrubbed when it is freed: pool.c. */
struct kspawn_pool_keep {
	u64 off;
	u64 len;
};

struct kspawn_instance {
	struct list_head node;		/* kspawn_list_lock */
	refcount_t users;		/* the list's, and one per caller */
	struct mutex op_lock;		/* start, stop, break */
	struct mutex ring_lock;		/* byte rings, monitor fields */
	u32 id;
	enum kspawn_host_state state;	/* op_lock; READ_ONCE elsewhere */
	unsigned int ncpus;		/* the guest's CPUs; [0] boots first */
	unsigned int cpu[KSPAWN_MAX_CPUS];
	u32 apic_id[KSPAWN_MAX_CPUS];
	bool cpu_taken[KSPAWN_MAX_CPUS]; /* from Linux, not from the pool */
	/*
	 * The loading descriptor, until a start succeeds or it closes (then
	 * a LOADED instance is freed, after any start under way).
	 */
	struct file *owner;
	/*
	 * A start got as far as a STARTUP IPI and failed: guest code may
	 * have run over the image and the shared area, so it is not started
	 * again (op_lock).
	 */
	bool start_failed;
	/*
	 * Forced stops waiting for op_lock: a polite stop holding it ends
	 * its wait for the guest at once (lifecycle.c, ask_politely()).
	 */
	atomic_t forcers;
	/*
	 * Why the unload's or reboot's stop could not give a core back (it
	 * leaves NONE, not DEAD): a forced stop that joined it says so too
	 * (op_lock).
	 */
	int final_stop_err;

	u64 alloc_phys;			/* pool allocation: region + shared */
	u64 alloc_size;
	void *region;			/* kernel mapping of the region */
	u64 region_phys;
	u64 region_size;
	void *shared;
	u64 shared_phys;
	u64 shared_size;
	u64 entry;
	/* The image's read-only pages, kept for the next guest (pool.c). */
	struct kspawn_pool_keep keep[ELF_CHECK_MAX_LOAD];
	unsigned int nkeep;

	struct kspawn_header *hdr;
	struct kspawn_state *gstate;
	struct byte_ring con_out, con_in, dbg_out, dbg_in; /* abi/byte_ring.c */
	struct kspawn_console console;
	struct kspawn_console debug;
	struct kspawn_io *io;		/* virtio devices (io.c) */

	/* Watched by the monitor (monitor.c), under ring_lock. */
	u64 last_heartbeat;
	unsigned long heartbeat_jiffies; /* 0: none seen yet */
	/* KSPAWN_F_HEARTBEAT seen accepted; kept, whatever the header says later. */
	bool heartbeat_accepted;
	bool hung;
	u32 gone;			/* KSPAWN_GONE_*: as the stop found it */
	/* The hung/again lines: the guest can flap its heartbeat at will. */
	struct ratelimit_state heartbeat_log;
	/*
	 * Interrupts sent as a wake-line write.  Bumped without a lock from
	 * the doorbell handler, the I/O thread and ioctls: a statistic that
	 * may lose a count, never used for a decision.
	 */
	u64 mwait_wakes;
	bool reported_panic;
	bool reported_halt;
	bool reported_stray;
};

struct kspawn_io;

/* counters.c: what the module holds, for leak checks (sysfs, read-only) */
enum kspawn_counter {
	KSPAWN_CNT_INSTANCES,		/* struct kspawn_instance */
	KSPAWN_CNT_IO,			/* struct kspawn_io */
	KSPAWN_CNT_NETDEVS,		/* ksnetN */
	KSPAWN_CNT_RAMDISK_PAGES,	/* RAM disk storage */
	KSPAWN_CNT_CONSOLE_PAGES,	/* console and debug buffers */
	KSPAWN_CNT_POOL_CHUNKS,		/* 2 MiB pool chunks in use */
	KSPAWN_CNT_COUNT
};

void kspawn_count(enum kspawn_counter c, long delta);
extern const struct attribute_group *kspawn_sysfs_groups[];

/* pool.c */
int kspawn_pool_init(u64 base, u64 size);
void kspawn_pool_exit(void);
/* True if the caller will write every byte of the kept page at off. */
typedef bool (*kspawn_pool_keep_fn)(void *arg, u64 off);
void *kspawn_pool_alloc(u64 size, u64 *phys, kspawn_pool_keep_fn overwrites,
			void *arg);
void kspawn_pool_free(u64 phys, u64 size, const struct kspawn_pool_keep *keep,
		      unsigned int nkeep);
void kspawn_pool_settle(void);
void kspawn_pool_info(u64 *base, u64 *size, u64 *free);

/* trampoline.c */
int kspawn_trampoline_init(u64 phys);
void kspawn_trampoline_exit(void);
u64 kspawn_trampoline_phys(void);
void kspawn_trampoline_install(u64 cr3, u64 entry, u64 header_va,
			       u64 stamp_va, u32 index);
bool kspawn_trampoline_left(void);

/* doorbell.c: an interrupt on a host CPU that the guest rings with an IPI */
struct kspawn_doorbell {
	int irq;			/* 0: none */
	u32 vector;			/* what the guest sends ... */
	u32 apic_id;			/* ... to this physical APIC ID */
	unsigned int cpu;		/* the host CPU it interrupts */
	void *ctx;
};

int kspawn_doorbell_init(void);
void kspawn_doorbell_exit(void);
int kspawn_doorbell_create(struct kspawn_doorbell *db, const char *name,
			   unsigned int cpu,
			   irqreturn_t (*handler)(int irq, void *ctx),
			   void *ctx);
void kspawn_doorbell_destroy(struct kspawn_doorbell *db);
bool kspawn_doorbell_on(unsigned int cpu);
void kspawn_doorbell_cpus(struct cpumask *m);

/* cpu.c */
int kspawn_cpu_check(int cpu);
int kspawn_cpu_pick(const struct cpumask *claimed);
int kspawn_cpu_take(unsigned int cpu);
int kspawn_cpu_give_back(unsigned int cpu);
u32 kspawn_cpu_apic_id(unsigned int cpu);
int kspawn_cpu_guard_init(void);
void kspawn_cpu_guard_exit(void);
void kspawn_cpu_guard(unsigned int cpu);
void kspawn_cpu_unguard(unsigned int cpu);
int kspawn_cpu_reset(unsigned int cpu, u32 apic_id);
void kspawn_init_settle(void);
void kspawn_send_sipi(u32 apic_id, u64 trampoline_phys);
void kspawn_send_ipi(u32 apic_id, u32 vector);

/* cores.c: the cores guests may have; the reserved pool */
int kspawn_cores_claim(int want, int avoid, unsigned int *cpu);
void kspawn_cores_unclaim(unsigned int cpu);
bool kspawn_cores_pooled(unsigned int cpu);
int kspawn_cores_reserve(unsigned int cpu);
int kspawn_cores_release(unsigned int cpu);
void kspawn_cores_release_all(void);
void kspawn_cores_info(struct cpumask *pooled, struct cpumask *busy);
bool kspawn_cores_claimed(unsigned int cpu);

/* pgtable.c */
#define KSPAWN_PGTABLE_BYTES (7 * 4096)
int kspawn_pgtable_build(struct kspawn_instance *in, u64 trampoline_phys);

/* shared.c */
int kspawn_shared_setup(struct kspawn_instance *in, const char *cmdline);
size_t kspawn_shared_bytes(void);

/* console.c */
int kspawn_console_init(struct kspawn_console *c, u32 size);
void kspawn_console_free(struct kspawn_console *c);
void kspawn_console_drain(struct kspawn_console *c, struct byte_ring *h);
u32 kspawn_console_take(struct kspawn_console *c, void *dst, u32 len);
bool kspawn_console_empty(struct kspawn_console *c);
u32 kspawn_console_pending(struct kspawn_console *c);

/* load.c */
int kspawn_image_check(const void *image, u64 size, u64 *mem,
		       struct elf_check_info *info);
bool kspawn_image_overwrites(void *arg, u64 off);
void kspawn_image_copy(struct kspawn_instance *in, const void *image,
		       const struct elf_check_info *info);

/* instance.c: the list, references, create and destroy */
struct kspawn_instance *kspawn_instance_get(u32 id);
void kspawn_instance_put(struct kspawn_instance *in);
int kspawn_instance_create(const struct kspawn_ioc_load *req,
			   const void *image, struct file *owner, u32 *id);
void kspawn_instance_retire(struct kspawn_instance *in);
void kspawn_instance_retire_stopped(struct kspawn_instance *in);
void kspawn_instance_release_owner(struct file *owner);
void kspawn_instance_unload(u32 id, struct file *owner);
int kspawn_instance_stop_final(struct kspawn_instance *in);
void kspawn_instance_ask_all(void);
void kspawn_instance_stop_all(void);
int kspawn_instance_suspend(bool begin);
int kspawn_instance_ids(u32 *ids, u32 max);
void kspawn_instance_poll_all(void);
void kspawn_instance_status(struct kspawn_instance *in,
			    struct kspawn_ioc_status *st);

/*
 * epitaph.c: a stopped guest's unread console output and how it ended,
 * kept a while under its ID.  Alloc outside kspawn_list_lock (NULL: none
 * worth keeping), add and prune under it; add returns false if the
 * epitaph was not kept (the caller frees it, after the lock).
 */
struct kspawn_epitaph;
struct kspawn_epitaph *kspawn_epitaph_alloc(struct kspawn_instance *in);
bool kspawn_epitaph_add(struct kspawn_epitaph *ep, struct kspawn_instance *in);
void kspawn_epitaphs_prune(u32 id);
void kspawn_epitaph_free(struct kspawn_epitaph *ep);	/* NULL: nothing */
int kspawn_epitaph_take(u32 id, char *buf, u32 len, u32 *gone);
void kspawn_epitaphs_free(void);

/* lifecycle.c: start, stop, break; each under the instance's op_lock */
int kspawn_instance_start(struct kspawn_instance *in);
int kspawn_instance_stop(struct kspawn_instance *in, bool force);
int kspawn_instance_break(struct kspawn_instance *in);
void kspawn_instance_ipi(struct kspawn_instance *in, u32 vector);

/* monitor.c */
int kspawn_monitor_start(void);
void kspawn_monitor_stop(void);
void kspawn_monitor_poll(struct kspawn_instance *in);
void kspawn_monitor_last_words(struct kspawn_instance *in);
u32 kspawn_stray_flags(u32 vector);

/* ioctl.c */
long kspawn_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif
