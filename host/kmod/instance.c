// SPDX-License-Identifier: GPL-2.0
/*
 * Instances and their life cycle:
 *
 *   create: LOADED (image in its region, boot page tables, shared area)
 *   start:  LOADED -> STARTING (core taken, INIT-SIPI-SIPI) -> RUNNING
 *   stop:   RUNNING -> STOPPING (polite request, then INIT) -> gone, with
 *           the core back online and the region scrubbed and free; DEAD if
 *           Linux would not take the core back (stop may be retried)
 *
 * Every function here runs with kspawn_lock held.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/msr.h>

#include "kspawn.h"
#include "io.h"

#define CONSOLE_KEEP (64 * 1024)
#define DEBUG_KEEP (16 * 1024)
#define STAMP_TRAMPOLINE_VA (KSPAWN_VA_SHARED + \
	offsetof(struct kspawn_header, boot_tsc[KSPAWN_STAMP_TRAMPOLINE]))

static LIST_HEAD(instances);
static u32 next_id = 1;

struct kspawn_instance *kspawn_instance_find(u32 id)
{
	struct kspawn_instance *in;

	list_for_each_entry(in, &instances, node)
		if (in->id == id)
			return in;
	return NULL;
}

static bool cpu_claimed(unsigned int cpu)
{
	struct kspawn_instance *in;

	list_for_each_entry(in, &instances, node)
		if (in->cpu == cpu)
			return true;
	return false;
}

static int choose_cpu(int want, unsigned int *cpu)
{
	int err;

	if (want == KSPAWN_LOAD_CPU_ANY) {
		want = kspawn_cpu_pick();
		if (want < 0) {
			pr_info("refused: no CPU to spare (CPU 0 and the last online CPU stay with Linux)\n");
			return -EBUSY;
		}
	}
	if (want > 0 && cpu_claimed(want)) {
		pr_info("refused: CPU %d already belongs to an instance\n",
			want);
		return -EBUSY;
	}
	err = kspawn_cpu_check(want);
	if (err)
		return err;
	*cpu = want;
	return 0;
}

static void instance_free(struct kspawn_instance *in)
{
	kspawn_io_destroy(in);
	if (in->region) {
		/* Scrub: the next guest must not see this one's data. */
		memset(in->region, 0, in->alloc_size);
		kspawn_pool_free(in->alloc_phys, in->alloc_size);
	}
	kspawn_console_free(&in->console);
	kspawn_console_free(&in->debug);
	kfree(in);
}

static void instance_destroy(struct kspawn_instance *in)
{
	list_del(&in->node);
	instance_free(in);
}

static int instance_memory(struct kspawn_instance *in, u64 mem)
{
	u64 free, base, size;

	in->alloc_size = mem + KSPAWN_CHUNK;
	in->region = kspawn_pool_alloc(in->alloc_size, &in->alloc_phys);
	if (!in->region) {
		kspawn_pool_info(&base, &size, &free);
		pr_info("refused: pool too small: %llu MiB wanted (region and shared area), %llu MiB of %llu free, maybe not in one piece\n",
			in->alloc_size >> 20, free >> 20, size >> 20);
		return -ENOSPC;
	}
	in->region_phys = in->alloc_phys;
	in->region_size = mem;
	in->shared = in->region + mem;
	in->shared_phys = in->alloc_phys + mem;
	in->shared_size = kspawn_shared_bytes();
	memset(in->region, 0, in->alloc_size);
	return 0;
}

static u32 new_id(void)
{
	while (!next_id || kspawn_instance_find(next_id))
		next_id++;
	return next_id++;
}

int kspawn_instance_create(const struct kspawn_ioc_load *req,
			   const void *image, struct file *owner, u32 *id)
{
	u64 t0 = rdtsc_ordered(), mem = req->mem;
	struct elf_check_info info;
	struct kspawn_instance *in;
	unsigned int cpu;
	int err;

	if (list_count_nodes(&instances) >= KSPAWN_MAX_INSTANCES) {
		pr_info("refused: %d instances already\n",
			KSPAWN_MAX_INSTANCES);
		return -ENOSPC;
	}
	err = kspawn_image_check(image, req->image_size, &mem, &info) ?:
	      choose_cpu(req->cpu, &cpu);
	if (err)
		return err;
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	in->cpu = cpu;
	in->apic_id = kspawn_cpu_apic_id(cpu);
	in->id = new_id();
	err = kspawn_console_init(&in->console, CONSOLE_KEEP) ?:
	      kspawn_console_init(&in->debug, DEBUG_KEEP) ?:
	      instance_memory(in, mem);
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
	list_add_tail(&in->node, &instances);
	*id = in->id;
	pr_info("instance %u: loaded, %llu MiB region at %#llx, CPU %u\n",
		in->id, in->region_size >> 20, in->region_phys, in->cpu);
	return 0;

err_free:
	instance_free(in);
	return err;
}

