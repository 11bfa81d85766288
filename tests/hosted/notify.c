/*
 * Hosted: notification suppression, both ways, as the driver
 * (guest/lib/virtq*.c) and the device (host/backend/vq*.c) agree on it,
 * for the split and packed layouts with and without EVENT_IDX.  One
 * thread plays both sides, so every answer is deterministic:
 *
 *   kicks-off       the device polls: the driver is never asked to kick
 *   kicks-on        before sleeping the device asks for a kick: the next
 *                   buffer rings (once, with EVENT_IDX), and kicks_on()
 *                   itself says when buffers were already there
 *   irq-off         the driver polls: the device never interrupts
 *   irq-on          the driver armed: the next completion interrupts
 *                   (once, with EVENT_IDX), and arm() says when one was
 *                   already there
 *   expose          virtq_expose(), then virtq_kick_needed() after other
 *                   work: the decision covers what was exposed since the
 *                   last one (none: no kick), and a device that asked for
 *                   kicks before or after the exposure is told or sees
 *                   the buffer
 *   laps            kicks on and armed for every buffer over five laps
 *                   of the ring: every one rings and interrupts exactly
 *                   once, across index and wrap-counter turns
 *   long-undecided  the device asks for a kick, then serves (polling
 *                   once more) as many buffers as the indices can tell
 *                   apart, exposed with no kick decision between: the
 *                   decision must still ring (split: 65536, packed: two
 *                   laps, where the positions come back to the same,
 *                   and 65536)
 *   long-unsignalled  the same the other way: the driver armed, then the
 *                   device used that many buffers with no interrupt
 *                   decision between: the decision must interrupt
 *   event-off-outside  packed, EVENT_IDX: the driver armed and then
 *                   wrote an offset past the ring into its event area:
 *                   the next completion interrupts (it names no
 *                   descriptor, and counts as ENABLE)
 *   state           virtq_state(), the positions a stuck queue's report
 *                   shows, a lap and three buffers on (one not served):
 *                   added, published, used, taken, kicked and the
 *                   device's kick request as each layout counts them
 *                   (packed: lap positions, the ring's size added on a
 *                   lap whose wrap counter is 0; no used index), the
 *                   request 0xffff when there is none to read (a
 *                   mutation audit found the report untested)
 *   kick-after-served  EVENT_IDX: a buffer exposed, served by a polling
 *                   device, which then asks for a kick at its next
 *                   buffer: the decision for the served one is no kick
 *                   (the request names a descriptor not yet made
 *                   available), the next buffer's is one
 *   device-event-off-edge  packed, EVENT_IDX: the device's event area
 *                   names offset QSIZE, the first past the ring: no
 *                   descriptor, so a kick, as for ENABLE
 *   device-event-desc-no-event-idx  packed without EVENT_IDX: a device
 *                   that writes DESC anyway is kicked, as for ENABLE,
 *                   its offset not read
 *                   (the last three: what a mutation audit of the
 *                   driver's packed event checks found untested)
 *
 * Each case prints "ok NAME" or "FAIL NAME: why"; last "notify: N failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/vq.h"
#include "lib/virtq.h"

#define BASE 0x10000000ULL
#define REGION (1u << 20)
#define QSIZE 16

static uint8_t *region;
static struct kb_region kr;
static struct kb_vq dev;
static struct virtq drv;
static void *cookies[QSIZE];
static struct kb_chain chain;
static uint8_t *buf;		/* in the region, where the device can see it */
static int failures, case_failed;
static char why[160];

static uint64_t gpa(const void *va)
{
	return BASE + (uint64_t)((const uint8_t *)va - region);
}

static void setup(int packed, int event_idx)
{
	memset(region, 0, REGION);
	if (packed) {
		virtq_init_packed(&drv, QSIZE, region, cookies, gpa,
				  event_idx);
		kb_vq_setup_packed(&dev, &kr, QSIZE, gpa(drv.ring),
				   gpa(drv.driver_event), gpa(drv.device_event),
				   event_idx);
	} else {
		virtq_init(&drv, QSIZE, region, cookies, gpa, event_idx);
		kb_vq_setup(&dev, &kr, QSIZE, gpa(drv.desc), gpa(drv.avail),
			    gpa(drv.used), event_idx);
	}
}

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok || case_failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

