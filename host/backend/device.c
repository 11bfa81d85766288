// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "device.h"

#ifndef __KERNEL__
void (*kb_hosted_test_hook)(void *field);
#endif

void kb_device_init(struct kb_device *d, struct kspawn_device *slot,
		    const struct kb_region *r, const struct kb_device_class *cls,
		    void *priv, const struct kb_device_ops *ops, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->r = r;
	d->cls = cls;
	d->priv = priv;
	d->ops = ops;
	d->ctx = ctx;
	KB_WRITE(slot->num_queues, cls->num_queues);
	KB_WRITE(slot->device_features, cls->features | KB_F_TRANSPORT);
	for (uint32_t q = 0; q < cls->num_queues; q++)
		KB_WRITE(slot->queues[q].size_max, cls->queue_size_max);
	KB_WRITE(slot->status, 0);
	kb_wmb();
	KB_WRITE(slot->device_id, cls->device_id);	/* last: slot valid */
}

void kb_device_withhold(struct kb_device *d, uint64_t bits)
{
	d->withheld |= bits;
	KB_WRITE(d->slot->device_features,
		 (d->cls->features & ~d->withheld) | KB_F_TRANSPORT);
}

/*
 * The tries at NEEDS_RESET against a guest rewriting its status: a driver
 * writes it a few times in a handshake, only a hostile one at every try.
 */
#define NEEDS_RESET_TRIES 8

/*
 * NEEDS_RESET goes over the status as the guest left it, never over a
 * copy read before its last write: that would undo a reset (a driver then
 * waits for a 0 that never comes back) or FAILED.  A reset gets no mark:
 * the next poll resets the device, which d->status, never 0 once broken,
 * lets it do.  A guest rewriting its status at every try goes unmarked
 * for now.  Either way kb_device_poll() tries again while the guest's
 * status is not 0 and lacks the mark: a reset followed by the next
 * status before that poll hides the 0 from it, and the driver would wait
 * for ever on a device that never answers.  Returns the status the mark
 * went over, with it, or 0 if there is none.
 */
static uint8_t mark_needs_reset(struct kb_device *d)
{
	uint8_t status = KB_READ(d->slot->status);

	for (int i = 0; i < NEEDS_RESET_TRIES && status; i++) {
		uint8_t marked = status | VIRTIO_CONFIG_S_NEEDS_RESET, seen;

		if (status & VIRTIO_CONFIG_S_NEEDS_RESET)
			return status;
		KB_HOSTED_TEST_HOOK(d->slot->status);
		seen = KB_CMPXCHG(d->slot->status, status, marked);
		if (seen == status)
			return marked;
		status = seen;
	}
	return 0;
}

/*
 * The mark is there, over status: tell the driver with a config
 * interrupt, the exchange having put the mark before the IPI.  Only a
 * mark is worth one (a driver that reset us has nothing to look at).
 * The marked status is what we act on from now: the doorbell's hint
 * sees a change again only when the guest writes (a reset, or a status
 * without the mark).
 */
static void needs_reset_marked(struct kb_device *d, uint8_t status)
{
	/* Once: the guest may rewrite it between a check and the IPI. */
	uint32_t vector = KB_READ(d->slot->config_vector);

	KB_WRITE(d->status, status);
	if (d->ops->notify && vector >= 32 && vector <= 255)
		d->ops->notify(d->ctx, vector);
}

