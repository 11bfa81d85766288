/*
 * Hosted: a driver walking the device's status machine (host/backend/
 * device.c) off its path on purpose: status bits out of order, cleared
 * under a live device, a reset request (the hints the doorbell's handler
 * reads: device_hints.c).  The driver is the guest's own
 * (guest/lib/virtio.c), the device is polled by hand (device_harness.c),
 * so every case is deterministic, and each case prints "ok NAME" or
 * "FAIL NAME: why".  The interrupt vectors' cases are device_vectors.c's.
 *
 *   driver-ok-first       DRIVER_OK as the very first status, then status
 *                         0: the reset revives the device
 *   reset-forgets-queues-* blk with two queues, reset (the ABI's request)
 *                         and started again with one: queue 1 does not
 *                         come back with the old driver's rings, whose
 *                         requests would run again
 *   features-stay-live, features-stay-driver-ok
 *                         a live device keeps the features it went live
 *                         with when the driver clears FEATURES_OK and
 *                         sets it again with others
 *   features-refused-racing-*
 *                         the driver writes status again (DRIVER_OK, a
 *                         reset, FAILED) while the device weighs a
 *                         FEATURES_OK it refuses: its write stands (the
 *                         device once wrote back the status it had
 *                         read), and FEATURES_OK is refused once it is
 *                         still there
 *   violation-racing-*    the driver writes status (a reset, FAILED) just
 *                         as the device, broken by a chain outside the
 *                         region, sets NEEDS_RESET: its write stands
 *                         (the device once wrote back the status it had
 *                         read, plus NEEDS_RESET), a reset unmarked and
 *                         acted on at the next poll; a driver rewriting
 *                         status at every try is tried a bounded number
 *                         of times
 *   violation-later-*     the same device, its NEEDS_RESET missing from
 *                         the status the driver left before the next
 *                         poll (a reset then ACKNOWLEDGE, the mark
 *                         written over, a driver still flapping): that
 *                         poll puts it there, with a config interrupt
 *   failed-later          a driver that set FAILED and then writes
 *                         ACKNOWLEDGE without a reset is not marked
 *   features-need-version-1  FEATURES_OK without VERSION_1: refused
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/hosted/device_harness.h"
#include "tests/hosted/quiet_stderr.h"
#include "tests/hosted/verdict.h"

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

	if (!precondition("features-stay-live", NULL, !blk_up(0),
			  "device not live"))
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
	if (!precondition(name, NULL,
			  !handshake_but_ready(&blk.dev, 0, slot.num_queues),
			  "handshake refused"))
		return;
	before = blk.dev.features;
	acks = slot.features_ack;
	slot.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_DRIVER_OK;
	kb_device_poll(&blk.dev, 1);
	if (!precondition(name, NULL, blk.dev.live, "device not live"))
		return;
	features_kept(name, before, acks);
}

/*
 * A device that refuses every FEATURES_OK, and while it weighs one (in
 * its class's features_ok) sees the driver's next status write land
 * once: the guest writes when it likes, and the device's poll is
 * between its read of the status and its answer then.
 */
static uint8_t racing_status;
static int racing_writes;

static int refuse_racing(uint64_t features)
{
	(void)features;
	if (racing_writes-- > 0)
		__atomic_store_n(&slot.status, racing_status, __ATOMIC_RELAXED);
	return 0;
}

static int no_work(struct kb_device *d, int budget)
{
	(void)d;
	(void)budget;
	return 0;
}

static const struct kb_device_class racing_class = {
	.name = "racing",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_size_max = QSIZE,
	.features_ok = refuse_racing,
	.work = no_work,
};

/*
 * The driver asks for FEATURES_OK, then writes wrote: status a few polls
 * later is want, with acks FEATURES_OK answers counted.
 */
