// SPDX-License-Identifier: GPL-2.0
/*
 * Starting and stopping an instance's cores (one, or several for an SMP
 * guest: the guest's CPU 0 first, then the others, all through the
 * trampoline; every step below covers all of them):
 *
 *   start:  LOADED -> STARTING (cores taken, INIT-SIPI-SIPI) -> RUNNING
 *   stop:   RUNNING -> STOPPING (polite request, then INIT) -> NONE, with
 *           the core back online (or parked, if it is a pooled one) and
 *           the instance retired, what its guest wrote unread kept a
 *           while for a console reader; DEAD if Linux would not take
 *           the core back (stop may be retried)
 *
 * Each step holds the instance's op_lock, and nothing global but the boot
 * lock around the trampoline page: a guest that will not stop keeps only
 * its own stop waiting, and only for stop_timeout_ms or until a signal.
 * While a guest runs, its core is guarded (cpu.c): Linux cannot online it
 * under the guest, and INIT never goes to a core Linux runs.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <asm/msr.h>

#include "kspawn.h"
#include "io.h"

/* Where CPU index of the guest stamps its arrival in long mode (ABI 1.3). */
static u64 *stamp_of(struct kspawn_instance *in, unsigned int index)
{
	return index ? &in->hdr->cpu_tsc[index] :
		       &in->hdr->boot_tsc[KSPAWN_STAMP_TRAMPOLINE];
}

static u64 stamp_va(struct kspawn_instance *in, unsigned int index)
{
	return KSPAWN_VA_SHARED + ((void *)stamp_of(in, index) -
				   (void *)in->hdr);
}

/* The trampoline page: one core on its way to long mode at a time. */
static DEFINE_MUTEX(boot_lock);

/*
 * Wait for the core to say, in the trampoline page, that it reached long
 * mode and left the page.  Not the stamp it also writes in the header:
 * the guest's CPUs already running can write that one at any time, and
 * taking it for the core's word would let the page be rewritten (for the
 * next core, or another guest) under a core still running on it.
 */
static bool wait_long_mode(unsigned int us)
{
	for (unsigned int t = 0; t < us; t += 10) {
		if (kspawn_trampoline_left())
			return true;
		usleep_range(10, 20);
	}
	return kspawn_trampoline_left();
}

static bool wait_long_mode_slow(unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (time_before(jiffies, end)) {
		if (wait_long_mode(0))
			return true;
		usleep_range(200, 400);
	}
	return wait_long_mode(0);
}

static bool guest_stopped(struct kspawn_instance *in)
{
	u32 s = READ_ONCE(in->gstate->state);

	return s == KSPAWN_GUEST_HALTED || s == KSPAWN_GUEST_PANICKED;
}

/* How a stop finds the guest, for its epitaph (epitaph.c). */
static u32 gone_state(struct kspawn_instance *in)
{
	u32 s = READ_ONCE(in->gstate->state);

	if (s == KSPAWN_GUEST_PANICKED)
		return KSPAWN_GONE_PANICKED;
	if (s == KSPAWN_GUEST_HALTED)
		return KSPAWN_GONE_HALTED;
	return READ_ONCE(in->hung) ? KSPAWN_GONE_HUNG : KSPAWN_GONE_RUNNING;
}

/*
 * Test only (test_fail_starts): this boot fails as a core too slow to
 * reach long mode would, but after it did and the guest began to run.
 * Racy decrement of a test knob: one start at a time in the tests.
 */
static bool test_fail_start(struct kspawn_instance *in)
{
	unsigned int n = READ_ONCE(kspawn_test_fail_starts);
	unsigned long end = jiffies + msecs_to_jiffies(2000);

	if (!n)
		return false;
	WRITE_ONCE(kspawn_test_fail_starts, n - 1);
	/*
	 * Late, as a real failure may come: once the guest is past its
	 * boot (and has printed its banner), 2 s at most.  Other starts
	 * wait on boot_lock meanwhile, as they would behind a slow core.
	 */
	while (READ_ONCE(in->gstate->state) == KSPAWN_GUEST_BOOTING &&
	       time_before(jiffies, end))
		usleep_range(1000, 2000);
	return true;
}

