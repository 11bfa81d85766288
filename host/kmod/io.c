// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's virtio devices (host/backend/, device side) and the kernel
 * thread that serves them (started for an instance with no device too,
 * if it has a doorbell: it counts the rings, so that a flood is masked).
 *
 * After the thread found work it keeps polling for a while (poll_ns,
 * adapted as KVM adapts halt polling), because a guest that just got a
 * completion or a frame usually posts the next request within
 * microseconds.  Then, if the guest took the doorbell (ABI: an interrupt
 * on a host CPU it sends an IPI to, doorbell.c), the thread asks the
 * driver for kicks, looks once more and sleeps with no timeout: an idle
 * guest costs the host nothing.  A guest without a doorbell (older, or
 * masked for flooding) is polled with a back-off up to 2 ms, and a frame
 * the host sends it (ksnetN) wakes the thread, since a reply is likely to
 * follow.  With the doorbell, a ring for a transmit queue of ksnetN that
 * woke the doorbell's CPU from idle schedules its NAPI from the handler
 * (ring_needs_thread()); on a busy CPU it wakes the thread, which polls
 * the frames to NAPI from its own CPU while they keep coming.  ksnetN
 * down: the thread drops them.  Each poll
 * does a bounded amount of work whatever the guest posts.  The thread's
 * life (made at load, started, stopped) is io_thread.c's.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/netdevice.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <asm/msr.h>

#include "kspawn.h"
#include "io.h"

#define POLL_BUDGET 64
#define BACKOFF_MAX_US 2000
/* Rounds a device may say "pending" with nothing found before backing off. */
#define IDLE_PENDING_MAX 64
#define POLL_MIN_NS (10 * NSEC_PER_USEC)	/* halt polling's range */
#define POLL_MAX_NS (200 * NSEC_PER_USEC)

static const struct kb_device_ops io_ops = { .notify = kspawn_io_notify };

static struct kspawn_device *slot(struct kspawn_instance *in, u32 i)
{
	return (void *)in->hdr + in->hdr->devices_off +
	       i * sizeof(struct kspawn_device);
}

/*
 * The request's disk: its path terminated, a RAM disk's size within
 * KSPAWN_RAMDISK_MAX_BYTES and the network mode known, as ioctl.c's
 * load_args() checked before anything was made.
 */
static int open_disk(struct kspawn_io *io, const struct kspawn_ioc_load *req,
		     u64 *bytes)
{
	if (req->disk_path[0]) {
		int err;

		io->disk = kspawn_disk_open(req->disk_path,
					    req->flags & KSPAWN_LOAD_WRITEBACK,
					    &io->region, bytes);
		err = PTR_ERR_OR_ZERO(io->disk);
		/*
		 * What the file's own filesystem said (FUSE passes its
		 * daemon's errno) must not read as the module's instance
		 * limit (EMFILE) or pool (ENOSPC): the log line says which.
		 */
		return err == -EMFILE || err == -ENOSPC ? -EIO : err;
	}
	*bytes = req->ramdisk_bytes;
	io->ram = kb_ram_new(*bytes);
	if (!io->ram)
		return -ENOMEM;
	io->ram_pages = DIV_ROUND_UP_ULL(*bytes, PAGE_SIZE);
	kspawn_count(KSPAWN_CNT_RAMDISK_PAGES, io->ram_pages);
	return 0;
}

static int create_net(struct kspawn_instance *in, u32 mode, u32 index)
{
	struct kspawn_io *io = in->io;
	u8 mac[6];
	int err;

	spin_lock_init(&io->net_lock);
	kspawn_mac(mac, in->id, false);
	kb_net_init(&io->net, slot(in, index), &io->region, &kspawn_io_net_ops, in,
		    mode == KSPAWN_NET_NETDEV ? KB_NET_HOST : KB_NET_LOOPBACK,
		    &kspawn_netdev_ops, io, mac);
	io->has_net = true;
	in->hdr->ndevices = index + 1;
	if (mode == KSPAWN_NET_NETDEV) {
		err = kspawn_netdev_create(in);
		if (err)
			return err;
	}
	pr_info("instance %u: virtio-net, %s\n", in->id,
		io->netdev ? io->netdev->name : "loopback");
	return 0;
}

/*
 * Under the blk lock, from a completion (any context): the last request
 * in flight is done, so a parked FLUSH can run and the driver's next
 * request is on its way (soon: poll for it); a written-through write
 * waits for its flush; or a request waits a millisecond or more for a
 * retry (not soon: the bit only keeps io_sleep() from missing the wake).
 * swap_thread() (io_thread.c) takes the same lock, so the thread is not
 * gone meanwhile.
 */
