/*
 * hostile MODE: a guest that breaks the virtio rules on purpose, to show
 * that the host refuses it without harm.  It brings up its virtio-blk
 * device properly, then puts one bad request on the queue (or misbehaves
 * otherwise) and waits for the device to say NEEDS_RESET.  With
 * vring=packed on the command line the queue is a packed ring, and the
 * bad requests are made in that layout.
 *
 *   outside   a buffer outside the guest's region
 *   huge      a 4 GiB buffer
 *   loop      a descriptor chain that loops (packed: one that never ends)
 *   nested    an indirect table inside an indirect table
 *   wild      an available index far ahead of the ring (split only)
 *   flood     doorbells as fast as it can for 3 s, nothing behind them,
 *             then real I/O
 *   netflood  kicks on the network device's transmit queue for 3 s, one
 *             every 100 us (each its own interrupt; on a host's ksnetN
 *             they go to its NAPI), between two pings of the host
 *             (ip=A.B.C.D; the host at .1 of its /30)
 *   netbad    a transmit buffer outside the region on the network
 *             device, rung once its host's device thread sleeps (a ping
 *             first; ip=A.B.C.D), then 3 s of silence: the host's ksnetN
 *             must lose its carrier without the guest's help
 *   credit    as flood, but each ring to nothing claims 17 kicks, then 16
 *             bare rings, one every 200 us: the credit the first earns
 *             must not buy the others
 *   resetflood  its blk device reset and a doorbell rung, over and over
 *             for 3 s: a reset is a status change the host acts on, but
 *             one in a loop must not pass for work (flood, netflood,
 *             credit, echoflood and this one: hostile_flood.c)
 *   echoflood timed echoes (KSPAWN_F_DOORBELL_ECHO), a new one per ring,
 *             as fast as it can, none waited for, until none came back
 *             for 1 s (at most 30 s); then one at a time until the host
 *             answers again
 *   pairs     MQ_VQ_PAIRS_SET 1 and 2 in turn on the control queue for
 *             3 s, each as soon as the last was answered, ending at 2
 *             (ip=A.B.C.D; needs MQ and a 2-CPU guest): every change
 *             costs a host ksnetN its rtnl_lock, so it must coalesce them
 *   pairs-stale  one pair fewer set behind the driver's back, then 50
 *             datagrams from the last CPU, still on its pair (ip=A.B.C.D,
 *             MQ, at least 3 CPUs): the host must take them without
 *             naming a receive queue ksnetN no longer has
 *   pairs-deaf  CPU 0, which takes the device's interrupts, deaf on a
 *             2-CPU guest with MQ and split rings (ip=A.B.C.D) until the
 *             host filled receive queue 0 (at most 9 s), then 1 pair set
 *             behind the driver's back and 3 s more: the host's queue to pair 0,
 *             stopped by the full ring, is let go by the resize of its
 *             ksnetN, stops again and goes once more when the guest reads
 *             (the pairs modes: hostile_pairs.c)
 *   status    garbage in the device's status byte and queue fields
 *   header    garbage in the ABI header and its console ring's indices
 *   clock     a false APIC timer clock reported to the host, which must
 *             not pass it on to the next guest
 *   escapes   terminal escapes in its command line (in the header) and its
 *             panic message (which ends in a byte past ASCII, 0xe9), which
 *             kspawnctl and the module's log line must not print as they
 *             are
 *   slowboot  a boot held back 1.5 s before its tick starts (hostile_boot.c)
 *   stamps    the other CPUs' long-mode stamps forged while the host
 *             starts them (hostile_boot.c; an SMP guest)
 *   lateap    CPU 1 held back 3 s where it enters the guest's C code,
 *             past CPU 0's wait for it: it must park, never schedule
 *             (hostile_boot.c; an SMP guest)
 *   lateap-hang  CPU 1 comes in time, then hangs before it is set up:
 *             CPU 0 must panic saying so, not wait for ever
 *             (hostile_boot.c; an SMP guest)
 *   bounce    14 reads of 8 x 1 MiB in flight, every segment one 1 MiB
 *             buffer: legal, but a host block device that must bounce
 *             them would pin 112 MiB of its pages for 1 MiB of the guest's
 *             (bounce reqs=R segs=S: R reads of S x 1 MiB, R <= 32, S <= 8;
 *             a host file's O_DIRECT bounces only reads of one kiocb, 1 MiB)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "apps/test/hostile.h"

#define F_AVAIL (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1U << VRING_PACKED_DESC_F_USED)

static void publish_head(struct virtq *q, uint16_t head, uint16_t advance)
{
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx = (uint16_t)(q->avail_idx + advance);
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

/*
 * Packed: count descriptors from the driver's next slot, the k-th taken
 * from c[k] (the last one repeated), made available in the current lap;
 * the first one's flags last, so the device sees the chain at once.
 */