/* The driver adds one buffer and publishes: did it want a kick? */
static int add(void)
{
	struct virtq_buf b = { buf, 64 };

	if (virtq_add(&drv, &b, 1, NULL, 0, buf)) {
		check(0, "no room in the ring");
		return 0;
	}
	return virtq_publish(&drv);
}

/* The device serves every available buffer: should it interrupt? */
static int serve(void)
{
	int n = 0;

	while (kb_vq_pop(&dev, &chain) > 0) {
		kb_vq_push_quiet(&dev, &chain, 0);
		n++;
	}
	check(n > 0, "the device found nothing to serve");
	kb_vq_publish(&dev);
	return kb_vq_should_notify(&dev);
}

static void drain(void)
{
	while (virtq_get(&drv, NULL))
		;
}

static void kicks_off(void)
{
	for (int i = 0; i < 3 * QSIZE; i++) {
		check(!add(), "a kick was asked for while the device polls (buffer %d)", i);
		serve();
		drain();
	}
}

static void kicks_on(int event_idx)
{
	check(!kb_vq_kicks_on(&dev), "kicks_on() saw buffers in an empty ring");
	check(add(), "the first buffer after kicks_on() did not ring");
	check(add() == !event_idx, "a second buffer %s",
	      event_idx ? "rang again before the device looked" :
			  "did not ring with kicks on");
	check(kb_vq_kicks_on(&dev), "kicks_on() missed two waiting buffers");
	serve();
	drain();
	kb_vq_kicks_off(&dev);
	check(!add(), "a kick was asked for after kicks_off()");
}

/* Added, not published. */
static void add_only(void)
{
	struct virtq_buf b = { buf, 64 };

	check(!virtq_add(&drv, &b, 1, NULL, 0, buf), "no room in the ring");
}

static void expose(int event_idx)
{
	int packed = drv.packed, kick;

	(void)event_idx;	/* the same answers with and without */
	/* Kicks asked for before the buffer is exposed: the decision says so. */
	check(!kb_vq_kicks_on(&dev), "kicks_on() saw buffers in an empty ring");
	add_only();
	/* Split: added is not visible; packed: the add made it visible. */
	check(kb_vq_has_avail(&dev) == packed, "an added buffer %s",
	      packed ? "was not visible" : "was visible before virtq_expose()");
	/* Nothing exposed yet: split has nothing to ring for. */
	kick = virtq_kick_needed(&drv);
	check(kick == packed, "the decision before virtq_expose() was %d",
	      kick);
	virtq_expose(&drv);
	check(kb_vq_has_avail(&dev), "virtq_expose() left the buffer unseen");
	serve();
	drain();	/* the work between the two steps */
	/* Split: that one is decided now; packed: it was, already. */
	kick = virtq_kick_needed(&drv);
	check(kick == !packed, "the decision after virtq_expose() was %d",
	      kick);
	kick = virtq_kick_needed(&drv);
	check(!kick, "a decision with nothing exposed since the last was %d",
	      kick);

	/* Kicks asked for after the exposure: the device sees the buffer. */
	kb_vq_kicks_off(&dev);
	add_only();
	virtq_expose(&drv);
	check(kb_vq_kicks_on(&dev), "kicks_on() missed an exposed buffer");
	virtq_kick_needed(&drv);
	serve();
	drain();
	kb_vq_kicks_off(&dev);
	check(!add(), "a kick was asked for after kicks_off()");
}

static void irq_off(void)
{
	virtq_disarm(&drv);
	for (int i = 0; i < 3 * QSIZE; i++) {
		add();
		check(!serve(), "an interrupt while the driver polls (buffer %d)", i);
		drain();
	}
}

