// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's doorbell as an instance's I/O sees it (the interrupt itself
 * is doorbell.c's): what each ring was for, read from hints the guest
 * writes (the queues' notify words, the devices' status), and who runs
 * for it: ksnetN's NAPI on this CPU, the device thread, or nobody; the
 * timed echo the doorbell rows measure; and the flood accounting, which
 * masks a guest whose rings bring nothing and polls it on a back-off.
 */
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <asm/msr.h>

#include "kspawn.h"
#include "io.h"

/* More empty rings than this in FLOOD_WINDOW_NS is a flood: mask it. */
#define FLOOD_EMPTY 50
#define FLOOD_WINDOW_NS (100 * NSEC_PER_MSEC)
#define FLOOD_MASK_NS (100 * NSEC_PER_MSEC)	/* doubled per flood in a row */
#define FLOOD_CALM_NS (10 * NSEC_PER_SEC)	/* ... unless this apart */
/* Rings to nothing forgiven for kicks that came before their rings. */
#define EXTRA_KICKS_MAX 64
/*
 * Echoes answered: one per ECHO_COST_NS on average, in bursts of up to
 * ECHO_BURST_NS worth (25 000: doorbench's 20 100 fit in one); beyond
 * that a ring is one to nothing, and a guest echoing in a loop is masked
 * as a flood.  Each echo costs this CPU an interrupt and an IPI.
 */
#define ECHO_COST_NS NSEC_PER_MSEC
#define ECHO_BURST_NS (25ULL * NSEC_PER_SEC)

/* Generic cell rate: an echo now fits the budget (and is charged). */
static bool echo_budget(struct kspawn_io *io)
{
	u64 now = ktime_get_ns(), due = max(io->echo_due, now);

	if (due - now > ECHO_BURST_NS)
		return false;
	io->echo_due = due + ECHO_COST_NS;
	return true;
}

/*
 * The guest asked for a timed echo (KSPAWN_F_DOORBELL_ECHO): stamp the
 * ring's arrival and answer with the guest's vector at once.  Once per
 * new seq, so a guest ringing the same seq over and over gets nothing,
 * and within the budget.  True if this ring was an echo request (it
 * brings the devices nothing); false counts it as a ring to nothing.
 */
static bool echo(struct kspawn_io *io)
{
	struct kspawn_echo *e = io->echo;
	u64 rx = rdtsc_ordered(), seq = READ_ONCE(e->seq);
	u32 vector;

	if (seq == io->echo_seq ||
	    !(READ_ONCE(io->hdr->guest_features) & KSPAWN_F_DOORBELL_ECHO) ||
	    !echo_budget(io))
		return false;
	io->echo_seq = seq;
	vector = READ_ONCE(e->vector);
	WRITE_ONCE(e->host_rx_tsc, rx);
	WRITE_ONCE(e->host_tx_tsc, rdtsc_ordered());
	if (vector >= 32 && vector <= 255)
		kspawn_io_notify(io->in, vector);
	return true;
}

/*
 * What a ring was for, by the queues' notify words and the devices'
 * status (hints: the guest writes them).  Kicks on a transmit queue of
 * ksnetN go to its NAPI, on this CPU, as a NIC's interrupt would, if the
 * ring woke it from idle; a kick on any other queue (or on a busy CPU)
 * or a status change wakes the device thread.  A ring
 * that shows none of these wakes it too, to be counted as empty, unless
 * the rings before carried more kicks than interrupts came (two IPIs
 * merged into one, or one handler saw the kick of the next ring), or it
 * asked only for the timed echo.  Rings the guest merged are the other
 * way round: one interrupt for several kicks, all seen here.
 */
static bool ring_needs_thread(struct kspawn_io *io, bool echoed)
{
	u32 net = 0, others = 0, tx;
	bool status = false;

	if (io->has_blk) {
		others = kb_device_notified(&io->blk.dev, io->blk_seen,
					    &io->extra_kicks);
		status = kb_device_status_changed(&io->blk.dev);
	}
	if (io->has_net) {
		net = kb_device_notified(&io->net.dev, io->net_seen,
					 &io->extra_kicks);
		status |= kb_device_status_changed(&io->net.dev);
	}
	tx = net & kb_net_tx_queues();
	others |= net & ~tx;
	if (tx && !kspawn_netdev_tx_rung(io, tx))
		others |= tx;
	if (others || status)
		return true;
	if (tx || echoed)
		return false;
	if (io->extra_kicks) {
		io->extra_kicks = min(io->extra_kicks - 1, EXTRA_KICKS_MAX);
		return false;
	}
	return true;
}

