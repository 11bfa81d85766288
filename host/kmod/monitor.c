// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor: one kernel thread that looks at every running guest every
 * few milliseconds (and at the rings of one stopping or DEAD).  It
 * empties the guest's console and debug rings into the module's buffers,
 * notices a panic or a halt and logs it once, and declares a guest hung
 * when its heartbeat has not moved for hang_timeout_ms.  It reads guest
 * memory only through the checked ring functions and READ_ONCE of fixed
 * fields, takes at most one ring's worth of bytes per ring and visit (a
 * guest that keeps its ring full gets no more of the host's time than one
 * printing at full speed), and holds no lock that another instance's
 * callers need.
 */
#include <linux/ctype.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <asm/irq_vectors.h>

#include "kspawn.h"

#define MONITOR_PERIOD_MS 5

static struct task_struct *monitor;

static void report_panic(struct kspawn_instance *in)
{
	char msg[KSPAWN_PANIC_MSG_MAX];
	struct kspawn_panic *p = &in->gstate->panic;
	/* Once each: the line must say what was checked. */
	u64 vector = READ_ONCE(p->vector), rip = READ_ONCE(p->rip);
	unsigned int i;

	/*
	 * Guest bytes: printable ASCII only, always terminated.  isprint()
	 * alone would let Latin-1's 0xa0-0xff through.
	 */
	for (i = 0; i < sizeof(msg) - 1; i++) {
		char c = READ_ONCE(p->message[i]);

		if (!c)
			break;
		msg[i] = isascii(c) && isprint(c) ? c : '?';
	}
	msg[i] = 0;
	if (vector == ~0ULL)
		pr_info("instance %u: guest panicked at RIP %#llx: %s\n",
			in->id, rip, msg);
	else
		pr_info("instance %u: guest panicked: vector %llu at RIP %#llx: %s\n",
			in->id, vector, rip, msg);
}

static void watch_state(struct kspawn_instance *in)
{
	u32 s = READ_ONCE(in->gstate->state);

	if (s == KSPAWN_GUEST_PANICKED && !in->reported_panic) {
		in->reported_panic = true;
		report_panic(in);
	}
	if (s == KSPAWN_GUEST_HALTED && !in->reported_halt) {
		in->reported_halt = true;
		pr_info("instance %u: guest halted, exit code %u\n", in->id,
			READ_ONCE(in->gstate->exit_code));
	}
}

/*
 * Interrupts the guest never asked for.  The usual ones are this kernel's
 * own: with its "IPI shorthand broadcast" on (the default, with two or
 * more CPUs online), Linux sends CALL_FUNCTION and REBOOT to all CPUs but
 * the sender, and the local APICs of the cores it lent out take them too.
 * Decided here, where the vector numbers are this kernel's, and passed on
 * to kspawnctl in the status (KSPAWN_STRAY_HOST_BROADCAST).
 */
u32 kspawn_stray_flags(u32 vector)
{
	if (vector == CALL_FUNCTION_VECTOR || vector == REBOOT_VECTOR)
		return KSPAWN_STRAY_HOST_BROADCAST;
	return 0;
}

/*
 * Logged once per instance: the guest counts and drops stray interrupts,
 * but each costs it an interrupt, so say how to stop the usual ones.
 */
static void watch_stray(struct kspawn_instance *in)
{
	u64 n = READ_ONCE(in->gstate->stray_irqs);
	u32 vector = READ_ONCE(in->gstate->stray_vector) & 0xff;

	if (!n || in->reported_stray)
		return;
	in->reported_stray = true;
	if (kspawn_stray_flags(vector) & KSPAWN_STRAY_HOST_BROADCAST)
		pr_info("instance %u: the guest got this kernel's IPI broadcasts (vector %#x) and ignores them; no_ipi_broadcast=1 on the host's command line keeps them off lent cores\n",
			in->id, vector);
	else
		pr_info("instance %u: the guest got an interrupt it did not ask for (vector %#x) and ignores it\n",
			in->id, vector);
}

/*
 * Every core of a machine has the same APIC timer clock: once guests have
 * measured it, later guests are told and skip the measurement.  A guest
 * may lie, so one guest's word is only a candidate: the clock is learnt
 * when a second guest's measurement agrees with one of the last few
 * candidates within 3% (a lone hostile guest can delay that, not decide
 * it).  Why 3% and a few: under QEMU TCG a busy host makes honest
 * measurements spread by several percent, and comparing only with the
 * last one let a single outlier restart the wait.  apic_timer_khz=
 * overrides it.  Two instances can still be one hostile image run twice,
 * so a guest checks the clock it is told against a quick look of its own
 * and calibrates in full when they differ (guest/arch/x86_64/apic.c).
 */
#define CLOCK_CANDIDATES 4

