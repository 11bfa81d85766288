// SPDX-License-Identifier: GPL-2.0
/*
 * Instances: the list, references, creation and destruction.  The life
 * cycle between them (start, stop) is lifecycle.c.
 *
 *   create: NONE -> LOADED (a core claimed (cores.c), image in its region,
 *           boot page tables, shared area, devices), then on the list
 *   start:  LOADED -> STARTING -> RUNNING                     (lifecycle.c)
 *   stop:   RUNNING -> STOPPING -> NONE, off the list, freed  (lifecycle.c)
 *
 * kspawn_list_lock covers the list and the IDs (and epitaph.c's list),
 * and is only ever held to walk or change them.  Everything slow
 * (copying an image, opening a disk, scrubbing a region, CPU hotplug)
 * happens outside it, so one instance's caller never waits for another's.
 * Callers hold a reference (kspawn_instance_get); the one who takes an
 * instance off the list waits for the others to drop theirs before it
 * frees the instance.
 *
 * A stopped guest's unread console output stays behind as its epitaph
 * (epitaph.c).
 */
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>
#include <asm/msr.h>

#include "kspawn.h"
#include "io.h"

#define CONSOLE_KEEP (64 * 1024)
#define DEBUG_KEEP (16 * 1024)

/* The list, ninstances and next_id; see kspawn.h. */
DEFINE_MUTEX(kspawn_list_lock);
static LIST_HEAD(instances);
static unsigned int ninstances;		/* on the list or being created */
static bool suspending;			/* no new instance: see below */
static u32 next_id = 1;

/* Under kspawn_list_lock. */
static struct kspawn_instance *find(u32 id)
{
	struct kspawn_instance *in;

	list_for_each_entry(in, &instances, node)
		if (in->id == id)
			return in;
	return NULL;
}

struct kspawn_instance *kspawn_instance_get(u32 id)
{
	struct kspawn_instance *in;

	mutex_lock(&kspawn_list_lock);
	in = find(id);
	if (in)
		refcount_inc(&in->users);
	mutex_unlock(&kspawn_list_lock);
	return in;
}

static void instance_free(struct kspawn_instance *in)
{
	kspawn_io_destroy(in);
	/* The pool scrubs it: the next guest must not see this one's data. */
	if (in->region)
		kspawn_pool_free(in->alloc_phys, in->alloc_size, in->keep,
				 in->nkeep);
	kspawn_console_free(&in->console);
	kspawn_console_free(&in->debug);
	kfree(in);
	kspawn_count(KSPAWN_CNT_INSTANCES, -1);
}

void kspawn_instance_put(struct kspawn_instance *in)
{
	if (refcount_dec_and_test(&in->users))
		instance_free(in);
	else
		wake_up_var(&in->users);
}

static void unclaim_cores(struct kspawn_instance *in)
{
	for (unsigned int i = 0; i < in->ncpus; i++)
		kspawn_cores_unclaim(in->cpu[i]);
	/* A STATUS holding a reference may be reading it (no lock). */
	WRITE_ONCE(in->ncpus, 0);
}

/* Give up the claim made by claim(); under kspawn_list_lock. */
static void unclaim(struct kspawn_instance *in)
{
	unclaim_cores(in);
	ninstances--;
}

/*
 * Take the instance off the list, so nobody new can find it, and wait until
 * the caller's reference (which it must hold) is the last: the caller's
 * kspawn_instance_put() then frees it.  Others hold references only for
 * the length of a call that does not wait for the guest, so this is short.
 * With ep, its unread console output and how it ended stay behind as its
 * epitaph.
 */
static void retire(struct kspawn_instance *in, struct kspawn_epitaph *ep)
{
	mutex_lock(&kspawn_list_lock);
	if (!list_empty(&in->node)) {
		list_del_init(&in->node);
		unclaim(in);
		refcount_dec(&in->users);	/* the list's; ours remains */
		if (ep && kspawn_epitaph_add(ep, in))
			ep = NULL;
	}
	mutex_unlock(&kspawn_list_lock);
	smp_mb();	/* off the list, then kspawn_instance_stop_all() woken */
	wake_up_var(&in->users);
	kspawn_epitaph_free(ep);
	wait_var_event(&in->users, refcount_read(&in->users) == 1);
}

void kspawn_instance_retire(struct kspawn_instance *in)
{
	retire(in, NULL);
}

