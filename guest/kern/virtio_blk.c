/*
 * The virtio-blk driver proper: the device found and started, requests
 * queued and completed (interrupt, poll or wait), and a device that needs
 * a reset reset.  What one request may be (the device's limits and the
 * checks against them) is in virtio_blk_limits.c; the blocking calls on
 * top (vblk_read and the rest) are in virtio_blk_sync.c.
 */
#include <errno.h>
#include <string.h>
#include <linux/virtio_blk.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "kern/virtio_blk.h"
#include "kern/virtio_blk_state.h"
#include "kern/console.h"
#include "kern/sched.h"
#include "kern/sync.h"
#include "kern/time.h"
#include "kern/virtio.h"
#include "lib/format.h"

#define F(bit) (1ULL << (bit))
#define WANTED (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) | \
		F(VIRTIO_RING_F_INDIRECT_DESC) | \
		F(VIRTIO_BLK_F_SIZE_MAX) | F(VIRTIO_BLK_F_SEG_MAX) | \
		F(VIRTIO_BLK_F_BLK_SIZE) | F(VIRTIO_BLK_F_FLUSH) | \
		F(VIRTIO_BLK_F_DISCARD) | F(VIRTIO_BLK_F_WRITE_ZEROES))
#define WAIT_SLICE_NS 10000000ULL	/* recheck even without interrupts */
/*
 * This core is the guest's own: spinning on the used ring for a few
 * microseconds costs nobody anything, and a host that answers within them
 * saves the completion interrupt and the wake-up from idle.  (A hosted
 * test may define it first: one that must answer within the poll.)
 */
#ifndef POLL_NS
#define POLL_NS 20000ULL
#endif

struct vblk_state vblk;		/* kern/virtio_blk_state.h */

/* The watcher's look at a device with callback requests out. */
#define WATCH_NS 100000000ULL

/*
 * Run a request's callback fn, read before the request was marked done
 * (a waiter may reuse it from then on): app code, perhaps in an
 * interrupt, so the interrupted thread's FPU state is kept (fpu.h).
 */
static void complete(struct vblk_req *r, void (*fn)(struct vblk_req *r))
{
	struct fpu_state interrupted;

	if (!fn)
		return;
	__atomic_fetch_sub(&vblk.cb_out, 1, __ATOMIC_RELAXED);
	fpu_save_for_app(&interrupted);
	fn(r);
	fpu_restore(&interrupted);
}

/*
 * Take completed requests off q's used ring; lock held.  A request's
 * callback runs here, with the queue's lock held and interrupts off.
 */
static void collect(struct vblk_queue *q)
{
	struct vblk_req *r;
	uint32_t len;
	int any = 0;

	/* After the reset's drain: an entry left there was failed already. */
	if (q->dead)
		return;
	while ((r = virtq_get(q->vq, &len))) {
		void (*fn)(struct vblk_req *r) = r->complete;

		list_remove(&r->node);
		r->written = len < r->writable ? len : r->writable;
		r->done = 1;
		complete(r, fn);
		any = 1;
	}
	/*
	 * Broken, it will complete nothing: its waiters, and the watcher
	 * for its callback requests, go reset it.  The watcher is woken
	 * once per break, not at every look (a waiter's poll looks in a
	 * loop; each wake takes the scheduler's lock): a queue breaks once,
	 * and the reset that follows kills it.  (The watcher's lock is not
	 * taken here: a wake-up lost costs it one WATCH_NS.)
	 */
	if (any || q->vq->broken)
		wq_wake_all(&q->wq);
	if (q->vq->broken && !q->watch_told) {
		q->watch_told = 1;
		wq_wake_all(&vblk.watch_wq);
	}
}

/* The same, and ask for an interrupt at the next completion. */
static void reap(struct vblk_queue *q)
{
	do
		collect(q);
	while (!q->dead && virtq_arm(q->vq));
}