static void refused_racing(const char *layout, uint8_t wrote, uint8_t want,
			   uint16_t acks)
{
	const uint8_t asked = VIRTIO_CONFIG_S_ACKNOWLEDGE |
			      VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK;
	struct kb_device d;
	uint16_t before;

	fresh();
	kb_device_init(&d, &slot, &kr, &racing_class, NULL, &ops, NULL);
	slot.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	slot.status = asked;
	racing_status = wrote;
	racing_writes = 1;
	before = slot.features_ack;
	for (int i = 0; i < 4; i++)
		kb_device_poll(&d, 1);
	verdict("features-refused-racing", layout,
		slot.status == want && !d.live &&
		(uint16_t)(slot.features_ack - before) == acks,
		"status %#x after the driver wrote %#x (want %#x), live %d, %u answers (want %u)",
		slot.status, wrote, want, d.live,
		(uint16_t)(slot.features_ack - before), acks);
}

/*
 * A late DRIVER_OK (a driver that took a silent device at its word):
 * FEATURES_OK is refused under it, and DRIVER_OK without it is a
 * violation the driver sees (NEEDS_RESET), not a status the device
 * rewound to ACKNOWLEDGE | DRIVER, leaving the driver to wait for ever
 * on a device it thinks live.  A reset (0) and FAILED stand as written.
 */
static void features_refused_racing(void)
{
	const uint8_t ad = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	refused_racing("late-driver-ok",
		       ad | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK,
		       ad | VIRTIO_CONFIG_S_DRIVER_OK |
		       VIRTIO_CONFIG_S_NEEDS_RESET, 1);
	refused_racing("reset", 0, 0, 0);
	refused_racing("failed",
		       ad | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_FAILED,
		       ad | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_FAILED,
		       0);
}

/*
 * The driver's status writes, one per window the device opens between
 * its read of the status and its write of NEEDS_RESET
 * (KB_HOSTED_TEST_HOOK, hosted builds only): the guest writes when it
 * likes, and these land where they do the most harm.
 */
static const uint8_t *violating_writes;
static int violating_left, violating_windows;

static void land_status(void *field)
{
	if (field != &slot.status)
		return;
	violating_windows++;
	if (violating_left-- > 0)
		__atomic_store_n(&slot.status, *violating_writes++,
				 __ATOMIC_RELAXED);
}

/* A poll of the device with the n statuses in writes landing in its windows. */
static int poll_racing(const uint8_t *writes, int n)
{
	violating_writes = writes;
	violating_left = n;
	violating_windows = 0;
	kb_hosted_test_hook = land_status;
	kb_device_poll(&blk.dev, 8);
	kb_hosted_test_hook = NULL;
	return violating_windows;
}

/*
 * A live blk device (config interrupts on vector 40) given a chain
 * outside the region, polled while the driver writes the n statuses in
 * writes: it breaks.  Returns the windows the writes had, -1 (a FAIL
 * for name) if the device would not come up.
 */
static int break_racing(const char *name, const char *layout,
			const uint8_t *writes, int n)
{
	uint8_t *h = region + REQ_OFF, *status = region + DATA_OFF;
	struct virtq_buf out = { h, 16 }, in = { status, 1 };

	if (blk_up(0)) {
		verdict(name, layout, 0, "device not up");
		return -1;
	}
	slot.config_vector = 40;
	memset(h, 0, 16);
	if (virtq_add(&vd.vq[0], &out, 1, &in, 1, h)) {
		verdict(name, layout, 0, "request not added");
		return -1;
	}
	vd.vq[0].desc[0].addr = BASE + REGION_BYTES + 4096;
	virtq_publish(&vd.vq[0]);
	atomic_store(&config_irqs, 0);
	return poll_racing(writes, n);
}

/*
 * A live blk device given a chain outside the region breaks while the
 * driver writes the n statuses in writes: afterwards status is want (-1:
 * the last write that landed, unmarked), the device's tries bounded, and
 * the next poll, status 0 by then, resets it.
 */