static void publish_packed(struct virtq *q, const struct vring_desc *c,
			   unsigned int n, unsigned int count)
{
	struct vring_packed_desc *ring = q->ring;
	uint16_t pos = q->avail_idx, first = pos, first_flags = 0;
	int wrap = q->avail_wrap;

	for (unsigned int k = 0; k < count; k++) {
		const struct vring_desc *d = &c[k < n ? k : n - 1];
		uint16_t flags = d->flags | (wrap ? F_AVAIL : F_USED);

		ring[pos].addr = d->addr;
		ring[pos].len = d->len;
		ring[pos].id = 0;
		if (k)
			ring[pos].flags = flags;
		else
			first_flags = flags;
		if (++pos == q->size) {
			pos = 0;
			wrap = !wrap;
		}
	}
	__atomic_store_n(&ring[first].flags, first_flags, __ATOMIC_RELEASE);
}

/* One bad request of the kind mode names on queue qi of d, and a kick. */
static int misbehave_on(struct virtio_dev *d, unsigned int qi,
			const char *mode)
{
	struct virtq *q = &d->vq[qi];
	static struct vring_desc table[4] __attribute__((aligned(16)));
	uint64_t base = kspawn_hdr->region_base;
	uint64_t end = base + kspawn_hdr->region_size;
	uint64_t tab = virt_to_phys(table);
	struct vring_desc c[2];
	unsigned int n = 1, count = 1;

	if (!strcmp(mode, "outside")) {
		c[0] = (struct vring_desc){ end + 4096, 512, 0, 0 };
	} else if (!strcmp(mode, "huge")) {
		c[0] = (struct vring_desc){ base, 0xffffffffu, 0, 0 };
	} else if (!strcmp(mode, "loop")) {
		/* Split: 0 -> 1 -> 0.  Packed: NEXT on every slot. */
		c[0] = (struct vring_desc){ tab, 16, VRING_DESC_F_NEXT, 1 };
		c[1] = (struct vring_desc){ tab, 16, VRING_DESC_F_NEXT, 0 };
		n = 2;
		count = q->packed ? q->size : 2;
	} else if (!strcmp(mode, "nested")) {
		struct vring_packed_desc *ptable = (void *)table;

		c[0] = (struct vring_desc){ tab, 64, VRING_DESC_F_INDIRECT, 0 };
		if (q->packed)
			ptable[0] = (struct vring_packed_desc){
				tab, 64, 0, VRING_DESC_F_INDIRECT };
		else
			table[0] = c[0];
	} else if (!strcmp(mode, "wild") && !q->packed) {
		publish_head(q, 0, 5000);
		/* Ring: a host asleep on its doorbell looks only when rung. */
		virtio_kick(d, qi);
		return 0;
	} else {
		return -1;
	}
	if (q->packed) {
		publish_packed(q, c, n, count);
	} else {
		memcpy(q->desc, c, n * sizeof(c[0]));
		publish_head(q, 0, 1);
	}
	virtio_kick(d, qi);
	return 0;
}

static int misbehave(struct virtio_dev *d, const char *mode)
{
	return misbehave_on(d, 0, mode);
}

/* Until the device says NEEDS_RESET (5 s at most): 0, or 1 said why. */
static int await_broken(struct virtio_dev *d, const char *mode)
{
	for (int ms = 0; ms < 5000; ms += 10) {
		if (virtio_broken(d)) {
			kprintf("hostile: %s: the device needs reset, as it should\n",
				mode);
			return 0;
		}
		thread_sleep_ms(10);
	}
	kprintf("hostile: %s: the device did not object\n", mode);
	return 1;
}

/*
 * netbad: with the host's ksnetN in use (a ping answered) and its device
 * thread asleep, a transmit buffer outside the region and one ring: the
 * doorbell hands it to ksnetN's NAPI, which breaks the device.  Then 3 s
 * of silence, in which the host must drop ksnetN's carrier by itself.
 */
static int netbad(const char *ip_arg)
{
	struct virtio_dev *d;
	uint32_t host;
	int err;

	if (hostile_net_start("netbad", ip_arg, &d, &host))
		return 1;
	thread_sleep_ms(500);	/* the host's device thread asleep by now */
	kprintf("hostile: netbad: a transmit buffer outside the region\n");
	misbehave_on(d, 1, "outside");
	err = await_broken(d, "netbad");
	thread_sleep_ms(3000);
	kprintf("hostile: netbad: done\n");
	return err;
}