/* Start the guest's CPU index through the trampoline. */
static int boot_core(struct kspawn_instance *in, unsigned int index)
{
	u64 tramp = kspawn_trampoline_phys(), *stamp = stamp_of(in, index);
	u32 apic_id = in->apic_id[index];
	int err;

	mutex_lock(&boot_lock);
	kspawn_trampoline_install(in->region_phys, in->entry, KSPAWN_VA_SHARED,
				  stamp_va(in, index), index);
	WRITE_ONCE(*stamp, 0);
	err = kspawn_cpu_reset(in->cpu[index], apic_id);
	if (err)
		goto out;
	kspawn_init_settle();
	if (!index)
		in->hdr->boot_tsc[KSPAWN_STAMP_SIPI] = rdtsc_ordered();
	kspawn_send_sipi(apic_id, tramp);
	/* A second STARTUP IPI if the first was missed, as the MP spec says. */
	if (!wait_long_mode(200)) {
		kspawn_send_sipi(apic_id, tramp);
		if (!wait_long_mode_slow(2000)) {
			pr_err("instance %u: CPU %u (APIC ID %u) did not reach long mode within 2 s of the STARTUP IPIs\n",
			       in->id, in->cpu[index], apic_id);
			goto fail;
		}
	}
	if (!test_fail_start(in))
		goto out;
	pr_err("instance %u: CPU %u failed on purpose in long mode (test_fail_starts)\n",
	       in->id, in->cpu[index]);
fail:
	/*
	 * INIT it before the trampoline page is free for another guest: a
	 * core that was only slow must not run the next guest's parameters.
	 */
	kspawn_cpu_reset(in->cpu[index], apic_id);
	err = -ETIMEDOUT;
out:
	mutex_unlock(&boot_lock);
	return err;
}

/*
 * INIT the first n cores.  A pooled core stays parked and guarded for the
 * next guest; a taken one is unguarded and handed to Linux (DEAD if Linux
 * refuses one; a retry then INITs only the cores still the guest's).
 */
static int give_cores_back(struct kspawn_instance *in, unsigned int n)
{
	int err = 0;

	for (unsigned int i = 0; i < n; i++)
		if (in->cpu_taken[i] || kspawn_cores_pooled(in->cpu[i]))
			kspawn_cpu_reset(in->cpu[i], in->apic_id[i]);
	for (unsigned int i = 0; i < n; i++) {
		if (!in->cpu_taken[i])
			continue;
		kspawn_cpu_unguard(in->cpu[i]);
		if (kspawn_cpu_give_back(in->cpu[i])) {
			kspawn_cpu_guard(in->cpu[i]); /* whatever it runs is ours */
			WRITE_ONCE(in->state, KSPAWN_HOST_DEAD);
			err = -EBUSY;
			continue;
		}
		in->cpu_taken[i] = false;
	}
	return err;
}

static int give_core_back(struct kspawn_instance *in)
{
	return give_cores_back(in, in->ncpus);
}

/* Take the cores that are not pooled from Linux; all or none. */
static int take_cores(struct kspawn_instance *in)
{
	int err;

	for (unsigned int i = 0; i < in->ncpus; i++) {
		unsigned int cpu = in->cpu[i];

		if (kspawn_cores_pooled(cpu))
			continue;
		err = kspawn_cpu_check(cpu) ?: kspawn_cpu_take(cpu);
		if (err) {
			give_cores_back(in, i);
			return err;
		}
		in->cpu_taken[i] = true;
	}
	return 0;
}

/* CPU 0 first, then the others, each through the trampoline. */
static int boot_cores(struct kspawn_instance *in)
{
	int err = 0;

	for (unsigned int i = 0; i < in->ncpus && !err; i++)
		err = boot_core(in, i);
	return err;
}

