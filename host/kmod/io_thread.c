// SPDX-License-Identifier: GPL-2.0
/*
 * The life of an instance's device thread, kspawn-io/N (what it does
 * while it runs is io.c's): made at load, idle until the start makes it
 * the instance's, silenced before the guest's cores go back to Linux
 * (no IPI from it after), stopped after (it may wait for a hung disk).
 * Made at load, not at start, because kthread_create() gives up on a
 * fatal signal: at load that fails the load, at start it left a running
 * guest without its devices.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "kspawn.h"
#include "io.h"

/*
 * Idle until the start makes it the instance's: TASK_IDLE, since a
 * kthread never woken waits in D state (and counts in the load average).
 */
static int io_thread(void *arg)
{
	struct kspawn_instance *in = arg;
	struct kspawn_io *io = in->io;

	for (;;) {
		set_current_state(TASK_IDLE);
		if (READ_ONCE(io->thread) || kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return kspawn_io_serve(in);
}

/* With no device too, for a doorbell: it counts the rings. */
int kspawn_io_make_thread(struct kspawn_instance *in)
{
	struct kspawn_io *io = in->io;
	struct task_struct *t;

	if (!io->has_blk && !io->has_net && !io->doorbell.irq)
		return 0;
	t = kthread_create(io_thread, in, "kspawn-io/%u", in->id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	io->made = t;
	wake_up_process(t);
	return 0;
}

/* Called with net_lock held, so the thread cannot be stopped under it. */
void kspawn_io_kick(struct kspawn_io *io)
{
	set_bit(KICK_HOST, &io->kicks);
	if (io->thread)
		wake_up_process(io->thread);
}

/*
 * Set io->thread, and return the old one.  ksnet_xmit() kicks the thread
 * under net_lock, so it changes under that lock: no kick reaches a thread
 * that is being stopped.
 */
static struct task_struct *swap_thread(struct kspawn_io *io,
				       struct task_struct *t)
{
	struct task_struct *old;
	unsigned long flags = 0;

	if (io->has_net)
		spin_lock_bh(&io->net_lock);
	if (io->has_blk)
		kb_lock(&io->blk.lock, flags);
	old = io->thread;
	WRITE_ONCE(io->thread, t);
	if (io->has_blk)
		kb_unlock(&io->blk.lock, flags);
	if (io->has_net)
		spin_unlock_bh(&io->net_lock);
	return old;
}

/* The guest runs: its device thread too (made at load: kspawn_io_make_thread()). */
void kspawn_io_start(struct kspawn_instance *in)
{
	struct task_struct *t = in->io->made;

	if (!t)
		return;
	in->io->made = NULL;
	/*
	 * Known to the doorbell's handler before it first polls (it leaves
	 * its idle wait once known): a ring that finds no thread is dropped,
	 * and a thread that polled first could find nothing, sleep with no
	 * timeout and never hear of the guest's first request.  Known first,
	 * a ring wakes it (or its first poll, later, finds the work).
	 */
	swap_thread(in->io, t);
	if (kspawn_test_io_start_delay_ms)
		msleep(kspawn_test_io_start_delay_ms);
	wake_up_process(t);
}

/*
 * A stop waits for the device thread to end and then for the disk's
 * requests in flight, and a disk can hold either for ever: a write into
 * a frozen file system waits for the thaw in the thread, a hung path
 * keeps its bios.  Said after STOP_WATCH_FIRST seconds and then each
 * STOP_WATCH_NEXT, so that the stopper (kspawnctl stop relays these
 * lines) and the log show what it waits for.
 */
#define STOP_WATCH_FIRST 5
#define STOP_WATCH_NEXT 60

struct stop_watch {
	struct delayed_work work;
	struct kspawn_instance *in;
	unsigned int waited;		/* seconds */
};

static void stop_watch_fn(struct work_struct *work)
{
	struct stop_watch *w = container_of(to_delayed_work(work),
					    struct stop_watch, work);
	struct kspawn_io *io = w->in->io;

	w->waited += w->waited ? STOP_WATCH_NEXT : STOP_WATCH_FIRST;
	pr_info("instance %u: the stop has waited %u s for its device thread and %u disk requests in flight (a frozen file system? a hung disk?)\n",
		w->in->id, w->waited,
		io->has_blk ? READ_ONCE(io->blk.inflight) : 0);
	schedule_delayed_work(&w->work, STOP_WATCH_NEXT * HZ);
}

/*
 * A stop's first half, with the state no longer RUNNING: no IPI to the
 * guest from the backends after this, so its cores may go back to Linux.
 * The thread, out of io->thread, runs on until kspawn_io_drain().
 */
void kspawn_io_silence(struct kspawn_instance *in)
{
	if (!in->io)
		return;
	/*
	 * Even without a thread: once these return, no doorbell handler and
	 * no ksnet xmit still acts on a RUNNING state it read before the
	 * stop (an echo or a notify would IPI a core Linux may have back).
	 */
	in->io->stopping = swap_thread(in->io, NULL);
	/*
	 * No guest serves ksnetN from here on: its link goes down now, and
	 * for good, though the thread runs on until the drain: it sets the
	 * carrier under net_lock, never up once io->thread is gone.
	 */
	kspawn_netdev_carrier_off(in->io);
	if (in->io->doorbell.irq)
		synchronize_irq(in->io->doorbell.irq);
	/*
	 * The net device's IPIs go out after net_lock, under ipi_lock: one
	 * begun before the state left RUNNING is over once we hold it, and
	 * any later one sees the new state and sends nothing.
	 */
	spin_lock_bh(&in->io->ipi_lock);
	spin_unlock_bh(&in->io->ipi_lock);
	/*
	 * And the thread, still running, or a disk's completion: a notify
	 * that saw RUNNING before the stop has sent its IPI once this
	 * returns (kspawn_io_notify()); any later one sees the new state.
	 * Without a thread (never started, or silenced before) there is
	 * neither: no grace period to wait.
	 */
	if (in->io->stopping)
		synchronize_rcu();
}

/*
 * Its second half: the thread's end, then the disk's requests in flight,
 * which write guest memory until they end.  The stop calls it once the
 * guest's cores had INIT, so that neither a forced stop nor a polite one
 * leaves the guest running while its disk hangs.
 */
void kspawn_io_drain(struct kspawn_instance *in)
{
	struct stop_watch watch;
	struct task_struct *t;

	if (!in->io)
		return;
	t = in->io->stopping;
	in->io->stopping = NULL;
	if (!t)
		return;
	INIT_DELAYED_WORK_ONSTACK(&watch.work, stop_watch_fn);
	watch.in = in;
	watch.waited = 0;
	schedule_delayed_work(&watch.work, STOP_WATCH_FIRST * HZ);
	kthread_stop(t);
	/* No one submits now; what is in flight still writes guest memory. */
	if (in->io->has_blk)
		kb_blk_drain(&in->io->blk);
	cancel_delayed_work_sync(&watch.work);
	destroy_delayed_work_on_stack(&watch.work);
	if (in->io->flooded) {
		in->io->flooded = false;
		enable_irq(in->io->doorbell.irq);
	}
}

void kspawn_io_stop(struct kspawn_instance *in)
{
	kspawn_io_silence(in);
	kspawn_io_drain(in);
}

/* The instance goes: its thread, started or not, ends. */
void kspawn_io_end_thread(struct kspawn_instance *in)
{
	kspawn_io_stop(in);
	/* Never started: it ends from its idle wait, having polled nothing. */
	if (in->io->made)
		kthread_stop(in->io->made);
}