static void wake_for_blk(void *ctx, int soon)
{
	struct kspawn_io *io = ctx;

	set_bit(soon ? KICK_IDLE : KICK_RETRY, &io->kicks);
	if (io->thread)
		wake_up_process(io->thread);
}

int kspawn_io_create(struct kspawn_instance *in,
		     const struct kspawn_ioc_load *req)
{
	struct kspawn_io *io = kvzalloc(sizeof(*io), GFP_KERNEL);
	u64 bytes = 0;
	int err;

	if (!io)
		return -ENOMEM;
	kspawn_count(KSPAWN_CNT_IO, 1);
	in->io = io;
	io->in = in;
	spin_lock_init(&io->ipi_lock);
	io->region = (struct kb_region){ in->region, in->region_phys,
					 in->region_size };
	err = kspawn_io_create_doorbell(in, req);
	if (err)
		return err;
	if (req->net_mode) {
		err = create_net(in, req->net_mode,
				 req->disk_path[0] || req->ramdisk_bytes);
		if (err)
			return err;
	}
	if (!req->disk_path[0] && !req->ramdisk_bytes)
		return kspawn_io_make_thread(in);
	if (io->has_net && slot(in, 0) == io->net.dev.slot)
		return -EINVAL;
	err = open_disk(io, req, &bytes);
	if (err) {
		io->disk = NULL;
		return err;
	}
	kb_blk_init(&io->blk, slot(in, 0), &io->region, &io_ops, in,
		    io->disk ? kspawn_disk_ops(io->disk) : &kb_ram_ops,
		    io->disk ? (void *)io->disk : io->ram, bytes, "kspawn-blk");
	/*
	 * Only a block device refuses a bio smaller than its block; a file's
	 * misaligned I/O goes buffered, and its blk_size stays 512 wherever
	 * the file lives (a guest's partition table depends on it).
	 */
	if (io->disk && io->disk->bdev)
		kb_blk_set_block_size(&io->blk, io->disk->align);
	if (io->disk && !io->disk->zeroes) {
		kb_blk_withhold_ranges(&io->blk);
		pr_info("instance %u: %s has no write-zeroes offload: DISCARD and WRITE_ZEROES not offered\n",
			in->id, req->disk_path);
	}
	io->blk.wake = wake_for_blk;
	io->blk.wake_ctx = io;
	io->has_blk = true;
	if (!in->hdr->ndevices)
		in->hdr->ndevices = 1;
	pr_info("instance %u: virtio-blk, %llu MiB on %s\n", in->id,
		bytes >> 20, io->disk ? req->disk_path : "RAM");
	return kspawn_io_make_thread(in);
}

/*
 * A poll's work as the thread counts it.  Status changes (resets,
 * negotiation, queue set-up) count at most TRANSITIONS_MAX times a
 * window: a bring-up takes a handful, while a guest that resets a device
 * in a loop, ringing each time, must not pass for a busy one: its rings
 * would never count towards the flood guard, and its thread never sleep.
 */
#define TRANSITIONS_MAX 16
#define TRANSITIONS_WINDOW_NS (100 * NSEC_PER_MSEC)

static int counted_work(struct kspawn_io *io, const struct kb_device *d,
			u64 before, int work)
{
	u64 now;

	if (d->transitions == before)
		return work;
	now = ktime_get_ns();
	if (now - io->transitions_start > TRANSITIONS_WINDOW_NS) {
		io->transitions_start = now;
		io->transitions_seen = 0;
	}
	return ++io->transitions_seen <= TRANSITIONS_MAX ? work : 0;
}

static int poll_net(struct kspawn_io *io)
{
	u64 before;
	int work;

	spin_lock_bh(&io->net_lock);
	before = io->net.dev.transitions;
	work = kb_device_poll(&io->net.dev, POLL_BUDGET);
	work = counted_work(io, &io->net.dev, before, work);
	/* Under net_lock, which the stop's swap of io->thread takes. */
	kspawn_netdev_carrier(io);
	kspawn_io_net_unlock_bh(io);
	return work;
}

/*
 * The blk device under a plug: the bios (or direct kiocbs) one poll
 * starts reach the device together, one doorbell write for the batch on
 * NVMe.  A reset drains only at the start of a poll, before anything is
 * plugged, and a FLUSH waits (sleeping, which unplugs) or is parked until
 * a later poll, so nothing waits on a bio held in the plug.
 */