/*
 * The device asked to be reset (NEEDS_RESET) or broke a queue's used
 * ring (lib/virtq.h, broken), or another caller found it so: reset it,
 * waiting as long as it takes (the requests it has point into callers'
 * memory, stacks among them, and it may write there until it has
 * reset), then fail every request it had.  Threads only, no lock
 * held: the reset sleeps.  The first caller does it; the others wait until
 * every queue is drained, not only reset: a waiter that returned before
 * its own request was failed would leave it linked on a dead stack frame
 * for the drain to write.  Nothing is sent to the device afterwards.
 */
static void vblk_reset_dead(void)
{
	uint64_t flags;

	if (__atomic_exchange_n(&vblk.resetting, 1, __ATOMIC_ACQ_REL)) {
		while (!__atomic_load_n(&vblk.drained, __ATOMIC_ACQUIRE))
			thread_sleep_ms(1);
		return;
	}
	/* Before the reset: a submitter must not kick a device just reset. */
	__atomic_store_n(&vblk.stopping, 1, __ATOMIC_RELEASE);
	kprintf("virtio-blk: the device needs a reset (it asked, or broke a ring): resetting it, its requests fail\n");
	virtio_reset(&vblk.dev);
	for (unsigned int i = 0; i < vblk.nq; i++) {
		struct vblk_queue *q = &vblk.q[i];
		struct list_node *n;

		flags = spin_lock_irqsave(&q->lock);
		/*
		 * What the device completed before it broke keeps its result;
		 * then the used ring is closed, or a later look would complete
		 * those requests again, after their callers had them back.
		 */
		collect(q);
		q->dead = 1;
		while ((n = list_pop_front(&q->out))) {
			struct vblk_req *r = list_entry(n, struct vblk_req, node);
			void (*fn)(struct vblk_req *r) = r->complete;

			r->status = VIRTIO_BLK_S_IOERR;
			r->done = 1;
			complete(r, fn);
		}
		wq_wake_all(&q->wq);
		spin_unlock_irqrestore(&q->lock, flags);
	}
	__atomic_store_n(&vblk.drained, 1, __ATOMIC_RELEASE);
	/* The watcher's work is done: it ends. */
	flags = spin_lock_irqsave(&vblk.watch_lock);
	wq_wake_all(&vblk.watch_wq);
	spin_unlock_irqrestore(&vblk.watch_lock, flags);
}

static void on_irq(struct virtio_dev *d, unsigned int idx)
{
	struct vblk_queue *q = &vblk.q[idx < vblk.nq ? idx : 0];

	(void)d;
	spin_lock(&q->lock);
	reap(q);
	spin_unlock(&q->lock);
}

/*
 * The device's config interrupt.  A blk device sends it when it sets
 * NEEDS_RESET (virtio 1.x, 2.1.2; our backend does) or its capacity
 * changes, which this driver does not follow.  With NEEDS_RESET the
 * watcher looks now instead of at its next WATCH_NS, and waiters at
 * once instead of at their next slice.  Under the locks they sleep
 * with, so that none is between its look and its sleep; watch_config
 * keeps the news for a watcher that is not asleep yet.
 */
static void on_config(struct virtio_dev *d, unsigned int idx)
{
	(void)idx;
	if (!virtio_broken(d))
		return;
	spin_lock(&vblk.watch_lock);
	vblk.watch_config = 1;
	wq_wake_all(&vblk.watch_wq);
	spin_unlock(&vblk.watch_lock);
	for (unsigned int i = 0; i < vblk.nq; i++) {
		spin_lock(&vblk.q[i].lock);
		wq_wake_all(&vblk.q[i].wq);
		spin_unlock(&vblk.q[i].lock);
	}
}

