/*
 * rogue MODE: a guest that abuses the module's own channels rather than
 * its virtio devices (that is `hostile`), to show that the host stays
 * responsive:
 *
 *   console-flood  keep the console ring claiming to be full (head =
 *                  tail + size) forever, so that every drain finds a
 *                  ring's worth of bytes waiting
 *   deaf           ignore the host's polite stop: interrupts off, spin
 *   net-deaf       bring the network up (169.254.1.2), then interrupts
 *                  off and spin: frames from the host fill the receive
 *                  ring and nobody posts buffers again
 *   net-slow       the same for 2 s, then interrupts on: the driver
 *                  empties the ring and posts its buffers again, and the
 *                  host's transmit queue, stopped meanwhile, must wake
 *   count          interrupts off, numbered lines as fast as the console
 *                  ring takes them, for ever; the number of the last line
 *                  that went into the ring whole is kept as the heartbeat;
 *                  with a disk, one read in flight first, which a stop
 *                  waits for while the guest prints on
 */
#include <stdint.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"

static int console_flood(void)
{
	struct kspawn_ring *r = (void *)((uint8_t *)kspawn_hdr +
					 kspawn_hdr->console_out_off);
	uint32_t size = __atomic_load_n(&r->size, __ATOMIC_RELAXED);

	kprintf("rogue: console-flood: keeping the console ring full\n");
	thread_sleep_ms(50);	/* let the host take the line above */
	for (;;) {
		uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

		__atomic_store_n(&r->head, tail + size, __ATOMIC_RELEASE);
	}
	return 0;
}

static int deaf(void)
{
	kprintf("rogue: deaf: interrupts off, stop requests unheard\n");
	thread_sleep_ms(50);
	irq_disable();
	for (;;)
		cpu_relax();
	return 0;
}

/* The network up at 169.254.1.2; 0, or 1 after saying why not. */
static int network_up(const char *mode)
{
	uint32_t ip;
	int err = net_parse_ip("169.254.1.2", &ip);

	if (!err)
		err = net_up(ip);
	if (err)
		kprintf("rogue: %s: no network (%d)\n", mode, err);
	return !!err;
}

static int net_deaf(void)
{
	if (network_up("net-deaf"))
		return 1;
	kprintf("rogue: net-deaf: network up, receive ring left to fill\n");
	return deaf();
}

static int net_slow(void)
{
	uint64_t t0;

	if (network_up("net-slow"))
		return 1;
	kprintf("rogue: net-slow: network up, deaf for 2 s\n");
	thread_sleep_ms(50);	/* let the host take the line above */
	irq_disable();
	t0 = time_ns();
	while (time_ns() - t0 < 2 * NSEC_PER_SEC)
		cpu_relax();
	irq_enable();
	kprintf("rogue: net-slow: listening again\n");
	for (;;)
		thread_sleep_ms(1000);
	return 0;
}

/*
 * The heartbeat, not a field of its own: the host shows it in the status,
 * also of an instance whose core it could not give back (DEAD), after the
 * core's reset, when the count is final.  Every line up to it was in the
 * ring and must reach the console (qemu/dead-stop).  A line the ring had
 * no room for (dropped grew) is not counted.
 */
static int count(void)
{
	static uint8_t block[4096] __attribute__((aligned(4096)));
	static struct vblk_req req;
	struct kspawn_ring *r = (void *)((uint8_t *)kspawn_hdr +
					 kspawn_hdr->console_out_off);
	uint64_t *beat = &shared_state()->heartbeat;
	uint32_t dropped;

	kprintf("rogue: count: interrupts off, numbered lines for ever\n");
	/* Never waited for: a slow disk keeps it in flight. */
	if (!vblk_init() && vblk_block_size() <= sizeof(block) &&
	    !vblk_submit(&req, VIRTIO_BLK_T_IN, 0, block, vblk_block_size()))
		kprintf("rogue: count: a read in flight\n");
	thread_sleep_ms(50);
	irq_disable();
	for (uint64_t n = 1;; n++) {
		dropped = __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
		kprintf("rogue: count %lu\n", (unsigned long)n);
		if (__atomic_load_n(&r->dropped, __ATOMIC_RELAXED) == dropped)
			__atomic_store_n(beat, n, __ATOMIC_RELEASE);
	}
	return 0;
}

static int rogue_main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "console-flood"))
		return console_flood();
	if (!strcmp(mode, "deaf"))
		return deaf();
	if (!strcmp(mode, "net-deaf"))
		return net_deaf();
	if (!strcmp(mode, "net-slow"))
		return net_slow();
	if (!strcmp(mode, "count"))
		return count();
	kprintf("rogue: modes: console-flood deaf net-deaf net-slow count\n");
	return 2;
}
APP(rogue, rogue_main, "abuse the host's console and stop channels: console-flood deaf net-deaf net-slow count");