int kspawn_instance_start(struct kspawn_instance *in)
{
	int err;

	if (mutex_lock_interruptible(&in->op_lock))
		return -EINTR;
	/* Stopped and retired since we found it: as if never found. */
	err = -ESRCH;
	if (in->state == KSPAWN_HOST_NONE)
		goto out;
	/* Under op_lock: a start that got in first is the reboot's to stop. */
	err = -ESHUTDOWN;
	if (READ_ONCE(kspawn_going_down))
		goto out;
	err = -EALREADY;
	if (in->state != KSPAWN_HOST_LOADED) {
		pr_info_ratelimited("instance %u: not loaded, cannot start\n", in->id);
		goto out;
	}
	/*
	 * Its guest may have run: its data, its shared area (the guest's
	 * features, the echo's sequence) and its devices are a used guest's,
	 * and the image is no longer here to copy again.  Starting that
	 * would be a half-fresh guest; it is loaded anew instead.
	 */
	err = -ESTALE;
	if (in->start_failed) {
		pr_info_ratelimited("instance %u: its start failed after its CPU had the STARTUP IPI, so it cannot be started again; stop it and load the image again\n",
				    in->id);
		goto out;
	}
	err = take_cores(in);
	if (err)
		goto out;
	WRITE_ONCE(in->state, KSPAWN_HOST_STARTING);
	err = boot_cores(in);
	if (err) {
		in->start_failed = true;
		/*
		 * No doorbell handler still acts on STARTING once the cores
		 * may be Linux's (give_cores_back() says DEAD if they cannot).
		 */
		WRITE_ONCE(in->state, KSPAWN_HOST_LOADED);
		kspawn_io_stop(in);
		give_core_back(in);
		/*
		 * Its cores had INIT: what the guest wrote up to then (why
		 * it went wrong, maybe) waits for a console read, and for
		 * the stop's epitaph, with how it ended.
		 */
		kspawn_monitor_last_words(in);
		in->gone = gone_state(in);
		goto out;
	}
	WRITE_ONCE(in->owner, NULL);
	WRITE_ONCE(in->heartbeat_jiffies, jiffies);
	WRITE_ONCE(in->state, KSPAWN_HOST_RUNNING);
	kspawn_io_start(in);
	pr_info("instance %u: running on CPU %u (APIC ID %u)%s\n", in->id,
		in->cpu[0], in->apic_id[0],
		in->ncpus > 1 ? " and more" : "");
	for (unsigned int i = 1; i < in->ncpus; i++)
		pr_info("instance %u: guest CPU %u is CPU %u (APIC ID %u)\n",
			in->id, i, in->cpu[i], in->apic_id[i]);
out:
	mutex_unlock(&in->op_lock);
	return err;
}

/*
 * An interrupt for the guest's vector.  A guest that took the MWAIT wake
 * and is idle in MWAIT on its wake line is woken by setting the vector's
 * bit there instead (a cache line, not an IPI); the order, our bit before
 * its waiting flag against its flag before its bits, means one of us
 * always sees the other (ABI: struct kspawn_wake).
 */
void kspawn_instance_ipi(struct kspawn_instance *in, u32 vector)
{
	struct kspawn_wake *w = &in->hdr->wake[0];

	if (vector < 32 || vector > 255)
		return;
	if (READ_ONCE(in->hdr->guest_features) & KSPAWN_F_MWAIT_WAKE) {
		set_bit(vector, (unsigned long *)w->pending);
		/*
		 * pending before we read waiting; the guest sets waiting
		 * before it reads pending, so one of us sees the other.
		 */
		smp_mb__after_atomic();
		if (READ_ONCE(w->waiting)) {
			in->mwait_wakes++;
			return;
		}
	}
	kspawn_send_ipi(in->apic_id[0], vector);
}

/* The request: the flag, then the guest's stop IPI if it offered one. */
static void request_stop(struct kspawn_instance *in)
{
	u32 vector;

	WRITE_ONCE(in->gstate->host_request, KSPAWN_REQ_STOP);
	/* The request is visible before the IPI that makes the guest look. */
	smp_mb();
	vector = READ_ONCE(in->gstate->stop_vector);
	if (READ_ONCE(in->hdr->guest_features) & KSPAWN_F_STOP_IPI)
		kspawn_instance_ipi(in, vector);
}