int vblk_init_queues(unsigned int max_queues)
{
	uint64_t wanted = WANTED;
	uint16_t offered = 1;
	int mq;

	if (vblk.up)
		return 0;
	if (max_queues > KSPAWN_MAX_QUEUES)
		max_queues = KSPAWN_MAX_QUEUES;
	spin_init(&vblk.watch_lock);
	wq_init(&vblk.watch_wq);
	if (max_queues > 1)
		wanted |= F(VIRTIO_BLK_F_MQ);
	if (virtio_open(&vblk.dev, VIRTIO_ID_BLOCK, wanted))
		return -1;
	mq = virtio_has(&vblk.dev, VIRTIO_BLK_F_MQ);
	if (mq)
		virtio_config(&vblk.dev,
			      offsetof(struct virtio_blk_config, num_queues),
			      &offered, sizeof(offered));
	vblk.nq = 0;
	for (unsigned int i = 0; i < max_queues && i < offered; i++) {
		struct vblk_queue *q = &vblk.q[i];

		spin_init(&q->lock);
		wq_init(&q->wq);
		list_init(&q->out);
		q->watch_told = 0;
		q->idx = i;
		q->vq = &vblk.dev.vq[i];
		if (virtio_queue(&vblk.dev, i, 0, on_irq))
			break;
		vblk.nq++;
	}
	if (!vblk.nq)
		goto fail;
	virtio_config(&vblk.dev, offsetof(struct virtio_blk_config, capacity),
		      &vblk.sectors, sizeof(vblk.sectors));
	if (vblk_read_block_size() || vblk_read_request_limits())
		goto fail;
	vblk_read_range_limits();
	/* A partial last block cannot be read or written. */
	vblk.sectors -= vblk.sectors % (vblk.block / VBLK_SECTOR);
	/* Without one (virtio-pci here) the watcher's looks find it. */
	virtio_config_irq(&vblk.dev, on_config);
	virtio_ready(&vblk.dev);
	vblk.up = 1;
	/* One line (the CPUs print too); its start is what cases look for. */
	if (mq)
		kprintf("virtio-blk: %llu MiB, queue of %u, %s ring%s, multiqueue: %u of %u queues%s\n",
			(unsigned long long)(vblk.sectors >> 11),
			vblk.dev.vq[0].size,
			vblk.dev.vq[0].packed ? "packed" : "split",
			vblk.dev.vq[0].indirect ? ", indirect" : "", vblk.nq,
			offered, vblk_block_words());
	else
		kprintf("virtio-blk: %llu MiB, queue of %u, %s ring%s%s\n",
			(unsigned long long)(vblk.sectors >> 11),
			vblk.dev.vq[0].size,
			vblk.dev.vq[0].packed ? "packed" : "split",
			vblk.dev.vq[0].indirect ? ", indirect" : "",
			vblk_block_words());
	return 0;
fail:
	virtio_fail(&vblk.dev);
	return -1;
}

int vblk_init(void)
{
	return vblk_init_queues(sched_ncpus());
}

uint64_t vblk_sectors(void)
{
	return vblk.sectors;
}

uint32_t vblk_block_size(void)
{
	return vblk.up ? vblk.block : VBLK_SECTOR;
}

unsigned int vblk_queues(void)
{
	return vblk.up ? vblk.nq : 0;
}

/*
 * Sleep until a completion's interrupt or a slice passes; lock held,
 * interrupts off.  Interrupts are asked for first: while nobody sleeps,
 * waiters poll and the device need not interrupt (vblk_wait).
 */
static void wait_slice(struct vblk_queue *q, const struct vblk_req *r)
{
	q->sleepers++;
	reap(q);
	if (!r || !r->done)
		wq_wait(&q->wq, &q->lock, time_ns() + WAIT_SLICE_NS);
	reap(q);		/* in case an interrupt went missing */
	q->sleepers--;
}

/*
 * Nothing more goes to q or comes from it until the device is reset: a
 * reset is coming, the device asked for one, or it broke q's used ring,
 * which will not be read again (its requests would wait for ever).
 */
static int needs_reset(struct vblk_queue *q)
{
	return __atomic_load_n(&vblk.stopping, __ATOMIC_ACQUIRE) ||
	       q->vq->broken || virtio_broken(&vblk.dev);
}