static int poll_blk(struct kspawn_io *io)
{
	u64 before = io->blk.dev.transitions;
	struct blk_plug plug;
	int work;

	/* It may block (a FLUSH, buffered I/O): NAPI takes the frames. */
	WRITE_ONCE(io->thread_at, THREAD_BLOCKS);
	blk_start_plug(&plug);
	work = kb_device_poll(&io->blk.dev, POLL_BUDGET);
	blk_finish_plug(&plug);
	WRITE_ONCE(io->thread_at, THREAD_POLLS);
	return counted_work(io, &io->blk.dev, before, work);
}

/* Both devices, a bounded amount of work each; the work done. */
static int poll_devices(struct kspawn_io *io)
{
	int work = io->has_blk ? poll_blk(io) : 0;

	if (io->has_net)
		work += poll_net(io);
	io->polls++;
	return work;
}

/* Kicks on for every device that takes them; 1 if work came meanwhile. */
static int kicks_on(struct kspawn_io *io)
{
	int pending = 0;

	if (io->has_blk)
		pending |= kb_device_kicks_on(&io->blk.dev);
	if (io->has_net) {
		spin_lock_bh(&io->net_lock);
		pending |= kb_device_kicks_on(&io->net.dev);
		kspawn_io_net_unlock_bh(io);
	}
	return pending;
}

static void kicks_off(struct kspawn_io *io)
{
	if (io->has_blk)
		kb_device_kicks_off(&io->blk.dev);
	if (io->has_net) {
		spin_lock_bh(&io->net_lock);
		kb_device_kicks_off(&io->net.dev);
		kspawn_io_net_unlock_bh(io);
	}
}

/*
 * Sleep until kspawn_io_kick() or the doorbell, or at most timeout_us if
 * that is not 0.  The flag is looked at after the state is set, so a kick
 * that came just before is not slept through.  Returns the time slept.
 */
static u64 io_sleep(struct kspawn_io *io, unsigned int timeout_us)
{
	u64 t0 = ktime_get_ns();
	ktime_t t = ktime_add_us(ns_to_ktime(t0), timeout_us);

	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop() && !READ_ONCE(io->kicks)) {
		if (timeout_us)
			schedule_hrtimeout_range(&t, timeout_us / 2 * NSEC_PER_USEC,
						 HRTIMER_MODE_ABS);
		else
			schedule();
	}
	__set_current_state(TASK_RUNNING);
	io->sleeps++;
	return ktime_get_ns() - t0;
}

/* The guest rings its doorbell when it has work for us: we may sleep. */
bool kspawn_io_doorbell_used(struct kspawn_io *io)
{
	return io->doorbell.irq && !READ_ONCE(io->flooded) &&
	       (READ_ONCE(io->hdr->guest_features) & KSPAWN_F_IPI_DOORBELL);
}

/*
 * Halt polling, as KVM does it: a wake-up that came within POLL_MAX_NS of
 * going to sleep would have been caught by polling longer, so poll longer
 * next time; a long sleep says polling was wasted, so poll less.
 */
static u64 adapt_poll(u64 poll_ns, u64 slept_ns)
{
	if (slept_ns < POLL_MAX_NS)
		return min_t(u64, max_t(u64, poll_ns * 2, POLL_MIN_NS),
			     POLL_MAX_NS);
	return poll_ns / 2;
}

/*
 * With a doorbell: kicks on, one last look, then sleep for as long as it
 * takes.  A wake-up by the blk device's last completion says nothing of
 * how soon the guest posts (the sleep was the I/O's): poll_ns stays.
 */
static bool sleep_for_doorbell(struct kspawn_io *io, u64 *poll_ns)
{
	bool slept = false;

	/* From here NAPI asks for the guest's transmit kicks again. */
	WRITE_ONCE(io->thread_at, THREAD_SLEEPS);
	if (!kicks_on(io)) {
		u64 ns = io_sleep(io, 0);

		io->tx_handed = false;	/* before the sleep: not this wake's */
		/* Woken by an I/O, not by the guest: no say on the window. */
		if (!(READ_ONCE(io->kicks) &
		      (BIT(KICK_IDLE) | BIT(KICK_RETRY))))
			*poll_ns = adapt_poll(*poll_ns, ns);
		slept = true;
	}
	WRITE_ONCE(io->thread_at, THREAD_POLLS);
	kicks_off(io);
	return slept;
}