/*
 * The guest rang.  The thread pointer is read without net_lock (this is
 * hard-irq context); kspawn_io_silence() clears it, then waits for this
 * handler with synchronize_irq(): no ring schedules anything for a
 * stopped instance (a NAPI poll scheduled before may still run: it finds
 * the state not RUNNING, and sends no IPI).
 */
static irqreturn_t doorbell_irq(int irq, void *ctx)
{
	struct kspawn_io *io = ctx;
	struct task_struct *t = READ_ONCE(io->thread);
	bool echoed;

	io->doorbells++;
	echoed = io->echo && echo(io);
	if (!t || !ring_needs_thread(io, echoed))
		return IRQ_HANDLED;
	atomic_inc(&io->thread_rings);
	/* Counted first: a thread that sees the bit sees the count. */
	smp_mb__after_atomic();
	set_bit(KICK_GUEST, &io->kicks);
	if (wake_up_process(t))
		io->doorbell_wakes++;
	return IRQ_HANDLED;
}

/*
 * From ksnetN's NAPI (softirq): a ring it answered found no frames, and
 * none were taken since the ring before.  The thread counts them as its
 * own empty rings, so a flood through the transmit queues is masked too.
 * (The stop clears io->thread before it stops the thread, and NAPI is
 * disabled only later, at teardown: a poll may still see the old task.
 * It stays valid here, as softirq context is an RCU reader and a dead
 * task's struct is freed only after a grace period.)
 */
void kspawn_io_empty_ring(struct kspawn_io *io)
{
	struct task_struct *t = READ_ONCE(io->thread);

	atomic_inc(&io->empty_rings);
	set_bit(KICK_EMPTY, &io->kicks);
	if (t)
		wake_up_process(t);
}

/*
 * A driver rings only when the device asked for a kick and only after it
 * made buffers available (or changed its status), so a ring that brings
 * the thread nothing is the guest's fault, whether it woke the thread or
 * came while it polled (a flood keeps it from ever sleeping).  More than
 * FLOOD_EMPTY such rings counted within FLOOD_WINDOW_NS (counted when the
 * thread looks, not when they came) is a flood: the doorbell is masked
 * and the devices are polled on a back-off instead, for a time that
 * doubles with each flood in a row: what a flooding guest makes the I/O
 * thread do stays bounded.
 */
static void note_rings(struct kspawn_instance *in, unsigned int rings)
{
	struct kspawn_io *io = in->io;
	u64 now = ktime_get_ns();

	if (now - io->window_start > FLOOD_WINDOW_NS) {
		io->window_start = now;
		io->window_empty = 0;
	}
	/*
	 * Kicks that brought nothing were not merged rings of real work:
	 * whatever credit they earned (ring_needs_thread()) goes, or one
	 * ring claiming many kicks would buy that many free rings to
	 * nothing, over and over (hostile credit).  Racy against the
	 * handler by design: a lost update moves a hint, not a bound.
	 */
	WRITE_ONCE(io->extra_kicks, 0);
	/* Masked already: rings in flight as it was masked change nothing. */
	if (!rings || io->flooded || !io->doorbell.irq)
		return;
	io->window_empty += min(rings, FLOOD_EMPTY + 1U);
	if (io->window_empty <= FLOOD_EMPTY)
		return;
	if (now - io->flood_until > FLOOD_CALM_NS)
		io->flood_streak = 0;
	io->flood_until = now + (FLOOD_MASK_NS << min(io->flood_streak, 4U));
	io->flood_streak++;
	io->floods++;
	disable_irq(io->doorbell.irq);
	WRITE_ONCE(io->flooded, true);
	pr_info_ratelimited("instance %u: doorbell flood (over %u rings to nothing in %ld ms): masked for %llu ms, devices polled\n",
			    in->id, FLOOD_EMPTY, FLOOD_WINDOW_NS / NSEC_PER_MSEC,
			    (io->flood_until - now) / NSEC_PER_MSEC);
}