/* Wait for the trampoline's stamp in the header: the core is in long mode. */
static bool wait_long_mode(struct kspawn_instance *in, unsigned int us)
{
	u64 *stamp = &in->hdr->boot_tsc[KSPAWN_STAMP_TRAMPOLINE];

	for (unsigned int t = 0; t < us; t += 10) {
		if (READ_ONCE(*stamp))
			return true;
		usleep_range(10, 20);
	}
	return READ_ONCE(*stamp) != 0;
}

static bool wait_long_mode_slow(struct kspawn_instance *in, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (time_before(jiffies, end)) {
		if (wait_long_mode(in, 0))
			return true;
		usleep_range(200, 400);
	}
	return wait_long_mode(in, 0);
}

static int boot_core(struct kspawn_instance *in)
{
	u64 tramp = kspawn_trampoline_phys();

	kspawn_trampoline_install(in->region_phys, in->entry, KSPAWN_VA_SHARED,
				  STAMP_TRAMPOLINE_VA);
	in->hdr->boot_tsc[KSPAWN_STAMP_TRAMPOLINE] = 0;
	kspawn_send_init(in->apic_id);
	kspawn_init_settle();
	in->hdr->boot_tsc[KSPAWN_STAMP_SIPI] = rdtsc_ordered();
	kspawn_send_sipi(in->apic_id, tramp);
	/* A second STARTUP IPI if the first was missed, as the MP spec says. */
	if (wait_long_mode(in, 200))
		return 0;
	kspawn_send_sipi(in->apic_id, tramp);
	if (wait_long_mode_slow(in, 2000))
		return 0;
	pr_err("instance %u: CPU %u (APIC ID %u) did not reach long mode within 2 s of the STARTUP IPIs\n",
	       in->id, in->cpu, in->apic_id);
	return -ETIMEDOUT;
}

int kspawn_instance_start(struct kspawn_instance *in)
{
	int err;

	if (in->state != KSPAWN_HOST_LOADED) {
		pr_info("instance %u: already started\n", in->id);
		return -EALREADY;
	}
	err = kspawn_cpu_check(in->cpu) ?: kspawn_cpu_take(in->cpu);
	if (err)
		return err;
	in->cpu_taken = true;
	in->state = KSPAWN_HOST_STARTING;
	err = boot_core(in);
	if (err) {
		kspawn_send_init(in->apic_id);
		if (kspawn_cpu_give_back(in->cpu)) {
			in->state = KSPAWN_HOST_DEAD;
			return err;
		}
		in->cpu_taken = false;
		in->state = KSPAWN_HOST_LOADED;
		return err;
	}
	in->state = KSPAWN_HOST_RUNNING;
	in->owner = NULL;
	if (kspawn_io_start(in))
		pr_warn("instance %u: no I/O thread: its devices will not answer\n",
			in->id);
	in->heartbeat_jiffies = jiffies;
	pr_info("instance %u: running on CPU %u (APIC ID %u)\n", in->id,
		in->cpu, in->apic_id);
	return 0;
}

static bool guest_stopped(struct kspawn_instance *in)
{
	u32 s = READ_ONCE(in->gstate->state);

	return s == KSPAWN_GUEST_HALTED || s == KSPAWN_GUEST_PANICKED;
}

/* Ask the guest to halt: flag, then its stop IPI if it offered one. */
static void ask_politely(struct kspawn_instance *in)
{
	unsigned long end;
	u32 vector;

	WRITE_ONCE(in->gstate->host_request, KSPAWN_REQ_STOP);
	/* The request is visible before the IPI that makes the guest look. */
	smp_mb();
	vector = READ_ONCE(in->gstate->stop_vector);
	if ((READ_ONCE(in->hdr->guest_features) & KSPAWN_F_STOP_IPI) &&
	    vector >= 32 && vector <= 255)
		kspawn_send_ipi(in->apic_id, vector);
	end = jiffies + msecs_to_jiffies(kspawn_stop_timeout_ms);
	while (!guest_stopped(in) && time_before(jiffies, end))
		usleep_range(500, 1000);
	if (!guest_stopped(in))
		pr_info("instance %u: no halt within %u ms of the stop request; forcing it\n",
			in->id, kspawn_stop_timeout_ms);
}