/* The device thread, once started (io_thread.c), until it is stopped. */
int kspawn_io_serve(struct kspawn_instance *in)
{
	struct kspawn_io *io = in->io;
	unsigned int backoff = 0, idle_pending = 0;
	u64 last_work = 0, poll_ns = POLL_MIN_NS, window = POLL_MIN_NS;

	WRITE_ONCE(io->thread_at, THREAD_POLLS);
	while (!kthread_should_stop()) {
		int work = poll_devices(io);
		unsigned long kicks = xchg(&io->kicks, 0);

		/*
		 * A ring is empty if nothing came since the one before: the
		 * thread, awake, may have taken the request before the ring
		 * that announced it arrived.
		 */
		/* Frames it handed to NAPI: work, to poll on for the next. */
		work += io->tx_handed;
		io->tx_handed = false;
		io->busy_polls += !!work;
		/* A ring whose frames NAPI took (it polls again on its own). */
		io->worked |= work || test_and_clear_bit(0, &io->napi_worked);
		/*
		 * A look that found work clears the rings it took; an empty
		 * one is judged only when the guest alone caused it, else
		 * its rings wait for the next (io_doorbell.c counts them).
		 */
		if (kicks & BIT(KICK_GUEST)) {
			if (io->worked || kicks == BIT(KICK_GUEST))
				kspawn_io_note_look(in, !io->worked,
						    atomic_xchg(&io->thread_rings, 0));
			io->worked = false;
		}
		if (kicks & BIT(KICK_EMPTY))
			kspawn_io_note_empty(in, atomic_xchg(&io->empty_rings, 0));
		/*
		 * After the blk device's last completion the guest is about
		 * to post its next request: poll the longest, so that it
		 * needs no doorbell and no wake-up.  After work, poll_ns.
		 */
		if (kicks & BIT(KICK_IDLE))
			window = POLL_MAX_NS;
		else if (work)
			window = poll_ns;
		/* A retry's wake is no work: the back-off goes on. */
		if (work || (kicks & ~BIT(KICK_RETRY))) {
			backoff = 0;
			idle_pending = 0;
			last_work = ktime_get_ns();
			cond_resched();
			continue;
		}
		if (ktime_get_ns() - last_work < window) {
			cpu_relax();
			cond_resched();
			continue;
		}
		if (READ_ONCE(io->flooded))
			kspawn_io_unflood(in);
		/*
		 * A device that says "pending" round after round while its
		 * poll finds nothing would hold this CPU for ever (the guest
		 * need not ring): it backs off as without a doorbell until
		 * the poll finds work again.
		 */
		if (kspawn_io_doorbell_used(io) &&
		    idle_pending < IDLE_PENDING_MAX) {
			if (sleep_for_doorbell(io, &poll_ns))
				idle_pending = 0;
			else
				idle_pending++;
			cond_resched();
			continue;
		}
		/*
		 * No doorbell (or masked, or pending for nothing): back off.
		 * With no device there is nothing to poll, only a mask to lift.
		 */
		backoff = backoff ? min(backoff * 2, BACKOFF_MAX_US) : 10;
		io_sleep(io, (io->has_blk || io->has_net ||
			      READ_ONCE(io->flooded)) ? backoff : 0);
	}
	return 0;
}

void kspawn_io_destroy(struct kspawn_instance *in)
{
	struct kspawn_io *io = in->io;

	if (!io)
		return;
	kspawn_io_end_thread(in);
	kspawn_doorbell_destroy(&io->doorbell);
	if (io->has_net)
		pr_info("instance %u: net: thread %llu polls (%llu found work), %llu sleeps; %llu of %llu doorbells woke it; %llu interrupts to the guest\n",
			in->id, io->polls, io->busy_polls, io->sleeps,
			io->doorbell_wakes, io->doorbells, io->guest_irqs);
	kspawn_netdev_destroy(io);
	if (io->disk) {
		pr_info("instance %u: disk: %llu direct requests (%llu bounced), at most %d in flight, %llu buffered, %llu held for a retry; %llu of %llu doorbells woke the thread, %llu interrupts to the guest\n",
			in->id, io->disk->direct_ios, io->disk->bounced,
			atomic_read(&io->disk->max_inflight),
			io->disk->buffered_ios, io->blk.retries,
			io->doorbell_wakes,
			io->doorbells, io->guest_irqs);
		kspawn_disk_close(io->disk);
	}
	kb_ram_free(io->ram);
	kspawn_count(KSPAWN_CNT_RAMDISK_PAGES, -(long)io->ram_pages);
	kvfree(io);
	kspawn_count(KSPAWN_CNT_IO, -1);
	in->io = NULL;
}