/* The queues set up, all devices: at most one stray ring each per burst. */
static unsigned int queues_up(struct kspawn_io *io)
{
	unsigned int n = 0;

	if (io->has_blk)
		n += hweight32(READ_ONCE(io->blk.dev.queues_up));
	if (io->has_net)
		n += hweight32(READ_ONCE(io->net.dev.queues_up));
	return max(n, 1U);
}

/*
 * The thread looked at the rings the handler passed it since its last
 * look (rings), and found work or not.  Every ring of an empty look
 * counts, not one per look: a thread short of CPU looks seldom, and one
 * look may cover hundreds of rings (under QEMU TCG a flood of a million
 * rings a second went unmasked in about one boot in six when each look
 * counted one).  Except right after a look that found work: that look
 * may have taken the work of a burst whose rings, one per queue, land
 * now, so up to one ring per queue set up is forgiven.  A flood woven
 * between requests still counts all its other rings.
 */
void kspawn_io_note_look(struct kspawn_instance *in, bool empty,
			 unsigned int rings)
{
	struct kspawn_io *io = in->io;

	if (!rings)
		return;
	if (!empty) {
		io->looked_empty = false;
		return;
	}
	if (!io->looked_empty)
		rings -= min(rings, queues_up(io));
	io->looked_empty = true;
	note_rings(in, rings);
}

/* ksnetN's NAPI answered rings and found no frame (each judged alone). */
void kspawn_io_note_empty(struct kspawn_instance *in, unsigned int rings)
{
	if (rings)
		note_rings(in, rings);
}

/* The doorbell back once a flood's mask time is over. */
void kspawn_io_unflood(struct kspawn_instance *in)
{
	struct kspawn_io *io = in->io;

	if (ktime_get_ns() < io->flood_until)
		return;
	WRITE_ONCE(io->flooded, false);
	enable_irq(io->doorbell.irq);
}

/*
 * Offer the guest a doorbell, on CPU 0 or the CPU the user named; without
 * one it is polled, as before.  A named CPU that cannot take it fails the
 * load: the user asked for something we cannot give.
 */
int kspawn_io_create_doorbell(struct kspawn_instance *in,
			      const struct kspawn_ioc_load *req)
{
	bool named = req->flags & KSPAWN_LOAD_DOORBELL_CPU;
	unsigned int cpu = named ? req->doorbell_cpu : 0;
	struct kspawn_io *io = in->io;
	int err;

	for (unsigned int i = 0; named && i < in->ncpus; i++) {
		if (in->cpu[i] == cpu) {
			pr_info_ratelimited("instance %u: doorbell CPU %u is one of the guest's own\n",
					    in->id, cpu);
			return -EINVAL;
		}
	}
	snprintf(io->doorbell_name, sizeof(io->doorbell_name),
		 "kspawn-doorbell-%u", in->id);
	/*
	 * Everything the handler uses is in place before request_irq():
	 * any guest may send any vector, this one included, at any time.
	 */
	io->echo = &in->hdr->echo;
	io->hdr = in->hdr;
	err = kspawn_doorbell_create(&io->doorbell, io->doorbell_name, cpu,
				     doorbell_irq, io);
	if (err && named) {
		pr_info_ratelimited("instance %u: no doorbell on CPU %u (%d%s)\n", in->id,
				    cpu, err, err == -ENODEV ? ": not online" : "");
		/* One errno for what kspawnctl cannot check itself. */
		return err == -ENODEV || err == -EADDRINUSE ? err :
		       -EADDRNOTAVAIL;
	}
	if (err) {
		pr_info("instance %u: no doorbell (%d); its devices are polled\n",
			in->id, err);
		return 0;
	}
	in->hdr->host_apic_id = io->doorbell.apic_id;
	in->hdr->host_doorbell_vector = io->doorbell.vector;
	in->hdr->host_features |= KSPAWN_F_IPI_DOORBELL |
				  KSPAWN_F_DOORBELL_ECHO;
	return 0;
}
