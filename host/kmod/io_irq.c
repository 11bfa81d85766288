// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's interrupts to its guest: an IPI to the vector the guest
 * chose, never to a core that went back to Linux.  The net device's wait
 * until net_lock is dropped, and while the device thread polls they are
 * its to send (host/kmod/README.md, "Devices").
 */
#include <linux/bitops.h>
#include <linux/ktime.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include "kspawn.h"
#include "io.h"

void kspawn_io_notify(void *ctx, u32 vector)
{
	struct kspawn_instance *in = ctx;
	u32 state = READ_ONCE(in->state);

	/*
	 * Never an IPI to a core that went back to Linux.  STARTING too: a
	 * guest that boots fast rings (and its devices answer) before the
	 * start ioctl has seen it up; its cores are already ours.
	 */
	if (state == KSPAWN_HOST_RUNNING || state == KSPAWN_HOST_STARTING) {
		kspawn_instance_ipi(in, vector);
		if (in->io)
			in->io->guest_irqs++;	/* racy: a statistic */
	}
}

/*
 * The net device's interrupts wait until net_lock is dropped.  An IPI is
 * the dearest step of a host transmit (a write to the local APIC; under
 * QEMU's TCG an emulated one, 9-22 us measured), and sent under the lock it held
 * up every other user of the device: the thread's polls, NAPI on another
 * CPU, the next transmit.  Noted here (net_lock held), sent by
 * kspawn_io_net_irqs() after the unlock.
 */
static void notify_net(void *ctx, u32 vector)
{
	struct kspawn_instance *in = ctx;

	set_bit(vector, in->io->net_irqs);
}

const struct kb_device_ops kspawn_io_net_ops = { .notify = notify_net };

/* A polling thread that looked longer ago than this may be held up. */
#define IRQ_STALE_NS (200 * NSEC_PER_USEC)

/*
 * After net_lock: the interrupts noted under it, each vector once however
 * many publishes asked for it (the guest's handler looks at every queue
 * of the vector).  While the device thread polls on another CPU they are
 * left to it: it looks again within microseconds and sends them from a
 * CPU that was only polling, so the host CPU that transmits (the sender's
 * own, with the sender's stack) does not pay for the IPI, and the
 * transmits between two of its looks share one.  Otherwise whoever drops
 * the lock sends what is noted.  Under ipi_lock, which kspawn_io_stop()
 * takes after the state left RUNNING: no IPI goes out after the stop.
 */
void kspawn_io_net_irqs(struct kspawn_io *io)
{
	unsigned long bits;
	unsigned int w, b;
	bool any = false;
	int cpu;

	for (w = 0; w < ARRAY_SIZE(io->net_irqs); w++)
		any |= !!READ_ONCE(io->net_irqs[w]);
	if (!any)
		return;
	/* Our bits before its CPU: pairs with kspawn_io_irq_sender_off(). */
	smp_mb();
	cpu = READ_ONCE(io->irq_cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id() &&
	    ktime_get_ns() - READ_ONCE(io->irq_stamp) < IRQ_STALE_NS)
		return;
	spin_lock_bh(&io->ipi_lock);
	for (w = 0; w < ARRAY_SIZE(io->net_irqs); w++) {
		bits = xchg(&io->net_irqs[w], 0);
		for_each_set_bit(b, &bits, BITS_PER_LONG) {
			kspawn_io_notify(io->in, w * BITS_PER_LONG + b);
			io->poller_irqs += cpu == raw_smp_processor_id();
		}
	}
	spin_unlock_bh(&io->ipi_lock);
}

/*
 * Before the thread sleeps, blocks or yields: interrupts from now on are
 * their senders' to send, and what was left to us goes out now (a sender
 * that saw irq_cpu still set left its bits, which we see after the
 * barrier).
 */
void kspawn_io_irq_sender_off(struct kspawn_io *io)
{
	if (READ_ONCE(io->irq_cpu) < 0)
		return;
	WRITE_ONCE(io->irq_cpu, -1);
	/* Pairs with kspawn_io_net_irqs(): its bits, or it sees -1. */
	smp_mb();
	kspawn_io_net_irqs(io);
}

/*
 * The thread polls (with the doorbell: without one it sleeps between
 * polls): it sends the net device's interrupts, from here until
 * kspawn_io_irq_sender_off(), looking at least once a loop.
 */
void kspawn_io_irq_sender_on(struct kspawn_io *io, u64 now)
{
	if (!io->has_net)
		return;
	if (!kspawn_io_doorbell_used(io)) {	/* masked since the last loop */
		kspawn_io_irq_sender_off(io);
		return;
	}
	WRITE_ONCE(io->irq_stamp, now);
	WRITE_ONCE(io->irq_cpu, raw_smp_processor_id());
}
