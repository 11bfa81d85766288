/*
 * Hosted: a driver that breaks the device-level rules on purpose, against
 * host/backend/device.c, blk.c, blk_req.c and net.c (the ring-level rules are
 * vq_hostile.c's).  The driver is the guest's own (guest/lib/virtq.c),
 * the device is polled by hand, so every case is deterministic but the
 * last.  Each case prints "ok NAME" or "FAIL NAME: why".
 *
 *   blk-seg-max-*         more data segments than the config's seg_max:
 *                         IOERR (seg_max exactly: OK)
 *   blk-size-max-*        a data segment bigger than size_max: IOERR
 *                         (size_max exactly: OK)
 *   blk-short-header-*    a header shorter than 16 bytes: IOERR in the
 *                         status byte
 *   blk-both-max-*        seg_max segments of size_max each, the most the
 *                         config allows: OK, the device live (the
 *                         config once offered twice what a chain may
 *                         carry, and such a request broke the device)
 *   broken-stays-broken-* a bad tx chain and a ctrl MAC_ADDR_SET in one
 *                         poll: the violation stops the device, the
 *                         command is not served
 *   rx-no-writable-*      an rx chain with nothing device-writable comes
 *                         back to the used ring, empty
 *   driver-ok-first       DRIVER_OK as the very first status, then status
 *                         0: the reset revives the device
 *   config-vector-once    the config interrupt vector rewritten from a
 *                         second thread while the device breaks and
 *                         resets: it never interrupts with a vector it
 *                         would have refused
 *   reset-forgets-queues-* blk with two queues, reset (the ABI's request)
 *                         and started again with one: queue 1 does not
 *                         come back with the old driver's rings, whose
 *                         requests would run again
 *   doorbell-hints        what the doorbell's handler reads to see what a
 *                         ring was for: a status change or reset request
 *                         not yet acted on, and which queues were kicked
 *                         (and how many kicks beyond one, capped)
 */
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif
#include <stdarg.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/backend/blk.h"
#include "host/backend/net.h"
#include "hosted/virtio_hosted.h"
#include "tests/hosted/verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (8u << 20)
#define DISK_BYTES (64u << 20)	/* seg_max segments of size_max fit */
#define QSIZE 256
#define REQ_OFF 0x100000
#define DATA_OFF 0x200000

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_blk blk;
static struct kb_net net;
static struct virtio_dev vd;
static void *ram;
static atomic_ulong bad_vectors, config_irqs;
static const uint8_t mac[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };

static void notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	if (vector < 32 || vector > 255)
		atomic_fetch_add(&bad_vectors, 1);
	atomic_fetch_add(&config_irqs, 1);
}

static const struct kb_device_ops ops = { .notify = notify };

static void fresh(void)
{
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
}

/* The guest's own driver code brings d up (lib/virtio.c); 0 once live. */
/* The driver's handshake with queues [0, nq) set up. */
/* All of the handshake but DRIVER_OK: features accepted, queues given. */
static int handshake_but_ready(struct kb_device *d, int packed, uint32_t nq)
{
	uint64_t no_packed = 1ULL << VIRTIO_F_RING_PACKED;

	vh_region(region, BASE, REGION_BYTES, 0);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(d);
	if (virtio_start(&vd, packed ? ~0ULL : ~no_packed))
		return -1;
	for (uint32_t q = 0; q < nq; q++)
		if (virtio_queue(&vd, q, QSIZE, NULL))
			return -1;
	return 0;
}

static int bring_up_queues(struct kb_device *d, int packed, uint32_t nq)
{
	if (handshake_but_ready(d, packed, nq))
		return -1;
	virtio_ready(&vd);
	kb_device_poll(d, 1);
	return d->live && !virtio_broken(&vd) ? 0 : -1;
}

static int bring_up(struct kb_device *d, int packed)
{
	return bring_up_queues(d, packed, slot.num_queues);
}

static int blk_up(int packed)
{
	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	return bring_up(&blk.dev, packed);
}