int kspawn_instance_stop(struct kspawn_instance *in, bool force)
{
	if (in->state == KSPAWN_HOST_LOADED) {
		instance_destroy(in);
		return 0;
	}
	if (in->state == KSPAWN_HOST_RUNNING) {
		in->state = KSPAWN_HOST_STOPPING;
		if (!force && !guest_stopped(in))
			ask_politely(in);
		kspawn_monitor_poll(in);	/* its last words */
	}
	/* No more IPIs from the backends once the core may be Linux's. */
	kspawn_io_stop(in);
	if (in->cpu_taken) {
		kspawn_send_init(in->apic_id);
		if (kspawn_cpu_give_back(in->cpu)) {
			in->state = KSPAWN_HOST_DEAD;
			return -EBUSY;
		}
		in->cpu_taken = false;
	}
	pr_info("instance %u: stopped, CPU %u online again\n", in->id,
		in->cpu);
	instance_destroy(in);
	return 0;
}

/* Send the guest's debug vector: gdb's Ctrl-C. */
int kspawn_instance_break(struct kspawn_instance *in)
{
	u32 vector = READ_ONCE(in->gstate->debug_vector);

	if (in->state != KSPAWN_HOST_RUNNING)
		return -ESRCH;
	if (vector < 32 || vector > 255)
		return -EOPNOTSUPP;
	kspawn_send_ipi(in->apic_id, vector);
	return 0;
}

void kspawn_instance_release_owner(struct file *owner)
{
	struct kspawn_instance *in, *tmp;

	list_for_each_entry_safe(in, tmp, &instances, node) {
		if (in->state == KSPAWN_HOST_LOADED && in->owner == owner) {
			pr_info("instance %u: loaded but never started; freed\n",
				in->id);
			instance_destroy(in);
		}
	}
}

/*
 * Module unload.  A core Linux refused to take back has had INIT and waits
 * for a STARTUP IPI that never comes, so its region can go with the module;
 * the core stays offline ("echo 1 > .../cpuN/online" may revive it).
 */
void kspawn_instance_stop_all(void)
{
	struct kspawn_instance *in, *tmp;

	list_for_each_entry_safe(in, tmp, &instances, node) {
		if (!kspawn_instance_stop(in, false))
			continue;
		pr_err("instance %u: CPU %u stays offline\n", in->id, in->cpu);
		instance_destroy(in);
	}
}

void kspawn_instance_poll_all(void)
{
	struct kspawn_instance *in;

	list_for_each_entry(in, &instances, node)
		kspawn_monitor_poll(in);
}

int kspawn_instance_ids(u32 *ids, u32 max)
{
	struct kspawn_instance *in;
	int n = 0;

	list_for_each_entry(in, &instances, node) {
		if (n < max)
			ids[n] = in->id;
		n++;
	}
	return n;
}

void kspawn_instance_status(struct kspawn_instance *in,
			    struct kspawn_ioc_status *st)
{
	struct kspawn_header *h = in->hdr;
	struct kspawn_state *g = in->gstate;

	st->cpu = in->cpu;
	st->apic_id = in->apic_id;
	st->host_state = in->state;
	st->guest_state = READ_ONCE(g->state);
	st->hung = in->hung;
	st->exit_code = READ_ONCE(g->exit_code);
	st->region_base = in->region_phys;
	st->region_size = in->region_size;
	st->shared_base = in->shared_phys;
	st->shared_size = in->shared_size;
	st->heartbeat = READ_ONCE(g->heartbeat);
	st->heartbeat_age_ms = ~0ULL;
	if (in->heartbeat_jiffies && in->last_heartbeat)
		st->heartbeat_age_ms =
			jiffies_to_msecs(jiffies - in->heartbeat_jiffies);
	st->tsc_khz = tsc_khz;
	memcpy(st->boot_tsc, h->boot_tsc, sizeof(st->boot_tsc));
	st->console_dropped = kspawn_hring_dropped(&in->con_out) +
			      in->console.lost;
	memcpy(st->cmdline, h->cmdline, sizeof(st->cmdline));
	st->cmdline[sizeof(st->cmdline) - 1] = 0;
	memcpy(&st->panic, &g->panic, sizeof(st->panic));
	st->panic.message[sizeof(st->panic.message) - 1] = 0;
}
