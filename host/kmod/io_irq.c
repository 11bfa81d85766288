// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's interrupts to its guest: an IPI to the vector the guest
 * chose, never to a core that went back to Linux.  The net device's wait
 * until net_lock is dropped (host/kmod/README.md, "Devices").
 */
#include <linux/bitops.h>
#include <linux/spinlock.h>

#include "kspawn.h"
#include "io.h"

void kspawn_io_notify(void *ctx, u32 vector)
{
	struct kspawn_instance *in = ctx;
	u32 state;

	/*
	 * Never an IPI to a core that went back to Linux.  STARTING too: a
	 * guest that boots fast rings (and its devices answer) before the
	 * start ioctl has seen it up; its cores are already ours.  The look
	 * and the IPI in one RCU read section: kspawn_io_silence() waits
	 * for any that saw RUNNING (the device thread notifies with no lock
	 * a stop takes, and may be preempted between the two).
	 */
	rcu_read_lock();
	state = READ_ONCE(in->state);
	if (state == KSPAWN_HOST_RUNNING || state == KSPAWN_HOST_STARTING) {
		kspawn_instance_ipi(in, vector);
		if (in->io)
			in->io->guest_irqs++;	/* racy: a statistic */
	}
	rcu_read_unlock();
}

/*
 * The net device's interrupts wait until net_lock is dropped.  An IPI is
 * the dearest step of a host transmit (a write to the local APIC; under
 * QEMU's TCG an emulated one, 9-22 us measured), and sent under the lock
 * it held up every other user of the device: the thread's polls, NAPI on
 * another CPU, the next transmit.  Noted here (net_lock held), sent by
 * kspawn_io_net_irqs() after the unlock.
 */
static void notify_net(void *ctx, u32 vector)
{
	struct kspawn_instance *in = ctx;

	set_bit(vector, in->io->net_irqs);
}

const struct kb_device_ops kspawn_io_net_ops = { .notify = notify_net };

/*
 * After net_lock: the interrupts noted under it, each vector once however
 * many publishes asked for it (the guest's handler looks at every queue
 * of the vector).  Whoever drops the lock sends what is noted, so none
 * waits for a later unlock.  Under ipi_lock, which kspawn_io_silence() takes
 * after the state left RUNNING: no IPI goes out after the stop.
 */
void kspawn_io_net_irqs(struct kspawn_io *io)
{
	unsigned long bits;
	unsigned int w, b;
	bool any = false;

	for (w = 0; w < ARRAY_SIZE(io->net_irqs); w++)
		any |= !!READ_ONCE(io->net_irqs[w]);
	if (!any)
		return;
	spin_lock_bh(&io->ipi_lock);
	for (w = 0; w < ARRAY_SIZE(io->net_irqs); w++) {
		bits = xchg(&io->net_irqs[w], 0);
		for_each_set_bit(b, &bits, BITS_PER_LONG)
			kspawn_io_notify(io->in, w * BITS_PER_LONG + b);
	}
	spin_unlock_bh(&io->ipi_lock);
}