static int net_up(int packed)
{
	fresh();
	kb_net_init(&net, &slot, &kr, &ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac);
	return bring_up(&net.dev, packed);
}

static uint32_t blk_config(size_t off)
{
	uint32_t v;

	memcpy(&v, slot.config + off, sizeof(v));
	return v;
}

/*
 * A blk request of nseg data segments of seglen bytes each, as few
 * descriptors as that allows (ANY_LAYOUT): the header shares the first
 * data segment (OUT), the status byte the last one (IN).  Returns the
 * status the device wrote, or -1 if the request did not come back.
 */
static int blk_request(uint32_t type, uint32_t nseg, uint32_t seglen)
{
	static struct virtq_buf bufs[KB_MAX_SEGS + 1];
	struct virtio_blk_outhdr *h;
	uint8_t *data = region + DATA_OFF, *status;
	uint32_t n = 0;
	void *got;

	if (type == VIRTIO_BLK_T_OUT) {
		h = (void *)(data - sizeof(*h));
		bufs[n++] = (struct virtq_buf){ h, sizeof(*h) + seglen };
		for (uint32_t i = 1; i < nseg; i++)
			bufs[n++] = (struct virtq_buf){ data + i * seglen,
							seglen };
		status = data + nseg * seglen;
		bufs[n++] = (struct virtq_buf){ status, 1 };
	} else {
		h = (void *)(region + REQ_OFF);
		bufs[n++] = (struct virtq_buf){ h, sizeof(*h) };
		for (uint32_t i = 0; i < nseg; i++)
			bufs[n++] = (struct virtq_buf){ data + i * seglen,
							seglen };
		status = data + nseg * seglen;
		bufs[n - 1].len++;
	}
	h->type = type;
	h->ioprio = 0;
	h->sector = 0;
	*status = 0xff;
	if (virtq_add(&vd.vq[0], bufs, type == VIRTIO_BLK_T_OUT ? n - 1 : 1,
		      bufs + (type == VIRTIO_BLK_T_OUT ? n - 1 : 1),
		      type == VIRTIO_BLK_T_OUT ? 1 : n - 1, h))
		return -1;
	virtq_publish(&vd.vq[0]);
	kb_device_poll(&blk.dev, 8);
	got = virtq_get(&vd.vq[0], NULL);
	return got == h ? *status : -1;
}

/*
 * A header of 8 bytes, not 16, and a status byte: IOERR written there
 * (once the byte was left as it was, and a driver could read it as OK).
 */
static void blk_short_header(const char *layout, int packed)
{
	uint8_t *h = region + REQ_OFF, *status = region + DATA_OFF;
	struct virtq_buf out = { h, 8 }, in = { status, 1 };
	uint32_t len = 0xffff;
	void *got;

	if (blk_up(packed)) {
		verdict("blk-short-header", layout, 0, "device not up");
		return;
	}
	memset(h, 0, 8);
	*status = VIRTIO_BLK_S_OK;
	if (virtq_add(&vd.vq[0], &out, 1, &in, 1, h))
		return;
	virtq_publish(&vd.vq[0]);
	kb_device_poll(&blk.dev, 8);
	got = virtq_get(&vd.vq[0], &len);
	verdict("blk-short-header", layout,
		got == h && *status == VIRTIO_BLK_S_IOERR && len == 1 &&
		blk.dev.live && !blk.dev.broken,
		"back %d, status %u, used length %u (want IOERR in 1 byte)",
		got == h, *status, len);
}

