/*
 * The hostile app's doorbell floods (hostile.c lists the modes): rings
 * with nothing behind them (flood), rings on credit (credit), on a
 * transmit queue (netflood), resets in a loop (resetflood) and timed
 * echoes (echoflood).  Each must end masked or bounded by the host, and
 * the host must still serve the guest (and its neighbours) afterwards.
 */
#include <stdint.h>
#include <string.h>

#include "apps/test/hostile.h"

/* Doorbells for FLOOD_NS, then ordinary I/O must still work. */
#define FLOOD_NS (3 * NSEC_PER_SEC)

/*
 * Kicks on queue q of d for FLOOD_NS, nothing behind them: as fast as it
 * can (gap_ns 0), or one every gap_ns, so that each is an interrupt of
 * its own rather than one the host's pending interrupt absorbs.
 */
static void ring_for_nothing(struct virtio_dev *d, unsigned int q,
			     uint64_t gap_ns, const char *who)
{
	uint64_t t0 = time_ns(), rings = 0;

	kprintf("hostile: %s: ringing\n", who);
	while (time_ns() - t0 < FLOOD_NS) {
		for (int i = 0; i < (gap_ns ? 1 : 1000); i++)
			virtio_kick(d, q);
		rings += gap_ns ? 1 : 1000;
		for (uint64_t t = time_ns(); time_ns() - t < gap_ns;)
			cpu_relax();
	}
	kprintf("hostile: %s: %llu doorbells in 3 s (%llu per second)\n", who,
		(unsigned long long)rings,
		(unsigned long long)(rings * NSEC_PER_SEC / (time_ns() - t0)));
}

/*
 * credit: rings that each claim many kicks (notify bumped by 17 before
 * one ring) with nothing behind them, then 16 bare rings (no kick at
 * all): the host forgives a bare ring that follows merged kicks (two
 * kicks, one interrupt), up to 16 per queue and ring, so each of the
 * first kind used to buy 16 of the second, and the flood was masked only
 * at 17 times the rate: one ring every 200 us (5 000 a second, ten times
 * the rate that is masked) stayed under it.
 */
static void ring_on_credit(struct virtio_dev *d)
{
	struct kspawn_device *slot = virtio_slot_of(d);
	uint64_t t0 = time_ns(), rings = 0;

	kprintf("hostile: credit: ringing\n");
	while (slot && time_ns() - t0 < FLOOD_NS) {
		__atomic_fetch_add(&slot->queues[0].notify, 16,
				   __ATOMIC_RELEASE);
		virtio_kick(d, 0);
		for (int i = 0; i < 16 && d->plat->doorbell; i++) {
			for (uint64_t t = time_ns(); time_ns() - t < 200000;)
				cpu_relax();
			d->plat->doorbell(d);
		}
		rings += 17;
	}
	kprintf("hostile: credit: %llu doorbells in 3 s (%llu per second)\n",
		(unsigned long long)rings,
		(unsigned long long)(rings * NSEC_PER_SEC / (time_ns() - t0)));
}

int hostile_flood(struct virtio_dev *d, int credit)
{
	static char buf[4096];

	if (credit)
		ring_on_credit(d);
	else
		ring_for_nothing(d, 0, 0, "flood");
	if (vblk_write(8, buf, sizeof(buf)) || vblk_read(8, buf, sizeof(buf))) {
		kprintf("hostile: flood: I/O failed after the doorbells\n");
		return 1;
	}
	kprintf("hostile: flood: the doorbells stopped, I/O still works\n");
	return 0;
}

/*
 * Kicks on the transmit queue of pair 0 (queue 1), between two pings of
 * the host: the first shows its ksnetN up (so the kicks reach its NAPI),
 * the second that the guest still reaches it.
 */
int hostile_net_start(const char *mode, const char *ip_arg,
		      struct virtio_dev **d, uint32_t *host)
{
	uint32_t ip = 0;
	int i;

	if (!ip_arg || net_parse_ip(ip_arg, &ip) || net_up(ip) ||
	    !(*d = vnet_dev())) {
		kprintf("hostile: %s: needs --net and ip=A.B.C.D\n", mode);
		return 1;
	}
	/* The host is .1 of the guest's /30 (as the qemu cases set it). */
	*host = (ip & ~net_ip4(0, 0, 0, 3)) | net_ip4(0, 0, 0, 1);
	for (i = 0; i < 30 && net_ping(*host, 1, 10, 1000) != 1; i++)
		;
	if (i == 30) {
		kprintf("hostile: %s: the host never answered\n", mode);
		return 1;
	}
	return 0;
}