/*
 * Unload and reboot stop every guest, one after another.  Each is asked
 * first, all at once, and their polite waits end together: one
 * stop_timeout_ms for them all, not one each in turn (sixteen guests that
 * ignore the request once held a reboot for sixteen timeouts).
 */
static bool stops_share_deadline;
static unsigned long shared_deadline;

void kspawn_instance_ask_all(void)
{
	u32 ids[KSPAWN_MAX_INSTANCES];
	int n = min_t(int, kspawn_instance_ids(ids, ARRAY_SIZE(ids)),
		      ARRAY_SIZE(ids));
	struct kspawn_instance *in;

	/* A reference held only for its ask, none across another's wait. */
	for (int i = 0; i < n; i++) {
		in = kspawn_instance_get(ids[i]);
		if (!in)
			continue;
		mutex_lock(&in->op_lock);
		if (in->state == KSPAWN_HOST_RUNNING && !guest_stopped(in))
			request_stop(in);
		mutex_unlock(&in->op_lock);
		kspawn_instance_put(in);
	}
	WRITE_ONCE(shared_deadline, jiffies +
		   msecs_to_jiffies(READ_ONCE(kspawn_stop_timeout_ms)));
	WRITE_ONCE(stops_share_deadline, true);
}

/*
 * Ask the guest to halt: flag, then its stop IPI if it offered one, then
 * wait up to stop_timeout_ms (or to the time all share, above).  A signal
 * cuts the wait short: the stop is then forced, so a user's Ctrl-C never
 * leaves a guest half stopped.  So does a forced stop of the same guest,
 * from another process, waiting for op_lock meanwhile: it skips the
 * polite request, as it says, rather than wait it out.
 */
static void ask_politely(struct kspawn_instance *in)
{
	unsigned long end;
	bool shared = false;

	request_stop(in);
	end = jiffies + msecs_to_jiffies(READ_ONCE(kspawn_stop_timeout_ms));
	if (READ_ONCE(stops_share_deadline) &&
	    !time_after(READ_ONCE(shared_deadline), end)) {
		end = READ_ONCE(shared_deadline);
		shared = true;
	}
	/*
	 * A guest halts within a millisecond or so of the IPI; a stop takes
	 * as long as that plus how late we look, so look often.
	 */
	while (!guest_stopped(in) && time_before(jiffies, end) &&
	       !signal_pending(current) && !atomic_read(&in->forcers))
		usleep_range(50, 100);
	if (guest_stopped(in))
		return;
	pr_info("instance %u: no halt %s; forcing it\n", in->id,
		signal_pending(current) ? "before a signal came" :
		atomic_read(&in->forcers) ? "before a forced stop came" :
		shared ? "within the stop_timeout_ms every guest was given" :
		"within stop_timeout_ms");
}