/*
 * A request with a callback alone has no waiter (vblk_wait) to find the
 * device broken and reset it: the callback would never run, and the
 * request's buffers would stay the device's.  This thread is that
 * waiter for all of them: while any is out it looks every WATCH_NS (at
 * once when an interrupt found a used ring broken, or the device's config
 * interrupt said NEEDS_RESET), collecting what an
 * interrupt may have missed, and resets a device that needs it.  It
 * ends with the device's reset, whoever did it.
 */
static int vblk_watch(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&vblk.drained, __ATOMIC_ACQUIRE)) {
		uint64_t flags = spin_lock_irqsave(&vblk.watch_lock);
		int broken = 0;

		while (!__atomic_load_n(&vblk.cb_out, __ATOMIC_RELAXED) &&
		       !__atomic_load_n(&vblk.drained, __ATOMIC_ACQUIRE)) {
			vblk.watch_idle = 1;
			wq_wait(&vblk.watch_wq, &vblk.watch_lock, 0);
			vblk.watch_idle = 0;
		}
		if (!vblk.watch_config)
			wq_wait(&vblk.watch_wq, &vblk.watch_lock,
				time_ns() + WATCH_NS);
		vblk.watch_config = 0;
		spin_unlock_irqrestore(&vblk.watch_lock, flags);
		for (unsigned int i = 0; i < vblk.nq && !broken; i++) {
			struct vblk_queue *q = &vblk.q[i];

			flags = spin_lock_irqsave(&q->lock);
			collect(q);	/* not reap(): a waiter's poll stays */
			broken = needs_reset(q);
			spin_unlock_irqrestore(&q->lock, flags);
		}
		if (broken)
			vblk_reset_dead();
	}
	__atomic_store_n(&vblk.watcher, 2, __ATOMIC_RELEASE);
	return 0;
}

/* The watcher, started by the first callback request (threads only). */
static void watch_start(void)
{
	struct thread_attr attr = { .prio = THREAD_PRIO_HIGH, .detached = 1 };

	if (__atomic_load_n(&vblk.watcher, __ATOMIC_ACQUIRE) ||
	    __atomic_exchange_n(&vblk.watcher, 1, __ATOMIC_ACQ_REL))
		return;
	if (!thread_create("vblk-watch", vblk_watch, NULL, &attr)) {
		__atomic_store_n(&vblk.watcher, 2, __ATOMIC_RELEASE);
		kprintf("virtio-blk: no watcher thread: a callback request on a device that breaks fails only once something waits\n");
	}
}

/*
 * One more callback request out; q's lock held.  The first after none
 * wakes the watcher if it sleeps without a deadline (not at every
 * request of a queue depth of one): under its lock, so that it cannot
 * have found the count 0 and not yet be asleep.
 */
static void watch_one_more(void)
{
	if (__atomic_fetch_add(&vblk.cb_out, 1, __ATOMIC_RELAXED))
		return;
	spin_lock(&vblk.watch_lock);
	if (vblk.watch_idle)
		wq_wake_all(&vblk.watch_wq);
	spin_unlock(&vblk.watch_lock);
}

/*
 * The header, then the data in segments of at most seg_bytes (no more
 * than max_segs: vblk_too_big() saw to that), then the status byte.
 * Returns the buffers in all; the first *nout are the device's to read
 * (the header, a write's data), the rest (r->writable bytes) its to write.
 */
static unsigned int build_chain(struct vblk_req *r, int write, void *buf,
				uint32_t len, struct virtq_buf *b,
				unsigned int *nout)
{
	unsigned int n = 0;

	b[n++] = (struct virtq_buf){ &r->hdr, sizeof(r->hdr) };
	/* By what is left: an offset could wrap under a size_max of 2 GiB. */
	for (uint32_t left = buf ? len : 0, part; left; left -= part) {
		part = left < vblk.seg_bytes ? left : vblk.seg_bytes;
		b[n++] = (struct virtq_buf){ (uint8_t *)buf + (len - left),
					     part };
	}
	*nout = write ? n : 1;
	b[n++] = (struct virtq_buf){ &r->status, 1 };
	r->writable = 1 + (write || !buf ? 0 : len);
	return n;
}