static void irq_on(int event_idx)
{
	check(!virtq_arm(&drv), "arm() saw a completion in an empty ring");
	add();
	check(serve(), "no interrupt for the first completion after arm()");
	add();
	check(serve() == !event_idx, "the second completion %s",
	      event_idx ? "interrupted before the driver re-armed" :
			  "did not interrupt with interrupts on");
	check(virtq_arm(&drv), "arm() missed two completions");
	drain();
	virtq_disarm(&drv);
	add();
	check(!serve(), "an interrupt after disarm()");
	drain();
}

static void laps(void)
{
	int kicks = 0, irqs = 0, n = 5 * QSIZE + 3;

	for (int i = 0; i < n; i++) {
		check(!kb_vq_kicks_on(&dev), "kicks_on() saw a stale buffer");
		check(!virtq_arm(&drv), "arm() saw a stale completion");
		kicks += add();
		kb_vq_kicks_off(&dev);
		irqs += serve();
		virtq_disarm(&drv);
		drain();
	}
	check(kicks == n && irqs == n, "%d buffers: %d kicks, %d interrupts",
	      n, kicks, irqs);
}

/*
 * As many buffers as the indices can tell apart (split's repeat after
 * 65536, packed's positions after two laps), each exposed, served and
 * taken back with neither a kick nor an interrupt decision: the device's
 * and the driver's requests stay as they were.  Returns how many.
 */
static int pass_without_decisions(int n)
{
	if (!n)
		n = drv.packed ? 2 * QSIZE : 65536;

	for (int i = 0; i < n; i++) {
		add_only();
		virtq_expose(&drv);
		if (kb_vq_pop(&dev, &chain) > 0) {
			kb_vq_push_quiet(&dev, &chain, 0);
			kb_vq_publish(&dev);
		}
		drain();
	}
	return n;
}

static void long_undecided(int event_idx)
{
	int n;

	(void)event_idx;
	check(!kb_vq_kicks_on(&dev), "kicks_on() saw buffers in an empty ring");
	n = pass_without_decisions(0);
	check(virtq_kick_needed(&drv), "%d buffers exposed since the device "
	      "asked for a kick: no kick", n);
	check(!virtq_kick_needed(&drv), "a second decision rang again");
	/*
	 * Packed: 65536 too, where a count of what was exposed kept in 16
	 * bits would be 0 and say nothing was.
	 */
	if (!drv.packed)
		return;
	check(!kb_vq_kicks_on(&dev), "kicks_on() saw buffers in an empty ring");
	n = pass_without_decisions(65536);
	check(virtq_kick_needed(&drv), "%d buffers exposed since the device "
	      "asked for a kick: no kick", n);
}

static void long_unsignalled(int event_idx)
{
	int n;

	(void)event_idx;
	check(!virtq_arm(&drv), "arm() saw a completion in an empty ring");
	n = pass_without_decisions(0);
	check(kb_vq_should_notify(&dev), "%d buffers used since the driver "
	      "armed: no interrupt", n);
	check(!kb_vq_should_notify(&dev), "a second decision interrupted again");
}

/*
 * Packed, EVENT_IDX: a driver event offset past the ring (junk a driver
 * may write) names no descriptor; it counts as ENABLE, so the next
 * completion interrupts rather than waiting for a position it aliases.
 */
static void event_off_outside(int event_idx)
{
	uint16_t junk = QSIZE | 1u << VRING_PACKED_EVENT_F_WRAP_CTR;

	(void)event_idx;
	check(!virtq_arm(&drv), "arm() saw a completion in an empty ring");
	drv.driver_event->off_wrap = junk;
	add();
	check(serve(), "driver event offset %#x (past a ring of %u): no interrupt",
	      junk, QSIZE);
	drain();
}