static void violation_racing(const char *layout, const uint8_t *writes,
			     int n, int want)
{
	uint64_t transitions;
	int windows, hint;
	uint8_t after;

	windows = break_racing("violation-racing", layout, writes, n);
	if (windows < 0)
		return;
	after = slot.status;
	if (want < 0)
		want = windows >= 1 && windows <= n ? writes[windows - 1] : -1;
	slot.status = 0;
	hint = kb_device_status_changed(&blk.dev);
	transitions = blk.dev.transitions;
	kb_device_poll(&blk.dev, 1);
	verdict("violation-racing", layout,
		after == want && windows >= (n < 16 ? n : 2) && windows <= 16 &&
		hint && blk.dev.transitions == transitions + 1 &&
		!blk.dev.broken && !blk.dev.status,
		"status %#x after the driver's last write %#x (want %#x), %d windows for %d writes; then status 0: change seen %d, %s",
		after, n ? writes[n - 1] : 0, want, windows, n, hint,
		blk.dev.broken ? "still broken" : "reset");
}

/* A live driver's status, and the same with FAILED set. */
#define LIVE_STATUS (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
		     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)
#define FAILED_STATUS (LIVE_STATUS | VIRTIO_CONFIG_S_FAILED)

/* A guest flapping between the two at every write: n writes in f. */
static void flap(uint8_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[i] = i % 2 ? LIVE_STATUS : FAILED_STATUS;
}

/*
 * None: NEEDS_RESET over the live status.  A reset stands, unmarked, and
 * the next poll acts on it (before, the device wrote the live status back
 * and the driver waited for a 0 that never came).  FAILED stands, marked.
 * A new status under every try: the device gives up rather than spin on
 * the guest's byte, leaving the guest's last write.
 */
static void violations_racing(void)
{
	const uint8_t reset = 0, failed = FAILED_STATUS;
	uint8_t flapping[64];

	violation_racing("none", NULL, 0,
			 LIVE_STATUS | VIRTIO_CONFIG_S_NEEDS_RESET);
	violation_racing("reset", &reset, 1, 0);
	violation_racing("failed", &failed, 1,
			 failed | VIRTIO_CONFIG_S_NEEDS_RESET);
	flap(flapping, sizeof(flapping));
	violation_racing("flapping", flapping, sizeof(flapping), -1);
}

/*
 * A device broken while the driver writes writes (n of them), then
 * (later >= 0) the driver's next status before the device's next poll,
 * which lands the m statuses in retry: the device owes the guest
 * NEEDS_RESET, so a poll puts it over the status the guest has left
 * without it (the last of retry's bounded tries; else the one after),
 * with one config interrupt, and the doorbell's hint wakes the thread
 * for it and then sees nothing more; status 0 resets the device.
 */
static void violation_later(const char *layout, const uint8_t *writes,
			    int n, int later, const uint8_t *retry, int m)
{
	const char *name = "violation-later";
	unsigned long irqs, irqs_tried, irqs_marked, irqs_again;
	int hint, hint_marked, tries = 0, tries_ok;
	uint8_t left, marked;

	if (break_racing(name, layout, writes, n) < 0)
		return;
	irqs = atomic_load(&config_irqs);
	if (later >= 0)
		slot.status = (uint8_t)later;
	hint = kb_device_status_changed(&blk.dev);
	if (m)
		tries = poll_racing(retry, m);
	left = slot.status;
	irqs_tried = atomic_load(&config_irqs);
	/* Given up on, bounded: the guest's last write left unmarked. */
	tries_ok = !m || (tries >= 1 && tries <= 8 && irqs_tried == irqs &&
			  !(left & VIRTIO_CONFIG_S_NEEDS_RESET));
	kb_device_poll(&blk.dev, 1);
	marked = slot.status;
	irqs_marked = atomic_load(&config_irqs);
	hint_marked = kb_device_status_changed(&blk.dev);
	kb_device_poll(&blk.dev, 1);
	irqs_again = atomic_load(&config_irqs);
	slot.status = 0;
	kb_device_poll(&blk.dev, 1);
	verdict(name, layout,
		tries_ok && hint &&
		marked == (left | VIRTIO_CONFIG_S_NEEDS_RESET) &&
		irqs_marked == irqs + 1 && !hint_marked &&
		irqs_again == irqs_marked && !blk.dev.broken && !blk.dev.status,
		"%d tries rewritten at each (want 0, or 1 to 8 for a flapping guest, unmarked, no interrupt: %lu interrupts); status %#x left by the guest: change seen %d; a poll later %#x (want %#x), %lu config interrupts (want 1), change seen %d; one more poll: %lu interrupts more; then status 0: %s",
		tries, irqs_tried - irqs, left, hint, marked,
		left | VIRTIO_CONFIG_S_NEEDS_RESET, irqs_marked - irqs_tried,
		hint_marked, irqs_again - irqs_marked,
		blk.dev.broken ? "still broken" : "reset");
}

