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
 *   net-bounce     raw frames to ourselves, one each 100 ms until one
 *                  comes back (an XDP_TX program on ksnetN), then,
 *                  interrupts off for 2 s, BOUNCE_FRAMES more, which
 *                  come back into a receive ring nobody empties; then
 *                  counts every one of ours that came back
 */
#include <stdint.h>
#include <stdlib.h>
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

#define BOUNCE_FRAMES 256	/* 4 guest receive rings (NBUF 64) */
#define BOUNCE_BATCH 32
#define BOUNCE_TYPE 0x88b5	/* IEEE's local experimental EtherType */

/* Frames of ours (our MAC as their source) among f[0..n). */
static unsigned int ours(const struct net_frame *f, int n, const uint8_t *mac)
{
	unsigned int k = 0;

	for (int i = 0; i < n; i++)
		k += f[i].len >= 14 && !memcmp(f[i].data + 6, mac, 6);
	return k;
}

static int net_bounce(void)
{
	struct net_frame *tx = malloc(2 * BOUNCE_BATCH * sizeof(*tx));
	struct net_frame *rx = tx + BOUNCE_BATCH;
	unsigned int sent = 0, back = 0, blast = 0;
	struct net_raw_stats st;
	const uint8_t *mac;
	uint64_t t0;
	int n;

	if (!tx || net_raw_open()) {
		kprintf("rogue: net-bounce: no network device or memory\n");
		free(tx);
		return 1;
	}
	mac = net_raw_mac();
	for (int i = 0; i < BOUNCE_BATCH; i++) {
		memset(&tx[i], 0, sizeof(tx[i]));
		memcpy(tx[i].data, mac, 6);
		memcpy(tx[i].data + 6, mac, 6);
		tx[i].data[12] = BOUNCE_TYPE >> 8;
		tx[i].data[13] = BOUNCE_TYPE & 0xff;
		tx[i].len = 60;
	}
	kprintf("rogue: net-bounce: sending to ourselves until a frame comes back\n");
	for (int i = 0; i < 600 && !back; i++) {
		sent += (unsigned int)net_raw_send(tx, 1);
		n = net_raw_recv(rx, BOUNCE_BATCH, 100 * NSEC_PER_MSEC);
		back += ours(rx, n > 0 ? n : 0, mac);
	}
	if (!back) {
		kprintf("rogue: net-bounce: nothing came back\n");
		return 1;
	}
	kprintf("rogue: net-bounce: bouncing, deaf for 2 s\n");
	thread_sleep_ms(50);	/* let the host take the line above */
	irq_disable();
	t0 = time_ns();
	/* Our own send reaps the transmit ring: no interrupt needed. */
	while (blast < BOUNCE_FRAMES && time_ns() - t0 < NSEC_PER_SEC) {
		n = BOUNCE_FRAMES - blast < BOUNCE_BATCH ?
			(int)(BOUNCE_FRAMES - blast) : BOUNCE_BATCH;
		blast += (unsigned int)net_raw_send(tx, n);
	}
	while (time_ns() - t0 < 2 * NSEC_PER_SEC)
		cpu_relax();
	irq_enable();
	/* Everything that came back: until a second passes without. */
	while ((n = net_raw_recv(rx, BOUNCE_BATCH, NSEC_PER_SEC)) > 0)
		back += ours(rx, n, mac);
	net_raw_get_stats(&st);
	kprintf("rogue: net-bounce: sent %u, %u came back, raw ring dropped %llu\n",
		sent + blast, back, (unsigned long long)st.rx_dropped);
	for (;;)
		thread_sleep_ms(1000);
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
	if (!strcmp(mode, "net-bounce"))
		return net_bounce();
	kprintf("rogue: modes: console-flood deaf net-deaf net-slow count net-bounce\n");
	return 2;
}
APP(rogue, rogue_main, "abuse the host's console and stop channels: console-flood deaf net-deaf net-slow count net-bounce");