static void learn_timer_clock(struct kspawn_instance *in)
{
	static DEFINE_SPINLOCK(lock);
	static u32 khz_seen[CLOCK_CANDIDATES], id_seen[CLOCK_CANDIDATES];
	static unsigned int next;
	u32 khz, diff, i;

	if (READ_ONCE(kspawn_apic_timer_khz))
		return;
	khz = READ_ONCE(in->gstate->apic_timer_khz);
	if (khz < 1000 || khz > 100000000)
		return;
	spin_lock(&lock);
	for (i = 0; i < CLOCK_CANDIDATES; i++) {
		if (!khz_seen[i] || id_seen[i] == in->id)
			continue;
		diff = khz > khz_seen[i] ? khz - khz_seen[i] : khz_seen[i] - khz;
		if (diff > khz_seen[i] / 33)
			continue;
		if (!kspawn_apic_timer_khz) {
			WRITE_ONCE(kspawn_apic_timer_khz,
				   khz_seen[i] / 2 + khz / 2);
			pr_info("APIC timer clock %u kHz, as instances %u and %u measured it; passed to later guests\n",
				kspawn_apic_timer_khz, id_seen[i], in->id);
		}
		goto out;
	}
	for (i = 0; i < CLOCK_CANDIDATES; i++)
		if (id_seen[i] == in->id && khz_seen[i])
			goto out;	/* one candidate per instance */
	khz_seen[next] = khz;
	id_seen[next] = in->id;
	next = (next + 1) % CLOCK_CANDIDATES;
out:
	spin_unlock(&lock);
}

static void watch_heartbeat(struct kspawn_instance *in)
{
	u64 beat = READ_ONCE(in->gstate->heartbeat);
	u32 s = READ_ONCE(in->gstate->state);
	unsigned long age;

	if (READ_ONCE(in->hdr->guest_features) & KSPAWN_F_HEARTBEAT)
		in->heartbeat_accepted = true;
	if (beat != in->last_heartbeat) {
		WRITE_ONCE(in->last_heartbeat, beat);
		WRITE_ONCE(in->heartbeat_jiffies, jiffies);
		if (in->hung && __ratelimit(&in->heartbeat_log))
			pr_info("instance %u: heartbeat again\n", in->id);
		WRITE_ONCE(in->hung, false);
		return;
	}
	/*
	 * A booting guest that does not beat is stuck, whatever it will
	 * accept.  A running one that never accepted the heartbeat has no
	 * clock to go by: no report, rather than a false one, and a report
	 * from its boot (slower than hang_timeout_ms) is withdrawn, since no
	 * beat will ever do it.  Once accepted, always watched (above):
	 * clearing the bit must not hide a hang.
	 */
	if (s == KSPAWN_GUEST_RUNNING && !in->heartbeat_accepted) {
		if (in->hung && __ratelimit(&in->heartbeat_log))
			pr_info("instance %u: running, without a heartbeat to watch\n",
				in->id);
		WRITE_ONCE(in->hung, false);
		return;
	}
	if (in->hung ||
	    (s != KSPAWN_GUEST_BOOTING && s != KSPAWN_GUEST_RUNNING))
		return;
	age = jiffies_to_msecs(jiffies - in->heartbeat_jiffies);
	if (age < kspawn_hang_timeout_ms)
		return;
	WRITE_ONCE(in->hung, true);
	/* Per instance: a guest that flaps must not hide a neighbour's. */
	if (__ratelimit(&in->heartbeat_log))
		pr_warn("instance %u: no heartbeat for %lu ms (hang_timeout_ms=%u): guest hung on CPU %u\n",
			in->id, age, kspawn_hang_timeout_ms, in->cpu[0]);
}

/* The guest's rings into the module's buffers; ring_lock held. */
static void drain_rings(struct kspawn_instance *in)
{
	kspawn_console_drain(&in->console, &in->con_out);
	kspawn_console_drain(&in->debug, &in->dbg_out);
	watch_state(in);
}

/*
 * A DEAD instance's rings too (its cores had INIT, Linux would not take
 * one back): what its guest wrote after the stop's last look is its last
 * words, there until the stop is retried.
 */
void kspawn_monitor_poll(struct kspawn_instance *in)
{
	u32 state = READ_ONCE(in->state);

	if (state != KSPAWN_HOST_RUNNING && state != KSPAWN_HOST_STOPPING &&
	    state != KSPAWN_HOST_DEAD)
		return;
	mutex_lock(&in->ring_lock);
	drain_rings(in);
	if (state == KSPAWN_HOST_RUNNING) {
		watch_heartbeat(in);
		watch_stray(in);
		learn_timer_clock(in);
	}
	mutex_unlock(&in->ring_lock);
}

/*
 * A start that failed after its guest ran, its cores had INIT: what the
 * guest wrote meanwhile (its boot lines, a panic) is the user's clue to
 * why.  The monitor leaves a LOADED instance alone, so this one look
 * keeps it for a console read and the stop's epitaph (epitaph.c); the
 * rings hold no more than one drain takes.
 */
void kspawn_monitor_last_words(struct kspawn_instance *in)
{
	mutex_lock(&in->ring_lock);
	drain_rings(in);
	mutex_unlock(&in->ring_lock);
}

static int monitor_fn(void *unused)
{
	while (!kthread_should_stop()) {
		kspawn_instance_poll_all();
		schedule_timeout_interruptible(msecs_to_jiffies(MONITOR_PERIOD_MS));
	}
	return 0;
}

int kspawn_monitor_start(void)
{
	monitor = kthread_run(monitor_fn, NULL, "kspawn-monitor");
	return PTR_ERR_OR_ZERO(monitor);
}

void kspawn_monitor_stop(void)
{
	kthread_stop(monitor);
}