void kb_device_violation(struct kb_device *d, const char *why)
{
	uint8_t marked;

	d->violations++;
	if (d->broken)
		return;
	d->broken = 1;
	d->needs_reset = 1;
	/*
	 * What we acted on, so that status 0 resets us even if the guest
	 * broke the rules before any status we accepted (DRIVER_OK first).
	 */
	KB_WRITE(d->status, d->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	kb_log("%s device: %s; needs reset\n", d->cls->name, why);
	marked = mark_needs_reset(d);
	if (marked)
		needs_reset_marked(d, marked);
}

/* The class first: it may have to wait for work on the old rings. */
static void reset(struct kb_device *d)
{
	if (d->cls->reset)
		d->cls->reset(d);
	d->features = 0;
	KB_WRITE(d->status, 0);
	KB_WRITE(d->live, 0);
	KB_WRITE(d->queues_up, 0);
	d->broken = 0;
	d->needs_reset = 0;
	memset(d->vq, 0, sizeof(d->vq));
}

/*
 * FEATURES_OK: accept a subset of what we offered that includes VERSION_1,
 * or clear the bit to refuse; then count the answer in features_ack.
 *
 * The refusal goes over the status it answers, or not at all: the guest
 * may have written again since we read it (a DRIVER_OK, a reset,
 * FAILED), and writing back our copy would undo that write, leaving a
 * driver to wait on a device it thinks live.  Its new status is then
 * acted on at the next poll, FEATURES_OK refused again if still there.
 */
static void negotiate(struct kb_device *d, uint8_t status)
{
	uint64_t want = KB_READ(d->slot->driver_features);
	uint64_t offer = (d->cls->features & ~d->withheld) | KB_F_TRANSPORT;
	uint8_t refused = status & ~VIRTIO_CONFIG_S_FEATURES_OK;

	if ((want & ~offer) || !(want & (1ULL << VIRTIO_F_VERSION_1)) ||
	    (d->cls->features_ok && !d->cls->features_ok(want))) {
		if (KB_CMPXCHG(d->slot->status, status, refused) != status)
			return;
		kb_log("%s device: driver asked for features %#llx of %#llx; refused\n",
		       d->cls->name, (unsigned long long)want,
		       (unsigned long long)offer);
		KB_WRITE(d->status, refused);
	} else {
		d->features = want;
		KB_WRITE(d->status, status);
	}
	/* The answer is in status; this says it is there (ABI 1.1). */
	KB_STORE_RELEASE(d->slot->features_ack,
			 (uint16_t)(KB_READ(d->slot->features_ack) + 1));
}

static int set_up_queues(struct kb_device *d)
{
	int event_idx = !!(d->features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	int packed = !!(d->features & (1ULL << VIRTIO_F_RING_PACKED));
	uint32_t up = 0;

	for (uint32_t q = 0; q < d->cls->num_queues; q++) {
		struct kspawn_queue *sq = &d->slot->queues[q];
		uint32_t vector = KB_READ(sq->vector);
		uint16_t size = KB_READ(sq->size);

		if (!KB_READ(sq->ready))
			continue;
		if (size > d->cls->queue_size_max ||
		    (packed ? kb_vq_setup_packed(&d->vq[q], d->r, size,
						 KB_READ(sq->desc_addr),
						 KB_READ(sq->driver_addr),
						 KB_READ(sq->device_addr),
						 event_idx) :
			      kb_vq_setup(&d->vq[q], d->r, size,
					  KB_READ(sq->desc_addr),
					  KB_READ(sq->driver_addr),
					  KB_READ(sq->device_addr), event_idx))) {
			kb_device_violation(d, d->vq[q].error ? d->vq[q].error :
					    "queue larger than size_max");
			return -1;
		}
		if (d->features & (1ULL << VIRTIO_F_IN_ORDER))
			kb_vq_set_in_order(&d->vq[q]);
		d->vector[q] = vector >= 32 && vector <= 255 ? vector : 0;
		up |= 1U << q;
	}
	KB_WRITE(d->live, 1);
	KB_WRITE(d->queues_up, up);
	return 0;
}

/* A status change acted on: one unit of work, counted apart. */
static int transition(struct kb_device *d)
{
	d->transitions++;
	return 1;
}

/*
 * A reset request's part of virtio's "queue_enable reads 0 after a reset":
 * a queue the last driver made ready must not come up again at the next
 * DRIVER_OK with that driver's rings (the old requests on them would run
 * again).  Only here, before the reset is acknowledged: after a status of
 * 0 alone the guest may already be writing its new queues.
 */
static void forget_queues(struct kb_device *d)
{
	for (uint32_t q = 0; q < d->cls->num_queues; q++) {
		struct kspawn_queue *sq = &d->slot->queues[q];

		KB_WRITE(sq->ready, 0);
		KB_WRITE(sq->size, 0);
		KB_WRITE(sq->vector, 0);
		KB_WRITE(sq->desc_addr, 0);
		KB_WRITE(sq->driver_addr, 0);
		KB_WRITE(sq->device_addr, 0);
	}
}

int kb_device_poll(struct kb_device *d, int budget)
{
	uint8_t status;

	if (KB_READ(d->slot->reset)) {
		reset(d);
		forget_queues(d);
		KB_WRITE(d->slot->status, 0);
		kb_wmb();
		KB_WRITE(d->slot->reset, 0);
		return transition(d);
	}
	status = KB_READ(d->slot->status);
	if (!status && d->status) {
		reset(d);
		return transition(d);
	}
	/*
	 * A driver that gave up (FAILED) gets what a broken one gets until
	 * it resets: nothing taken or written, no kicks asked for, the link
	 * down.  Only not polling its queues left the rest running: carrier
	 * and host transmits on rings no one serves, and a thread told at
	 * every look that a queue it no longer polls had work.
	 */
	if ((status & VIRTIO_CONFIG_S_FAILED) && d->live && !d->broken) {
		d->broken = 1;
		kb_log("%s device: driver set FAILED; stopped until reset\n",
		       d->cls->name);
	}
	if (d->broken) {
		uint8_t marked;

		/*
		 * A violation's NEEDS_RESET that never landed, or that the
		 * guest wrote over without resetting us: put it back, at
		 * most NEEDS_RESET_TRIES tries a poll.  Not for FAILED: that
		 * driver gave up, and we ask nothing of it.
		 */
		if (d->needs_reset && !(status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
			marked = mark_needs_reset(d);
			if (marked)
				needs_reset_marked(d, marked);
		}
		return 0;
	}
	if (status & VIRTIO_CONFIG_S_FAILED)
		return 0;
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		negotiate(d, status);
		return transition(d);
	}
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !d->live) {
		if (!(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			kb_device_violation(d, "DRIVER_OK before FEATURES_OK");
			return transition(d);
		}
		/*
		 * FEATURES_OK stays even if this very write cleared it: the
		 * queues go live on the features accepted, and a later
		 * FEATURES_OK must not look new and negotiate again.
		 */
		KB_WRITE(d->status, status | VIRTIO_CONFIG_S_FEATURES_OK);
		set_up_queues(d);
		return transition(d);
	}
	/*
	 * Live, FEATURES_OK and DRIVER_OK stay until a reset: a driver may
	 * not clear them (virtio 1.x, 2.1.2), and one that did would
	 * otherwise have its features negotiated again under live queues.
	 */
	if (d->live)
		status |= d->status & (VIRTIO_CONFIG_S_FEATURES_OK |
				       VIRTIO_CONFIG_S_DRIVER_OK);
	KB_WRITE(d->status, status);
	if (!d->live)
		return 0;
	return d->cls->work(d, budget);
}

/*
 * Once broken, a device takes nothing more from any queue and writes
 * nothing more to them, even later in the poll that found the violation:
 * a bad chain on one queue must not let the next queue's commands through.
 */
void kb_device_kicks_off(struct kb_device *d)
{
	if (!d->live || d->broken)
		return;
	for (uint32_t q = 0; q < d->cls->num_queues; q++)
		if (d->cls->kick_queues & (1U << q))
			kb_vq_kicks_off(&d->vq[q]);
	if (d->cls->kicks_off)
		d->cls->kicks_off(d);
}

int kb_device_kicks_on(struct kb_device *d)
{
	int pending = 0;

	if (!d->live || d->broken)
		return 0;
	for (uint32_t q = 0; q < d->cls->num_queues; q++)
		if (d->cls->kick_queues & (1U << q))
			pending |= kb_vq_kicks_on(&d->vq[q]);
	if (d->cls->kicks_on)
		pending |= d->cls->kicks_on(d);
	return pending;
}

uint32_t kb_device_notified(const struct kb_device *d, uint32_t *seen,
			    uint32_t *extra)
{
	uint32_t mask = 0, up = KB_READ(d->queues_up);

	/* Only queues set up: a kick on another one has nothing to take. */
	while (up) {
		uint32_t q = __builtin_ctz(up);
		uint32_t n = KB_READ(d->slot->queues[q].notify);

		up &= up - 1;
		if (n != seen[q]) {
			*extra += n - seen[q] - 1 < 16 ? n - seen[q] - 1 : 16;
			seen[q] = n;
			mask |= 1U << q;
		}
	}
	return mask;
}

int kb_device_status_changed(const struct kb_device *d)
{
	/*
	 * A live device keeps FEATURES_OK and DRIVER_OK whatever the driver
	 * writes (kb_device_poll()): a change to them is nothing to act on.
	 */
	uint8_t kept = KB_READ(d->live) ? VIRTIO_CONFIG_S_FEATURES_OK |
					  VIRTIO_CONFIG_S_DRIVER_OK : 0;

	return KB_READ(d->slot->reset) ||
	       ((KB_READ(d->slot->status) ^ KB_READ(d->status)) & ~kept);
}

/* What a take from queue q gave: a violation breaks the device. */
static int took(struct kb_device *d, unsigned int q, int r)
{
	if (r < 0)
		kb_device_violation(d, d->vq[q].error);
	return r;
}

int kb_device_pop(struct kb_device *d, unsigned int q, struct kb_chain *c)
{
	return d->broken ? -1 : took(d, q, kb_vq_pop(&d->vq[q], c));
}

void kb_device_push(struct kb_device *d, unsigned int q,
		    const struct kb_chain *c, uint32_t len)
{
	if (!d->broken)
		kb_vq_push_quiet(&d->vq[q], c, len);
}

int kb_device_pop_bufs(struct kb_device *d, unsigned int q, struct kb_buf *b,
		       int n)
{
	return d->broken ? -1 : took(d, q, kb_vq_pop_bufs(&d->vq[q], b, n));
}

/* Nothing written into them: for device-readable buffers (transmit). */
void kb_device_push_bufs(struct kb_device *d, unsigned int q,
			 const struct kb_buf *b, int n)
{
	if (!d->broken)
		kb_vq_push_bufs(&d->vq[q], b, NULL, n);
}

/* Publish what was pushed since the last kick, and interrupt if due. */
void kb_device_kick(struct kb_device *d, unsigned int q)
{
	if (d->broken)
		return;
	kb_vq_publish(&d->vq[q]);
	if (d->vector[q] && kb_vq_should_notify(&d->vq[q]) && d->ops->notify)
		d->ops->notify(d->ctx, d->vector[q]);
}