static void blk_limits(const char *layout, int packed)
{
	static const struct {
		const char *name;
		uint32_t type;
		int extra_seg;		/* seg_max + this many segments */
		int extra_bytes;	/* size_max + this many bytes, one segment */
		int want;
	} cases[] = {
		{ "blk-seg-max-out-over", VIRTIO_BLK_T_OUT, 1, -1, VIRTIO_BLK_S_IOERR },
		{ "blk-seg-max-in-over", VIRTIO_BLK_T_IN, 1, -1, VIRTIO_BLK_S_IOERR },
		{ "blk-seg-max-out-exact", VIRTIO_BLK_T_OUT, 0, -1, VIRTIO_BLK_S_OK },
		{ "blk-size-max-in-over", VIRTIO_BLK_T_IN, -1, 512, VIRTIO_BLK_S_IOERR },
		{ "blk-size-max-out-over", VIRTIO_BLK_T_OUT, -1, 512, VIRTIO_BLK_S_IOERR },
		{ "blk-size-max-in-exact", VIRTIO_BLK_T_IN, -1, 0, VIRTIO_BLK_S_OK },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t seg_max, size_max, nseg = 1, len = 512;
		int got;

		if (blk_up(packed)) {
			verdict(cases[i].name, layout, 0, "device not live");
			continue;
		}
		seg_max = blk_config(offsetof(struct virtio_blk_config, seg_max));
		size_max = blk_config(offsetof(struct virtio_blk_config, size_max));
		if (cases[i].extra_seg >= 0)
			nseg = seg_max + (uint32_t)cases[i].extra_seg;
		else
			len = size_max + (uint32_t)cases[i].extra_bytes;
		got = blk_request(cases[i].type, nseg, len);
		verdict(cases[i].name, layout,
			got == cases[i].want &&
			!(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
			"%u segments of %u bytes (seg_max %u, size_max %u): status %d, want %d%s",
			nseg, len, seg_max, size_max, got, cases[i].want,
			slot.status & VIRTIO_CONFIG_S_NEEDS_RESET ?
			", device needs reset" : "");
	}
}

/*
 * A read of seg_max segments of size_max bytes each, all into one buffer
 * (the bytes read do not matter here): within what the config offers.
 */
static void blk_both_max(const char *layout, int packed)
{
	static struct virtq_buf bufs[KB_MAX_SEGS + 1];
	struct virtio_blk_outhdr *h = (void *)(region + REQ_OFF);
	uint8_t *status = region + REQ_OFF + sizeof(*h);
	uint32_t seg_max, size_max, n = 0;
	void *got = NULL;

	if (blk_up(packed)) {
		verdict("blk-both-max", layout, 0, "device not live");
		return;
	}
	seg_max = blk_config(offsetof(struct virtio_blk_config, seg_max));
	size_max = blk_config(offsetof(struct virtio_blk_config, size_max));
	if (seg_max > KB_MAX_SEGS - 1 ||
	    size_max > REGION_BYTES - DATA_OFF) {
		verdict("blk-both-max", layout, 0,
			"seg_max %u, size_max %u: more than the test holds",
			seg_max, size_max);
		return;
	}
	*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN };
	*status = 0xff;
	bufs[n++] = (struct virtq_buf){ h, sizeof(*h) };
	for (uint32_t i = 0; i < seg_max; i++)
		bufs[n++] = (struct virtq_buf){ region + DATA_OFF, size_max };
	bufs[n++] = (struct virtq_buf){ status, 1 };
	if (!virtq_add(&vd.vq[0], bufs, 1, bufs + 1, n - 1, h)) {
		virtq_publish(&vd.vq[0]);
		kb_device_poll(&blk.dev, 8);
		got = virtq_get(&vd.vq[0], NULL);
	}
	verdict("blk-both-max", layout,
		got == h && *status == VIRTIO_BLK_S_OK &&
		!(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
		"%u segments of %u bytes: %s, status %d%s", seg_max, size_max,
		got == h ? "back" : "not back", *status,
		slot.status & VIRTIO_CONFIG_S_NEEDS_RESET ?
		", device needs reset" : "");
}

/* Point the first descriptor of a fresh queue outside the region. */
static void spoil_first_desc(struct virtq *q)
{
	if (q->packed)
		q->ring[0].addr = BASE + REGION_BYTES + 4096;
	else
		q->desc[0].addr = BASE + REGION_BYTES + 4096;
}

static void broken_stays_broken(const char *layout, int packed)
{
	uint8_t *frame = region + DATA_OFF, *cmd = region + REQ_OFF;
	uint8_t *ack = cmd + 64;
	const uint8_t set[8] = { VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_ADDR_SET,
				 0x02, 0x6b, 0x73, 0, 0, 0x66 };
	struct virtq_buf tx = { frame, KB_NET_HDR + 60 };
	struct virtq_buf out = { cmd, sizeof(set) }, in = { ack, 1 };

	if (net_up(packed)) {
		verdict("broken-stays-broken", layout, 0, "device not live");
		return;
	}
	memcpy(cmd, set, sizeof(set));
	*ack = 0xff;
	virtq_add(&vd.vq[1], &tx, 1, NULL, 0, frame);
	spoil_first_desc(&vd.vq[1]);
	virtq_publish(&vd.vq[1]);
	virtq_add(&vd.vq[2], &out, 1, &in, 1, cmd);
	virtq_publish(&vd.vq[2]);
	kb_device_poll(&net.dev, 64);
	verdict("broken-stays-broken", layout,
		(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET) &&
		!memcmp(slot.config, mac, 6) && !memcmp(net.mac, mac, 6) &&
		*ack == 0xff && !virtq_get(&vd.vq[2], NULL),
		"status %#x, MAC in config %02x:..:%02x, ack %#x: the ctrl command was served after the violation",
		slot.status, slot.config[0], slot.config[5], *ack);
}

static void rx_no_writable(const char *layout, int packed)
{
	static const uint8_t frame[60] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
	uint8_t *buf = region + DATA_OFF, *good = buf + 4096;
	struct virtq_buf ro = { buf, 2048 }, rw = { good, 2048 };
	uint32_t len = 0xdead;
	void *got;
	int r;

	if (net_up(packed)) {
		verdict("rx-no-writable", layout, 0, "device not live");
		return;
	}
	virtq_add(&vd.vq[0], &ro, 1, NULL, 0, buf);
	virtq_publish(&vd.vq[0]);
	r = kb_net_rx(&net, 0, frame, sizeof(frame), NULL);
	got = virtq_get(&vd.vq[0], &len);
	if (!verdict("rx-no-writable", layout,
		     r == -EINVAL && got == buf && len == 0 &&
		     !(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
		     "kb_net_rx %d, the read-only chain %s (len %u)", r,
		     got == buf ? "came back" : "was kept", len))
		return;
	/* And the device still delivers into a proper buffer. */
	virtq_add(&vd.vq[0], NULL, 0, &rw, 1, good);
	virtq_publish(&vd.vq[0]);
	r = kb_net_rx(&net, 0, frame, sizeof(frame), NULL);
	kb_net_rx_flush(&net, 0);
	got = virtq_get(&vd.vq[0], &len);
	verdict("rx-after-no-writable", layout,
		r == 0 && got == good && len == KB_NET_HDR + sizeof(frame),
		"kb_net_rx %d, len %u", r, len);
}

static void driver_ok_first(void)
{
	int ok;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	slot.status = VIRTIO_CONFIG_S_DRIVER_OK;
	kb_device_poll(&blk.dev, 1);
	if (!verdict("driver-ok-first-refused", NULL,
		     slot.status & VIRTIO_CONFIG_S_NEEDS_RESET,
		     "status %#x, want NEEDS_RESET", slot.status))
		return;
	slot.status = 0;
	kb_device_poll(&blk.dev, 1);
	ok = !bring_up(&blk.dev, 0);
	verdict("driver-ok-first-reset", NULL,
		ok && blk_request(VIRTIO_BLK_T_IN, 1, 512) == VIRTIO_BLK_S_OK,
		"after status 0 and a proper handshake: status %#x, live %d",
		slot.status, blk.dev.live);
}

/*
 * virtio_start() resets with the ABI's request; the slot's queue fields
 * are the guest's to write, so only the device clearing them keeps the
 * last driver's queue 1 from coming up with the next driver's queue 0.
 */
static void reset_forgets_queues(const char *layout, int packed)
{
	uint32_t first;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	if (!verdict("reset-forgets-queues-two", layout,
		     slot.num_queues >= 2 && !bring_up_queues(&blk.dev, packed, 2),
		     "%u queues offered, two not brought up", slot.num_queues))
		return;
	first = KB_READ(blk.dev.queues_up);
	if (bring_up_queues(&blk.dev, packed, 1)) {
		verdict("reset-forgets-queues", layout, 0,
			"one queue not brought up after the reset");
		return;
	}
	verdict("reset-forgets-queues", layout,
		first == 3 && KB_READ(blk.dev.queues_up) == 1 &&
		!slot.queues[1].ready,
		"queues up %#x then %#x, queue 1 ready %u (want 0x3, 0x1, 0)",
		first, KB_READ(blk.dev.queues_up), slot.queues[1].ready);
}

/*
 * A live blk device that went live with features before (acks
 * negotiations so far) is offered FEATURES_OK again with VERSION_1 only:
 * it keeps its features, negotiates nothing, still serves, and the
 * doorbell's hint sees no status change left to act on (the bits it
 * keeps are not one).
 */
static void features_kept(const char *name, uint64_t before, uint16_t acks)
{
	slot.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	slot.status |= VIRTIO_CONFIG_S_FEATURES_OK;
	kb_device_poll(&blk.dev, 1);
	verdict(name, NULL,
		blk.dev.features == before && slot.features_ack == acks &&
		blk.dev.live &&
		blk_request(VIRTIO_BLK_T_IN, 1, 512) == VIRTIO_BLK_S_OK &&
		!kb_device_status_changed(&blk.dev),
		"features %#llx (went live with %#llx), %u negotiations more, live %d, status change pending %d",
		(unsigned long long)blk.dev.features,
		(unsigned long long)before, (uint16_t)(slot.features_ack - acks),
		blk.dev.live, kb_device_status_changed(&blk.dev));
}

/*
 * A live device's features are the ones it went live with: a driver that
 * clears FEATURES_OK (and DRIVER_OK) and sets it again with other bits
 * does not negotiate again under the queues it set up.
 */
static void features_stay(void)
{
	uint64_t before;
	uint16_t acks;

	if (!verdict("features-stay-live", NULL, !blk_up(0), "device not live"))
		return;
	before = blk.dev.features;
	acks = slot.features_ack;
	slot.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	kb_device_poll(&blk.dev, 1);
	features_kept("features-stay-live", before, acks);
}

/*
 * The same when the driver clears FEATURES_OK in the very write that sets
 * DRIVER_OK: the device goes live on the features it accepted, and
 * setting FEATURES_OK again with other bits negotiates nothing.
 */
static void features_stay_driver_ok(void)
{
	const char *name = "features-stay-driver-ok";
	uint64_t before;
	uint16_t acks;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	if (!verdict(name, NULL, !handshake_but_ready(&blk.dev, 0,
						      slot.num_queues),
		     "handshake refused"))
		return;
	before = blk.dev.features;
	acks = slot.features_ack;
	slot.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_DRIVER_OK;
	kb_device_poll(&blk.dev, 1);
	if (!verdict(name, NULL, blk.dev.live, "device not live"))
		return;
	features_kept(name, before, acks);
}

/*
 * What the doorbell's handler reads: a status change not yet acted on,
 * and which queues were kicked since it last looked (and how many kicks
 * beyond one, capped) — only queues the device has set up: a guest's
 * kicks on others, or on a device it reset, are not worth a wake-up.
 */
static void doorbell_hints(void)
{
	uint32_t seen[KSPAWN_MAX_QUEUES] = { 0 }, extra = 0, m1, m2, m3, m4, m5;
	int idle, reset_asked, acted, status_asked;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	if (!verdict("doorbell-hints", NULL, slot.num_queues >= 2 &&
		     !bring_up_queues(&blk.dev, 0, 1),
		     "a blk device of %u queues with queue 0 up", slot.num_queues))
		return;
	idle = kb_device_status_changed(&blk.dev);
	slot.queues[0].notify += 3;
	m1 = kb_device_notified(&blk.dev, seen, &extra);
	m2 = kb_device_notified(&blk.dev, seen, &extra);
	slot.queues[0].notify -= 1000;		/* a guest's lie: capped */
	m3 = kb_device_notified(&blk.dev, seen, &extra);
	slot.queues[1].notify += 1;		/* never set up */
	m4 = kb_device_notified(&blk.dev, seen, &extra);
	slot.reset = 1;
	reset_asked = kb_device_status_changed(&blk.dev);
	kb_device_poll(&blk.dev, 1);
	acted = kb_device_status_changed(&blk.dev);
	slot.status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	status_asked = kb_device_status_changed(&blk.dev);
	slot.queues[0].notify += 1;		/* after the reset */
	m5 = kb_device_notified(&blk.dev, seen, &extra);
	verdict("doorbell-hints", NULL,
		!idle && reset_asked && !acted && status_asked &&
		m1 == 1 && !m2 && m3 == 1 && !m4 && !m5 && extra == 2 + 16,
		"changed: up %d, reset asked %d, after the poll %d, status written %d; queues kicked %#x, %#x, %#x, on a queue not set up %#x, after a reset %#x, extra kicks %u (want 18)",
		idle, reset_asked, acted, status_asked, m1, m2, m3, m4, m5,
		extra);
}

static atomic_int flip_stop;

/* Good, too low, too high: a device that reads once never passes the last two. */
static void *flip_vector(void *arg)
{
	static const uint32_t v[] = { 40, 7, 300 };

	(void)arg;
	for (unsigned int i = 0; !atomic_load_explicit(&flip_stop,
					memory_order_relaxed); i++)
		__atomic_store_n(&slot.config_vector, v[i % 3],
				 __ATOMIC_RELAXED);
	return NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void config_vector_once(void)
{
	double end = now() + 2;
	unsigned long rounds = 0;
	int saved, null;
	pthread_t th;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	atomic_store(&bad_vectors, 0);
	atomic_store(&config_irqs, 0);
	/*
	 * One log line per violation: not 100 000 of them in the log.  A
	 * sanitizer report still goes to the real stderr.
	 */
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_report_fd((void *)(intptr_t)saved);
#endif
	dup2(null, 2);
	pthread_create(&th, NULL, flip_vector, NULL);
	while (now() < end && !atomic_load(&bad_vectors)) {
		for (int i = 0; i < 1000; i++, rounds++) {
			slot.reset = 1;
			kb_device_poll(&blk.dev, 1);
			slot.status = VIRTIO_CONFIG_S_DRIVER_OK;
			kb_device_poll(&blk.dev, 1);
		}
	}
	atomic_store(&flip_stop, 1);
	pthread_join(th, NULL);
	dup2(saved, 2);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_report_fd((void *)(intptr_t)2);
#endif
	close(saved);
	close(null);
	verdict("config-vector-once", NULL, !atomic_load(&bad_vectors) &&
		atomic_load(&config_irqs),
		"%lu of %lu config interrupts with a vector outside 32..255 (%lu violations)",
		atomic_load(&bad_vectors), atomic_load(&config_irqs), rounds);
}

int main(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	ram = kb_ram_new(DISK_BYTES);
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		blk_limits(layout, packed);
		blk_short_header(layout, packed);
		blk_both_max(layout, packed);
		broken_stays_broken(layout, packed);
		rx_no_writable(layout, packed);
		reset_forgets_queues(layout, packed);
	}
	driver_ok_first();
	features_stay();
	features_stay_driver_ok();
	config_vector_once();
	doorbell_hints();
	kb_ram_free(ram);
	free(region);
	printf("device_hostile: %d failed\n", failures);
	return failures != 0;
}