static void state(int event_idx)
{
	int packed = drv.packed, n = QSIZE + 2;
	uint16_t want_at;
	struct virtq_state st;

	for (int i = 0; i < n; i++) {
		add();
		serve();
		drain();
	}
	add();
	if (packed) {
		/*
		 * DESC naming slot 4 of the lap whose wrap counter is 0;
		 * or DISABLE, which names nothing.
		 */
		drv.device_event->off_wrap = 4;
		drv.device_event->flags = event_idx ?
			VRING_PACKED_EVENT_FLAG_DESC :
			VRING_PACKED_EVENT_FLAG_DISABLE;
		want_at = event_idx ? QSIZE + 4 : 0xffff;
	} else {
		/* avail_event, after the used ring */
		*(uint16_t *)&drv.used->ring[QSIZE] = 0x1234;
		want_at = event_idx ? 0x1234 : 0xffff;
	}
	virtq_state(&drv, &st);
	check(st.added == n + 1 && st.published == n + 1 &&
	      st.used == (packed ? 0xffff : n) && st.taken == n &&
	      st.kicked == n + 1 && st.notify_at == want_at,
	      "added %u published %u used %u taken %u kicked %u notify_at %#x; want %d %d %d %d %d %#x",
	      st.added, st.published, st.used, st.taken, st.kicked,
	      st.notify_at, n + 1, n + 1, packed ? 0xffff : n, n, n + 1,
	      want_at);
}

static void kick_after_served(int event_idx)
{
	(void)event_idx;
	add_only();
	virtq_expose(&drv);
	serve();
	drain();
	check(!kb_vq_kicks_on(&dev), "kicks_on() saw a served buffer");
	check(!virtq_kick_needed(&drv),
	      "a kick for a buffer the device served before asking for the next");
	check(add(), "the buffer after the device's request did not ring");
}

/* The device's event area written by hand: a kick whatever it names. */
static void device_event(uint16_t flags, uint16_t off_wrap)
{
	__atomic_store_n(&drv.device_event->off_wrap, off_wrap,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&drv.device_event->flags, flags, __ATOMIC_RELEASE);
	check(add(), "device event flags %#x offset %#x: no kick", flags,
	      off_wrap);
}

static void device_event_off_edge(int event_idx)
{
	(void)event_idx;
	device_event(VRING_PACKED_EVENT_FLAG_DESC,
		     QSIZE | 1u << VRING_PACKED_EVENT_F_WRAP_CTR);
}

static void device_event_desc_no_event_idx(int event_idx)
{
	(void)event_idx;
	/* Slot 5 of this lap: with EVENT_IDX, 4 adds before a kick. */
	device_event(VRING_PACKED_EVENT_FLAG_DESC,
		     5 | 1u << VRING_PACKED_EVENT_F_WRAP_CTR);
}

static void run(const char *name, int packed, int event_idx,
		void (*fn)(int event_idx))
{
	char full[64];

	snprintf(full, sizeof(full), "%s-%s%s", name,
		 packed ? "packed" : "split", event_idx ? "-event-idx" : "");
	setup(packed, event_idx);
	case_failed = 0;
	fn(event_idx);
	if (case_failed)
		printf("FAIL %s: %s\n", full, why);
	else
		printf("ok %s\n", full);
	failures += !!case_failed;
}

static void kicks_off_case(int e) { (void)e; kicks_off(); }
static void irq_off_case(int e) { (void)e; irq_off(); }
static void laps_case(int e) { (void)e; laps(); }

int main(void)
{
	region = aligned_alloc(4096, REGION);
	if (!region)
		return 1;
	kr = (struct kb_region){ region, BASE, REGION };
	buf = region + REGION / 2;
	for (int packed = 0; packed < 2; packed++) {
		for (int e = 0; e < 2; e++) {
			run("kicks-off", packed, e, kicks_off_case);
			run("kicks-on", packed, e, kicks_on);
			run("expose", packed, e, expose);
			run("irq-off", packed, e, irq_off_case);
			run("irq-on", packed, e, irq_on);
			run("laps", packed, e, laps_case);
			run("long-undecided", packed, e, long_undecided);
			run("long-unsignalled", packed, e, long_unsignalled);
			run("state", packed, e, state);
		}
	}
	run("event-off-outside", 1, 1, event_off_outside);
	run("kick-after-served", 0, 1, kick_after_served);
	run("kick-after-served", 1, 1, kick_after_served);
	run("device-event-off-edge", 1, 1, device_event_off_edge);
	run("device-event-desc-no-event-idx", 1, 0,
	    device_event_desc_no_event_idx);
	printf("notify: %d failed\n", failures);
	free(region);
	return failures != 0;
}