static int stop(struct kspawn_instance *in, bool force, bool interruptible)
{
	bool joined = false, ran;
	int err = 0;

	/*
	 * A forced stop says so before it waits for op_lock: a polite stop
	 * holding it for the guest's answer then ends that wait.  An
	 * instance not yet stopped when it came, and stopped by another
	 * caller meanwhile, was stopped as it asked, however the guest's
	 * answer and the two callers' timing went.
	 */
	if (force) {
		atomic_inc(&in->forcers);
		joined = READ_ONCE(in->state) != KSPAWN_HOST_NONE;
	}
	if (!interruptible)
		mutex_lock(&in->op_lock);
	else
		err = mutex_lock_interruptible(&in->op_lock);
	if (force)
		atomic_dec(&in->forcers);
	if (err)
		return -EINTR;
	switch (in->state) {
	case KSPAWN_HOST_LOADED:
		WRITE_ONCE(in->state, KSPAWN_HOST_NONE);
		ran = in->start_failed;
		mutex_unlock(&in->op_lock);
		/* A guest whose start failed late ran: its words stay. */
		if (ran)
			kspawn_instance_retire_stopped(in);
		else
			kspawn_instance_retire(in);
		return 0;
	case KSPAWN_HOST_RUNNING:
		WRITE_ONCE(in->state, KSPAWN_HOST_STOPPING);
		in->gone = gone_state(in);	/* before it answers the stop */
		if (!force && !guest_stopped(in))
			ask_politely(in);
		kspawn_monitor_poll(in);	/* its last words */
		break;
	case KSPAWN_HOST_DEAD:
		in->gone = KSPAWN_GONE_DEAD;	/* as a follower saw it last */
		break;
	case KSPAWN_HOST_NONE:
		/*
		 * Stopped by someone else, after a forced stop came: done,
		 * as that stop went (the unload's or reboot's may have failed
		 * to give a core back).
		 */
		err = joined ? in->final_stop_err : -ESRCH;
		goto out;
	default:
		err = -ESRCH;
		goto out;
	}
	/* No more IPIs from the backends once the core may be Linux's. */
	kspawn_io_silence(in);
	err = give_core_back(in);
	/*
	 * Only now the wait for the device thread and the disk's requests
	 * in flight, as long as a frozen file system or a hung disk holds
	 * them: the guest is stopped and its cores are back whatever they
	 * do (before, even a forced stop waited for them before the INIT).
	 */
	kspawn_io_drain(in);
	/*
	 * Its cores are still now, even one Linux would not take back (it
	 * had INIT): what it wrote after the look above (a forced stop's
	 * last words, or all it wrote while we waited for its disk), and
	 * nothing after this, so that the epitaph's size taken below is all
	 * there is.  When DEAD too: a busy monitor may not have come by,
	 * and the words would wait in the ring for a retry that may never
	 * come.
	 */
	kspawn_monitor_poll(in);
	if (err) {
		/*
		 * The final stop's caller retires it (a core Linux would
		 * not take back): no longer DEAD, under op_lock, so that a
		 * STOP waiting for the lock finds it gone (-ESRCH) rather
		 * than retire it too, each then waiting for the other.
		 */
		if (!interruptible) {
			in->final_stop_err = err;
			WRITE_ONCE(in->state, KSPAWN_HOST_NONE);
		}
		goto out;
	}
	for (unsigned int i = 0; i < in->ncpus; i++)
		pr_info("instance %u: stopped, CPU %u %s\n", in->id,
			in->cpu[i], kspawn_cores_pooled(in->cpu[i]) ?
			"parked in the pool" : "online again");
	WRITE_ONCE(in->state, KSPAWN_HOST_NONE);
	mutex_unlock(&in->op_lock);
	/* Its last words stay for a reader who follows it (instance.c). */
	kspawn_instance_retire_stopped(in);
	return 0;
out:
	mutex_unlock(&in->op_lock);
	return err;
}

int kspawn_instance_stop(struct kspawn_instance *in, bool force)
{
	return stop(in, force, true);
}

/*
 * Unload and reboot: waited for whatever signal the caller has pending
 * (an -EINTR here would leave a guest running under memory given back).
 */
int kspawn_instance_stop_final(struct kspawn_instance *in)
{
	return stop(in, false, false);
}

/* Send the guest's debug vector: gdb's Ctrl-C. */
int kspawn_instance_break(struct kspawn_instance *in)
{
	u32 vector = READ_ONCE(in->gstate->debug_vector);
	int err = 0;

	if (vector < 32 || vector > 255)
		return -EOPNOTSUPP;
	/* Under op_lock: the core cannot go back to Linux under the IPI. */
	if (mutex_lock_interruptible(&in->op_lock))
		return -EINTR;
	if (in->state == KSPAWN_HOST_RUNNING)
		kspawn_instance_ipi(in, vector);
	else
		err = -ESRCH;
	mutex_unlock(&in->op_lock);
	return err;
}