/* A guest that ran and stopped: what it wrote unread stays a while. */
void kspawn_instance_retire_stopped(struct kspawn_instance *in)
{
	retire(in, kspawn_epitaph_alloc(in));
}

static u32 new_id(void)
{
	while (!next_id || find(next_id))
		next_id++;
	return next_id++;
}

/* The request's cores (ioctl.c checked ncpus), all or none. */
static int claim_cores(struct kspawn_instance *in,
		       const struct kspawn_ioc_load *req)
{
	unsigned int n = req->ncpus ? req->ncpus : 1;
	int avoid = req->flags & KSPAWN_LOAD_DOORBELL_CPU ?
		    (int)min_t(u32, req->doorbell_cpu, INT_MAX) : -1;
	int err;

	for (unsigned int i = 0; i < n; i++) {
		err = kspawn_cores_claim(req->ncpus ? (int)req->cpus[i] :
				       req->cpu, avoid, &in->cpu[i]);
		if (err) {
			unclaim_cores(in);
			return err;
		}
		in->apic_id[i] = kspawn_cpu_apic_id(in->cpu[i]);
		in->ncpus = i + 1;
	}
	return 0;
}

/*
 * Reserve an ID, the CPUs and a place among the instances.  No place left
 * is EMFILE, not the pool's ENOSPC: kspawnctl tells the user which, and
 * counting instances itself would miss those still being created.
 */
static int claim(struct kspawn_instance *in,
		 const struct kspawn_ioc_load *req)
{
	int err = -EMFILE;

	mutex_lock(&kspawn_list_lock);
	if (ninstances >= KSPAWN_MAX_INSTANCES) {
		pr_info_ratelimited("refused: %d instances already\n",
				    KSPAWN_MAX_INSTANCES);
		goto out;
	}
	err = -EAGAIN;
	if (suspending) {
		pr_info_ratelimited("refused: the machine is suspending\n");
		goto out;
	}
	err = claim_cores(in, req);
	if (err)
		goto out;
	ninstances++;
	in->id = new_id();
	kspawn_epitaphs_prune(in->id);	/* an old one's, after the IDs wrapped */
out:
	mutex_unlock(&kspawn_list_lock);
	return err;
}

static int instance_memory(struct kspawn_instance *in, u64 mem,
			   const struct elf_check_info *info)
{
	u64 free, base, size;

	in->alloc_size = mem + KSPAWN_CHUNK;
	in->region = kspawn_pool_alloc(in->alloc_size, &in->alloc_phys,
				       kspawn_image_overwrites, (void *)info);
	if (!in->region) {
		kspawn_pool_info(&base, &size, &free);
		pr_info_ratelimited("refused: pool too small: %llu MiB wanted (region and shared area), %llu MiB of %llu free, maybe not in one piece\n",
				    in->alloc_size >> 20, free >> 20, size >> 20);
		return -ENOSPC;
	}
	in->region_phys = in->alloc_phys;
	in->region_size = mem;
	in->shared = in->region + mem;
	in->shared_phys = in->alloc_phys + mem;
	in->shared_size = kspawn_shared_bytes();
	return 0;			/* zero but for image pages: pool.c */
}

static struct kspawn_instance *instance_alloc(void)
{
	struct kspawn_instance *in = kzalloc(sizeof(*in), GFP_KERNEL);

	if (!in)
		return NULL;
	kspawn_count(KSPAWN_CNT_INSTANCES, 1);
	INIT_LIST_HEAD(&in->node);
	refcount_set(&in->users, 1);
	mutex_init(&in->op_lock);
	mutex_init(&in->ring_lock);
	ratelimit_state_init(&in->heartbeat_log, 5 * HZ, 4);
	return in;
}