/*
 * bounce: reqs reads of segs x 1 MiB (14 of 8 unless told), every
 * segment the same 1 MiB buffer (in pieces of the device's size_max, if
 * that is less: 512 KiB on kspawn's, so 14 such reads fill a queue of
 * 256), put on the queue at once.  The driver's calls take one buffer
 * per request, so the chains are made here, with
 * the driver's own request records as cookies (its completion path then
 * handles them as its own); interrupts stay off meanwhile so its handler
 * does not walk the ring under us.
 */
#define BOUNCE_SEGS 8			/* at most; the default */
#define BOUNCE_REQS 32			/* at most; 14 by default */
#define BOUNCE_PIECES 8			/* descriptors a MiB may take */
#define MIB (1u << 20)

/* Pieces of a MiB within the device's size_max: 1, 2, 4 or 8 (0: none). */
static unsigned int mib_pieces(struct virtio_dev *d)
{
	uint32_t size_max = MIB;
	unsigned int n = 1;

	if (virtio_has(d, VIRTIO_BLK_F_SIZE_MAX))
		virtio_config(d, offsetof(struct virtio_blk_config, size_max),
			      &size_max, sizeof(size_max));
	while (n <= BOUNCE_PIECES && MIB / n > size_max)
		n *= 2;
	return n <= BOUNCE_PIECES ? n : 0;
}

static int bounce(struct virtio_dev *d, int argc, char **argv)
{
	static struct vblk_req r[BOUNCE_REQS];
	static struct virtq_buf in[BOUNCE_SEGS * BOUNCE_PIECES + 1];
	struct virtq *q = &d->vq[0];
	int reqs = atoi(app_opt(argc, argv, "reqs", "14"));
	int nseg = atoi(app_opt(argc, argv, "segs", "8"));
	unsigned int segs = (unsigned int)nseg;
	unsigned int pieces = mib_pieces(d), nin = 0;
	uint8_t *buf;
	int ok = 0;

	if (reqs < 1 || reqs > BOUNCE_REQS || nseg < 1 || nseg > BOUNCE_SEGS) {
		kprintf("hostile: bounce: reqs=1..%d segs=1..%d\n", BOUNCE_REQS,
			BOUNCE_SEGS);
		return 2;
	}
	if (!pieces) {
		kprintf("hostile: bounce: the device's size_max is under 1/%d MiB\n",
			BOUNCE_PIECES);
		return 1;
	}
	buf = malloc(MIB);
	if (!buf || vblk_sectors() < MIB / 512) {
		kprintf("hostile: bounce: needs 1 MiB of memory and of disk\n");
		return 1;
	}
	for (int i = 0; i < reqs; i++) {
		struct virtq_buf out = { &r[i].hdr, sizeof(r[i].hdr) };
		uint64_t flags;
		int err;

		r[i] = (struct vblk_req){ .hdr = { .type = VIRTIO_BLK_T_IN },
					  .status = 0xff };
		/* Not on the driver's list of its own: a node all the same. */
		list_init(&r[i].node);
		nin = 0;
		for (unsigned int k = 0; k < segs * pieces; k++)
			in[nin++] = (struct virtq_buf){
				buf + (k % pieces) * (MIB / pieces),
				MIB / pieces };
		in[nin++] = (struct virtq_buf){ &r[i].status, 1 };
		flags = irq_save();
		err = virtq_add(q, &out, 1, in, nin, &r[i]);
		irq_restore(flags);
		if (err) {
			kprintf("hostile: bounce: no room for read %d\n", i);
			return 1;
		}
	}
	if (virtq_publish(q))
		virtio_kick(d, 0);
	for (int i = 0; i < reqs; i++)
		ok += vblk_wait(&r[i]) == 0;
	kprintf("hostile: bounce: %d of %d reads of %u x 1 MiB into one buffer done\n",
		ok, reqs, segs);
	free(buf);
	return ok != reqs;
}