/*
 * The driver's status, unmarked by the violation or marked and then
 * written over, without the reset handshake, before the device's next
 * poll: a reset (0) that the next status write hid from the device, or a
 * guest flapping at every try.  Before, the device stayed broken and
 * the driver, seeing no NEEDS_RESET and no interrupt, waited for ever.
 * A driver that set FAILED itself is not marked: it gave up, and nothing
 * was asked of it (failed-later).
 */
static void violations_later(void)
{
	const uint8_t reset = 0;
	uint8_t flapping[64];
	unsigned long irqs;

	violation_later("reset-ack", &reset, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE,
			NULL, 0);
	violation_later("cleared", NULL, 0, VIRTIO_CONFIG_S_ACKNOWLEDGE,
			NULL, 0);
	flap(flapping, sizeof(flapping));
	violation_later("flapping", flapping, sizeof(flapping), -1, flapping,
			sizeof(flapping));

	if (!precondition("failed-later", NULL, !blk_up(0), "device not up"))
		return;
	slot.config_vector = 40;
	atomic_store(&config_irqs, 0);
	slot.status |= VIRTIO_CONFIG_S_FAILED;
	kb_device_poll(&blk.dev, 1);
	slot.status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	kb_device_poll(&blk.dev, 1);
	irqs = atomic_load(&config_irqs);
	verdict("failed-later", NULL,
		blk.dev.broken && slot.status == VIRTIO_CONFIG_S_ACKNOWLEDGE &&
		!irqs,
		"after FAILED and then %#x: %s, status %#x, %lu config interrupts (want none)",
		VIRTIO_CONFIG_S_ACKNOWLEDGE,
		blk.dev.broken ? "broken" : "not broken", slot.status, irqs);
}

/*
 * FEATURES_OK for features without VERSION_1 (a legacy driver, which
 * this device does not speak), each offered bit otherwise: refused.
 */
static void features_need_version_1(void)
{
	uint8_t want = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_FEATURES_OK;
	uint64_t offer;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	offer = slot.device_features;
	slot.driver_features = offer & ~(1ULL << VIRTIO_F_VERSION_1);
	slot.status = want;
	kb_device_poll(&blk.dev, 1);
	verdict("features-need-version-1", NULL,
		!(slot.status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		slot.features_ack == 1,
		"features %#llx: status %#x, %u answers (want FEATURES_OK cleared, 1)",
		(unsigned long long)slot.driver_features, slot.status,
		slot.features_ack);
}

int main(void)
{
	harness_start();
	for (int packed = 0; packed < 2; packed++)
		reset_forgets_queues(packed ? "packed" : "split", packed);
	driver_ok_first();
	features_stay();
	features_stay_driver_ok();
	features_refused_racing();
	violations_racing();
	violations_later();
	features_need_version_1();
	harness_end();
	printf("device_status: %d failed\n", failures);
	return failures != 0;
}