int kspawn_instance_create(const struct kspawn_ioc_load *req,
			   const void *image, struct file *owner, u32 *id)
{
	u64 t0 = rdtsc_ordered(), mem = req->mem;
	struct elf_check_info info;
	struct kspawn_instance *in;
	int err;

	err = kspawn_image_check(image, req->image_size, &mem, &info);
	if (err)
		return err;
	in = instance_alloc();
	if (!in)
		return -ENOMEM;
	err = claim(in, req);
	if (err) {
		kspawn_instance_put(in);
		return err;
	}
	err = kspawn_console_init(&in->console, CONSOLE_KEEP) ?:
	      kspawn_console_init(&in->debug, DEBUG_KEEP) ?:
	      instance_memory(in, mem, &info);
	if (err)
		goto err_free;
	kspawn_image_copy(in, image, &info);
	err = kspawn_pgtable_build(in, kspawn_trampoline_phys()) ?:
	      kspawn_shared_setup(in, req->cmdline) ?:
	      kspawn_io_create(in, req);
	if (err)
		goto err_free;
	in->hdr->boot_tsc[KSPAWN_STAMP_IOCTL] = t0;
	in->state = KSPAWN_HOST_LOADED;
	in->owner = owner;
	*id = in->id;
	mutex_lock(&kspawn_list_lock);
	list_add_tail(&in->node, &instances);
	mutex_unlock(&kspawn_list_lock);
	pr_info("instance %u: loaded, %llu MiB region at %#llx, CPU %u (of %u)\n",
		in->id, in->region_size >> 20, in->region_phys, in->cpu[0],
		in->ncpus);
	return 0;

err_free:
	mutex_lock(&kspawn_list_lock);
	unclaim(in);
	mutex_unlock(&kspawn_list_lock);
	kspawn_instance_put(in);
	return err;
}

/*
 * Up to max references to listed instances that pass keep(), taken under
 * the list lock so that the caller can work on them without it.
 */
static unsigned int grab(struct kspawn_instance **out, unsigned int max,
			 bool (*keep)(struct kspawn_instance *, const void *),
			 const void *arg)
{
	struct kspawn_instance *in;
	unsigned int n = 0;

	mutex_lock(&kspawn_list_lock);
	list_for_each_entry(in, &instances, node) {
		if (n == max)
			break;
		if (keep && !keep(in, arg))
			continue;
		refcount_inc(&in->users);
		out[n++] = in;
	}
	mutex_unlock(&kspawn_list_lock);
	return n;
}

static bool owned_by(struct kspawn_instance *in, const void *owner)
{
	return READ_ONCE(in->owner) == owner;
}

/*
 * Drop owner's claim on in, freeing it if it is still only loaded.  An
 * instance another descriptor is starting is waited for (op_lock): a start
 * that fails leaves it LOADED again, and nobody else would free it.
 */
static void disown(struct kspawn_instance *in, const struct file *owner)
{
	bool drop = false, ran;

	mutex_lock(&in->op_lock);
	if (in->owner == owner) {
		drop = in->state == KSPAWN_HOST_LOADED;
		WRITE_ONCE(in->owner, NULL);
	}
	ran = in->start_failed;
	if (drop) {
		pr_info("instance %u: loaded but %s; freed\n", in->id,
			ran ? "its start failed" : "never started");
		WRITE_ONCE(in->state, KSPAWN_HOST_NONE);
	}
	mutex_unlock(&in->op_lock);
	/* Its guest ran if its start failed late: its words stay. */
	if (drop && ran)
		kspawn_instance_retire_stopped(in);
	else if (drop)
		kspawn_instance_retire(in);
}

/*
 * The descriptor that loaded them closed: free what it never started.
 * One at a time, holding one reference: a stop of another of them must
 * not wait for the one whose start disown() waits for.  disown() clears
 * the owner, so each pass finds the next.
 */
void kspawn_instance_release_owner(struct file *owner)
{
	struct kspawn_instance *in;

	while (grab(&in, 1, owned_by, owner)) {
		disown(in, owner);
		kspawn_instance_put(in);
	}
}

/* A load whose caller could not be told the ID: undone, as at a close. */
void kspawn_instance_unload(u32 id, struct file *owner)
{
	struct kspawn_instance *in = kspawn_instance_get(id);

	if (in) {
		disown(in, owner);
		kspawn_instance_put(in);
	}
}

/*
 * Module unload and reboot.  A core Linux refused to take back has had
 * INIT and waits for a STARTUP IPI that never comes, so its region can go
 * with the module; the core stays offline ("echo 1 > .../cpuN/online" may
 * revive it).  An instance a STOP ioctl or a close stopped while we waited
 * for it (-ESRCH, reachable at a reboot) is that caller's to retire: both
 * retiring it would each wait for the other's reference for ever.  We
 * sleep until it unlists it: looking again and again, a real-time caller
 * (a watchdog's reboot) kept it from the CPU they shared.
 */