/* Scribble on the shared area; the host must shrug (and log once). */
static int scribble(struct virtio_dev *d, const char *mode)
{
	uint8_t *h = (uint8_t *)kspawn_hdr;
	struct kspawn_ring *con = (void *)(h + kspawn_hdr->console_out_off);

	if (!strcmp(mode, "status")) {
		struct kspawn_device *slot = virtio_slot_of(d);

		if (!slot) {
			kprintf("hostile: status: the disk is not in an ABI slot\n");
			return 1;
		}
		for (int i = 0; i < 256; i++) {
			slot->status = (uint8_t)i;
			slot->queues[0].size = (uint16_t)(i * 977);
			slot->queues[0].desc_addr = ~0ULL - (uint64_t)i;
			slot->reset = (uint8_t)(i & 1);
			thread_sleep_ms(1);
		}
		kprintf("hostile: status: 256 garbage states written\n");
		return 0;
	}
	kprintf("hostile: header: scribbling on the ABI header and console ring\n");
	thread_sleep_ms(50);	/* let the host take the line above */
	/*
	 * The ring first, and time for the host to see it: once the header
	 * is garbage this kernel may fault on it, and its panic report
	 * would write a sane head over ours.
	 */
	con->head ^= 0x40000000;
	thread_sleep_ms(50);
	for (uint32_t i = 8; i < 256; i++)	/* leave the magic alone */
		h[i] ^= 0x5a;
	thread_sleep_ms(200);
	return 0;
}

static int hostile_main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct virtio_dev *d;

	if (!strcmp(mode, "clock")) {
		/* Long enough for the host's monitor to read it. */
		shared_state()->apic_timer_khz = 5000000;
		kprintf("hostile: clock: told the host the APIC timer runs at 5 GHz\n");
		thread_sleep_ms(500);
		return 0;
	}
	if (!strcmp(mode, "escapes")) {
		static const char esc[] = "\033[2J\033]0;owned\007 text";

		memcpy(kspawn_hdr->cmdline, esc, sizeof(esc));
		/* Then Latin-1's e-acute: printable to Linux's isprint(). */
		panic("hostile: %s\xe9", esc);
	}
	if (!strcmp(mode, "stamps"))
		return hostile_stamps();
	if (!strcmp(mode, "lateap"))
		return hostile_lateap();
	if (!strcmp(mode, "lateap-hang")) {
		/* CPU 0 panics in smp_init first; here only on one CPU. */
		kprintf("hostile: lateap-hang: CPU 1 never hung (one CPU?)\n");
		return 1;
	}
	if (!strcmp(mode, "slowboot")) {
		/* The boot was slow (hostile_boot.c); now just run a while. */
		kprintf("hostile: slowboot: booted late on purpose, running\n");
		for (int s = 0; s < 60; s++)
			thread_sleep_ms(1000);
		return 0;
	}
	if (!strcmp(mode, "netflood"))
		return hostile_netflood(argc > 2 && !strncmp(argv[2], "ip=", 3) ?
				argv[2] + 3 : NULL);
	if (!strcmp(mode, "echoflood"))
		return hostile_echoflood();
	if (!strcmp(mode, "netbad"))
		return netbad(argc > 2 && !strncmp(argv[2], "ip=", 3) ?
			      argv[2] + 3 : NULL);
	if (!strcmp(mode, "pairs"))
		return hostile_pairs_flap(argc > 2 && !strncmp(argv[2], "ip=", 3) ?
				  argv[2] + 3 : NULL);
	if (!strcmp(mode, "pairs-stale"))
		return hostile_pairs_stale(argc > 2 && !strncmp(argv[2], "ip=", 3) ?
				   argv[2] + 3 : NULL);
	if (!strcmp(mode, "pairs-deaf"))
		return hostile_pairs_deaf(argc > 2 && !strncmp(argv[2], "ip=", 3) ?
				  argv[2] + 3 : NULL);
	if (vblk_init() || !(d = vblk_dev())) {
		kprintf("hostile: needs a disk (--ramdisk)\n");
		return 1;
	}
	if (!strcmp(mode, "flood") || !strcmp(mode, "credit"))
		return hostile_flood(d, !strcmp(mode, "credit"));
	if (!strcmp(mode, "resetflood"))
		return hostile_resetflood(d);
	if (!strcmp(mode, "bounce"))
		return bounce(d, argc, argv);
	if (!strcmp(mode, "status") || !strcmp(mode, "header"))
		return scribble(d, mode);
	if (misbehave(d, mode)) {
		kprintf("hostile: modes: outside huge loop nested wild (split) flood credit resetflood netflood netbad echoflood pairs pairs-stale pairs-deaf status header clock escapes stamps lateap lateap-hang slowboot bounce\n");
		return 2;
	}
	return await_broken(d, mode);
}
APP(hostile, hostile_main, "break the virtio rules on purpose: outside huge loop nested wild flood credit resetflood netflood netbad echoflood pairs pairs-stale pairs-deaf status header clock escapes stamps lateap lateap-hang slowboot bounce");