int vblk_submit_cb(struct vblk_req *r, uint32_t type, uint64_t sector,
		   void *buf, uint32_t len, void (*complete)(struct vblk_req *r),
		   void *ctx)
{
	struct virtq_buf b[VBLK_MAX_SEGS + 2];
	int write = type == VIRTIO_BLK_T_OUT ||
		    type == VIRTIO_BLK_T_DISCARD ||
		    type == VIRTIO_BLK_T_WRITE_ZEROES;
	unsigned int nout, nall;
	struct vblk_queue *q;
	uint64_t flags;

	if (!vblk.up)
		return -1;
	if (!vblk_aligned(type, sector, buf, len))
		return -EINVAL;
	if (vblk_too_big(type, len))
		return -E2BIG;
	nall = build_chain(r, write, buf, len, b, &nout);
	/* This CPU's queue; moving to another CPU meanwhile does no harm. */
	q = &vblk.q[sched_cpu() % vblk.nq];
	r->hdr = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
	r->status = 0xff;
	r->done = 0;
	r->written = 0;	/* a request failed by a reset keeps no old count */
	r->queue = q->idx;
	r->complete = complete;
	r->ctx = ctx;
	if (complete)
		watch_start();
	flags = spin_lock_irqsave(&q->lock);
	for (;;) {
		int e;

		if (needs_reset(q)) {
			spin_unlock_irqrestore(&q->lock, flags);
			/* Others' requests may wait on it: reset it for them. */
			vblk_reset_dead();
			return -1;
		}
		e = virtq_add(q->vq, b, nout, b + nout, nall - nout, r);
		if (!e)
			break;
		wait_slice(q, NULL);
	}
	list_push_back(&q->out, &r->node);
	if (complete)
		watch_one_more();
	if (virtq_publish(q->vq))
		virtio_kick(&vblk.dev, q->idx);
	spin_unlock_irqrestore(&q->lock, flags);
	return 0;
}

int vblk_submit(struct vblk_req *r, uint32_t type, uint64_t sector,
		void *buf, uint32_t len)
{
	return vblk_submit_cb(r, type, sector, buf, len, NULL, NULL);
}

int vblk_wait(struct vblk_req *r)
{
	struct vblk_queue *q = &vblk.q[r->queue < vblk.nq ? r->queue : 0];
	uint64_t flags = spin_lock_irqsave(&q->lock);
	uint64_t poll_end = time_ns() + POLL_NS;
	int disarmed = !q->sleepers;

	/* Polling: the device need not interrupt, unless others sleep. */
	if (disarmed)
		virtq_disarm(q->vq);
	while (!r->done && time_ns() < poll_end) {
		collect(q);
		cpu_relax();
	}
	while (!r->done && !needs_reset(q))
		wait_slice(q, r);
	/*
	 * Done by the poll: the requests still out, and any submitted later
	 * (callbacks among them, which nobody may wait for), must interrupt
	 * again.  (wait_slice() re-armed it already, if it ran.)
	 */
	if (disarmed)
		reap(q);
	spin_unlock_irqrestore(&q->lock, flags);
	/* r may still be the device's: not ours to give back before a reset. */
	if (!r->done)
		vblk_reset_dead();
	return vblk_status(r);
}

int vblk_status(const struct vblk_req *r)
{
	return r->done && r->status == VIRTIO_BLK_S_OK ? 0 : -1;
}

struct virtio_dev *vblk_dev(void)
{
	return vblk.up ? &vblk.dev : NULL;
}

uint64_t vblk_features(void)
{
	return vblk.dev.features;
}