int hostile_netflood(const char *ip_arg)
{
	struct virtio_dev *d;
	uint32_t host;

	if (hostile_net_start("netflood", ip_arg, &d, &host))
		return 1;
	ring_for_nothing(d, 1, 100 * 1000, "netflood");
	if (!net_ping(host, 3, 100, 1000)) {
		kprintf("hostile: netflood: no answer from the host after the doorbells\n");
		return 1;
	}
	kprintf("hostile: netflood: the doorbells stopped, the host still answers\n");
	return 0;
}

static volatile uint64_t echoes_back;

static void echo_back(struct trap_frame *tf)
{
	(void)tf;
	echoes_back++;
	apic_eoi();
}

/*
 * echoflood: each echo costs the host's doorbell CPU an interrupt and an
 * IPI back, and brings the devices nothing.  It needs no disk.
 */
/*
 * No answer for this long: masked.  Longer than a busy host may leave
 * the doorbell's vCPU unscheduled; the masks of a flood that goes on
 * double from 100 ms to 1.6 s, so one of them is longer.
 */
#define ECHO_QUIET_NS NSEC_PER_SEC
#define ECHO_FLOOD_MAX_NS (30 * NSEC_PER_SEC)

int hostile_echoflood(void)
{
	struct kspawn_echo *e = &kspawn_hdr->echo;
	uint64_t t0, seq = 0, rings = 0, back = 0, heard, t;
	int vector = irq_alloc_vector(echo_back);

	if (!(kspawn_hdr->host_features & KSPAWN_F_DOORBELL_ECHO) ||
	    vector <= 0) {
		kprintf("hostile: echoflood: no echo from this host, or no vector\n");
		return 1;
	}
	e->vector = (uint32_t)vector;
	kspawn_hdr->guest_features |= KSPAWN_F_DOORBELL_ECHO;
	kprintf("hostile: echoflood: ringing\n");
	t0 = heard = time_ns();
	while ((t = time_ns()) - heard < ECHO_QUIET_NS &&
	       t - t0 < ECHO_FLOOD_MAX_NS) {
		__atomic_store_n(&e->seq, ++seq, __ATOMIC_RELEASE);
		if (virtio_ring_host())
			break;
		rings++;
		if (echoes_back != back) {
			back = echoes_back;
			heard = t;
		}
	}
	kprintf("hostile: echoflood: %llu rings in %llu ms, %llu echoes back, %s\n",
		(unsigned long long)rings,
		(unsigned long long)((t - t0) / 1000000),
		(unsigned long long)back,
		t - heard >= ECHO_QUIET_NS ? "then silence" :
					     "answered to the end");
	/* Masked for a while: one echo per 10 ms until one comes back. */
	for (t = time_ns(); time_ns() - t < 10 * NSEC_PER_SEC;) {
		uint64_t r = time_ns();

		back = echoes_back;
		__atomic_store_n(&e->seq, ++seq, __ATOMIC_RELEASE);
		virtio_ring_host();
		while (time_ns() - r < 10 * 1000 * 1000)
			if (echoes_back != back) {
				kprintf("hostile: echoflood: answered again\n");
				return 0;
			}
	}
	kprintf("hostile: echoflood: the host never answered again\n");
	return 1;
}

/*
 * resetflood: the blk device reset through its slot and the doorbell rung,
 * each time the host has acted on the last reset, for FLOOD_NS.  Every
 * reset is a status change the host must act on, so each ring wakes its
 * I/O thread; a host that took each one for work would never mask the
 * doorbell, and its thread would never sleep.  The device stays reset
 * afterwards (the driver is not told): no I/O is checked.
 */
int hostile_resetflood(struct virtio_dev *d)
{
	struct kspawn_device *slot = virtio_slot_of(d);
	uint64_t t0 = time_ns(), rings = 0, acted = 0;

	if (!slot || !d->plat->doorbell) {
		kprintf("hostile: resetflood: no device slot or doorbell\n");
		return 1;
	}
	kprintf("hostile: resetflood: ringing\n");
	while (time_ns() - t0 < FLOOD_NS) {
		uint64_t t = time_ns();

		__atomic_store_n(&slot->reset, 1, __ATOMIC_RELEASE);
		d->plat->doorbell(d);
		rings++;
		/* Until the host acted on it, at most 1 ms. */
		while (__atomic_load_n(&slot->reset, __ATOMIC_ACQUIRE) &&
		       time_ns() - t < 1000 * 1000)
			cpu_relax();
		acted += !__atomic_load_n(&slot->reset, __ATOMIC_ACQUIRE);
	}
	kprintf("hostile: resetflood: %llu resets rung in 3 s, %llu acted on\n",
		(unsigned long long)rings, (unsigned long long)acted);
	return 0;
}