void kspawn_instance_stop_all(void)
{
	struct kspawn_instance *in;
	int err;

	kspawn_instance_ask_all();	/* one polite wait for all */
	while (grab(&in, 1, NULL, NULL)) {
		err = kspawn_instance_stop_final(in);
		if (err && err != -ESRCH) {
			/* Its state is NONE already (stop_final()). */
			for (unsigned int i = 0; i < in->ncpus; i++) {
				if (!in->cpu_taken[i])
					continue;	/* given back, or pooled */
				pr_err("instance %u: CPU %u stays offline\n",
				       in->id, in->cpu[i]);
				kspawn_cpu_unguard(in->cpu[i]);
			}
			kspawn_instance_retire(in);
		}
		if (err == -ESRCH)
			wait_var_event(&in->users, list_empty_careful(&in->node));
		kspawn_instance_put(in);
	}
}

/*
 * A suspend or hibernation begins (begin) or is over: -EBUSY (refused)
 * while any instance exists, even one being created (counted in
 * ninstances); once allowed, no instance is created until it is over.
 * Both under kspawn_list_lock, so a load cannot slip in between.
 */
int kspawn_instance_suspend(bool begin)
{
	int err = 0;

	mutex_lock(&kspawn_list_lock);
	if (begin && ninstances)
		err = -EBUSY;
	else
		suspending = begin;
	mutex_unlock(&kspawn_list_lock);
	return err;
}

void kspawn_instance_poll_all(void)
{
	struct kspawn_instance *list[KSPAWN_MAX_INSTANCES];
	unsigned int n = grab(list, ARRAY_SIZE(list), NULL, NULL);

	mutex_lock(&kspawn_list_lock);
	kspawn_epitaphs_prune(0);
	mutex_unlock(&kspawn_list_lock);
	for (unsigned int i = 0; i < n; i++) {
		kspawn_monitor_poll(list[i]);
		kspawn_instance_put(list[i]);
		cond_resched();
	}
}

int kspawn_instance_ids(u32 *ids, u32 max)
{
	struct kspawn_instance *in;
	int n = 0;

	mutex_lock(&kspawn_list_lock);
	list_for_each_entry(in, &instances, node) {
		if (n < max)
			ids[n] = in->id;
		n++;
	}
	mutex_unlock(&kspawn_list_lock);
	return n;
}

/* Takes no lock: every guest field is read once, the rest is ours. */
void kspawn_instance_status(struct kspawn_instance *in,
			    struct kspawn_ioc_status *st)
{
	struct kspawn_header *h = in->hdr;
	struct kspawn_state *g = in->gstate;
	unsigned long beat_at = READ_ONCE(in->heartbeat_jiffies);
	/* Once: a stop's retire() zeroes it meanwhile (unclaim_cores()). */
	unsigned int ncpus = READ_ONCE(in->ncpus);

	st->cpu = in->cpu[0];
	st->apic_id = in->apic_id[0];
	st->ncpus = ncpus;
	for (unsigned int i = 0; i < ncpus; i++)
		st->cpus[i] = in->cpu[i];
	st->doorbell_cpu = -1;
	st->doorbell_vector = 0;
	if (in->io && in->io->doorbell.irq) {
		st->doorbell_cpu = in->io->doorbell.cpu;
		st->doorbell_vector = in->io->doorbell.vector;
	}
	st->host_state = READ_ONCE(in->state);
	st->guest_state = READ_ONCE(g->state);
	st->hung = READ_ONCE(in->hung);
	st->exit_code = READ_ONCE(g->exit_code);
	st->region_base = in->region_phys;
	st->region_size = in->region_size;
	st->shared_base = in->shared_phys;
	st->shared_size = in->shared_size;
	st->heartbeat = READ_ONCE(g->heartbeat);
	st->heartbeat_age_ms = ~0ULL;
	if (beat_at && READ_ONCE(in->last_heartbeat))
		st->heartbeat_age_ms = jiffies_to_msecs(jiffies - beat_at);
	st->tsc_khz = tsc_khz;
	memcpy(st->boot_tsc, h->boot_tsc, sizeof(st->boot_tsc));
	st->console_dropped = byte_ring_dropped(&in->con_out) +
			      READ_ONCE(in->console.lost);
	memcpy(st->cmdline, h->cmdline, sizeof(st->cmdline));
	st->cmdline[sizeof(st->cmdline) - 1] = 0;
	memcpy(&st->panic, &g->panic, sizeof(st->panic));
	st->panic.message[sizeof(st->panic.message) - 1] = 0;
	st->stray_irqs = READ_ONCE(g->stray_irqs);
	st->stray_vector = READ_ONCE(g->stray_vector) & 0xff;
	st->stray_flags = kspawn_stray_flags(st->stray_vector);
}
