/*
 * The virtio-blk driver proper: the device found and started, its limits
 * read, requests checked, queued and completed (interrupt, poll or
 * wait), and a device that needs a reset reset.  The blocking calls on
 * top (vblk_read and the rest) are in virtio_blk_sync.c.
 */
#include <errno.h>
#include <string.h>
#include <linux/virtio_blk.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "kern/virtio_blk.h"
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

/*
 * One request queue: its ring, and the lock, waiters and count of
 * sleepers that go with it.  With VIRTIO_BLK_F_MQ there is one per guest
 * CPU (up to what the device offers): a CPU submits on its own and
 * shares no lock with the others.
 */
struct vblk_queue {
	struct spinlock lock;
	struct wait_queue wq;
	unsigned int sleepers;		/* waiting for an interrupt */
	unsigned int idx;
	struct virtq *vq;
	/*
	 * The requests the device has: what a reset must fail, since their
	 * memory (often a caller's stack) is the device's until it answers
	 * or is reset.
	 */
	struct list_node out;
	int dead;			/* reset: its used ring is not read again */
};

static struct {
	struct virtio_dev dev;
	struct vblk_queue q[KSPAWN_MAX_QUEUES];
	unsigned int nq;
	uint64_t sectors;
	uint32_t block;			/* bytes: the device's blk_size */
	uint32_t seg_bytes;		/* the most in one data segment */
	unsigned int max_segs;		/* data segments in one request */
	uint32_t cap;			/* vblk_max_bytes() */
	int up, said_refused, said_too_big;
	int resetting;			/* one caller resets a broken device */
	int stopping;			/* a reset is coming: nothing new is sent */
	int drained;			/* reset, and every request it had failed */
	/* The watcher (vblk_watch): 0 none yet, 1 running, 2 ended. */
	int watcher;
	unsigned int cb_out;		/* callback requests out */
	int watch_idle;			/* asleep until cb_out moves from 0 */
	struct spinlock watch_lock;
	struct wait_queue watch_wq;
} vb;

/* The most blk_size we take: a 64 KiB-page machine's block. */
#define BLOCK_MAX (64 * 1024)
/*
 * Data segments we put in one request, whatever seg_max says: they are
 * built on the stack, and a bigger transfer is split into requests
 * (vblk_read, vblk_write) long before this costs anything.
 */
#define VBLK_MAX_SEGS 16
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
	__atomic_fetch_sub(&vb.cb_out, 1, __ATOMIC_RELAXED);
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
	 * for its callback requests, go reset it.  (The watcher's lock is
	 * not taken here: a wake-up lost costs it one WATCH_NS.)
	 */
	if (any || q->vq->broken)
		wq_wake_all(&q->wq);
	if (q->vq->broken)
		wq_wake_all(&vb.watch_wq);
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

	if (__atomic_exchange_n(&vb.resetting, 1, __ATOMIC_ACQ_REL)) {
		while (!__atomic_load_n(&vb.drained, __ATOMIC_ACQUIRE))
			thread_sleep_ms(1);
		return;
	}
	/* Before the reset: a submitter must not kick a device just reset. */
	__atomic_store_n(&vb.stopping, 1, __ATOMIC_RELEASE);
	kprintf("virtio-blk: the device needs a reset (it asked, or broke a ring): resetting it, its requests fail\n");
	virtio_reset(&vb.dev);
	for (unsigned int i = 0; i < vb.nq; i++) {
		struct vblk_queue *q = &vb.q[i];
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
	__atomic_store_n(&vb.drained, 1, __ATOMIC_RELEASE);
	/* The watcher's work is done: it ends. */
	flags = spin_lock_irqsave(&vb.watch_lock);
	wq_wake_all(&vb.watch_wq);
	spin_unlock_irqrestore(&vb.watch_lock, flags);
}

static void on_irq(struct virtio_dev *d, unsigned int idx)
{
	struct vblk_queue *q = &vb.q[idx < vb.nq ? idx : 0];

	(void)d;
	spin_lock(&q->lock);
	reap(q);
	spin_unlock(&q->lock);
}

/*
 * The device's logical block (VIRTIO_BLK_F_BLK_SIZE): a 4 KiB-sector disk
 * fails anything smaller or off its blocks, so every request is made of
 * whole blocks.  A size we cannot honour (not a power of two, under a
 * sector, huge) refuses the device: guessing would fail its I/O later.
 */
static int read_block_size(void)
{
	uint32_t bytes = VBLK_SECTOR;

	if (virtio_has(&vb.dev, VIRTIO_BLK_F_BLK_SIZE))
		virtio_config(&vb.dev,
			      offsetof(struct virtio_blk_config, blk_size),
			      &bytes, sizeof(bytes));
	if (bytes < VBLK_SECTOR || bytes > BLOCK_MAX || (bytes & (bytes - 1))) {
		kprintf("virtio-blk: the device's block size %u is not a power of two from %u to %u bytes: not using it\n",
			bytes, VBLK_SECTOR, BLOCK_MAX);
		return -1;
	}
	vb.block = bytes;
	return 0;
}

/* What the device's limits allow one request, in whole blocks. */
static uint32_t vblk_device_max(void)
{
	uint64_t most = (uint64_t)vb.seg_bytes * vb.max_segs;
	uint32_t cap = UINT32_MAX - UINT32_MAX % vb.block;

	return most < cap ? (uint32_t)most : cap;
}

/*
 * How big one request's data may be (VIRTIO_BLK_F_SIZE_MAX: bytes in a
 * segment; VIRTIO_BLK_F_SEG_MAX: segments in a request).  A device that
 * offers them fails a request over either, so the driver splits its
 * buffer into segments of at most size_max, in whole blocks, and refuses
 * a request that would need more than seg_max of them.
 */
static int read_request_limits(void)
{
	uint32_t size_max = UINT32_MAX, seg_max = VBLK_MAX_SEGS;

	if (virtio_has(&vb.dev, VIRTIO_BLK_F_SIZE_MAX))
		virtio_config(&vb.dev,
			      offsetof(struct virtio_blk_config, size_max),
			      &size_max, sizeof(size_max));
	if (virtio_has(&vb.dev, VIRTIO_BLK_F_SEG_MAX))
		virtio_config(&vb.dev,
			      offsetof(struct virtio_blk_config, seg_max),
			      &seg_max, sizeof(seg_max));
	size_max -= size_max % vb.block;
	if (!size_max) {
		kprintf("virtio-blk: the device's size_max is under one %u-byte block: not using it\n",
			vb.block);
		return -1;
	}
	vb.seg_bytes = size_max;
	/* seg_max 0 makes no sense; one segment is what any device takes. */
	vb.max_segs = seg_max ? seg_max : 1;
	if (vb.max_segs > VBLK_MAX_SEGS)
		vb.max_segs = VBLK_MAX_SEGS;
	/*
	 * A chain (the header, the segments, the status byte) goes in one
	 * indirect table if it fits one, else takes that many descriptors
	 * of the ring: one that fits neither would wait for room for ever.
	 */
	for (unsigned int i = 0; i < vb.nq; i++) {
		struct virtq *vq = vb.q[i].vq;
		unsigned int fits = vq->size > 2 ? vq->size - 2 : 0;

		if (vq->indirect && fits < VQ_INDIRECT_MAX - 2)
			fits = VQ_INDIRECT_MAX - 2;
		if (vb.max_segs > fits)
			vb.max_segs = fits;
	}
	if (!vb.max_segs) {
		kprintf("virtio-blk: a queue of %u has no room for a request: not using it\n",
			vb.dev.vq[0].size);
		return -1;
	}
	vb.cap = vblk_device_max();
	return 0;
}

uint32_t vblk_max_bytes(void)
{
	return vb.up ? vb.cap : 0;
}

uint32_t vblk_limit_bytes(uint32_t bytes)
{
	uint32_t most;

	if (!vb.up)
		return 0;
	most = vblk_device_max();
	bytes -= bytes % vb.block;
	vb.cap = bytes && bytes < most ? bytes : most;
	return vb.cap;
}

/* The init line's mention of a block bigger than a sector. */
static const char *block_words(void)
{
	static char words[32];

	if (vb.block == VBLK_SECTOR)
		return "";
	ksnprintf(words, sizeof(words), ", %u-byte blocks", vb.block);
	return words;
}

int vblk_init_queues(unsigned int max_queues)
{
	uint64_t wanted = WANTED;
	uint16_t offered = 1;
	int mq;

	if (vb.up)
		return 0;
	if (max_queues > KSPAWN_MAX_QUEUES)
		max_queues = KSPAWN_MAX_QUEUES;
	spin_init(&vb.watch_lock);
	wq_init(&vb.watch_wq);
	if (max_queues > 1)
		wanted |= F(VIRTIO_BLK_F_MQ);
	if (virtio_open(&vb.dev, VIRTIO_ID_BLOCK, wanted))
		return -1;
	mq = virtio_has(&vb.dev, VIRTIO_BLK_F_MQ);
	if (mq)
		virtio_config(&vb.dev,
			      offsetof(struct virtio_blk_config, num_queues),
			      &offered, sizeof(offered));
	vb.nq = 0;
	for (unsigned int i = 0; i < max_queues && i < offered; i++) {
		struct vblk_queue *q = &vb.q[i];

		spin_init(&q->lock);
		wq_init(&q->wq);
		list_init(&q->out);
		q->idx = i;
		q->vq = &vb.dev.vq[i];
		if (virtio_queue(&vb.dev, i, 0, on_irq))
			break;
		vb.nq++;
	}
	if (!vb.nq)
		goto fail;
	virtio_config(&vb.dev, offsetof(struct virtio_blk_config, capacity),
		      &vb.sectors, sizeof(vb.sectors));
	if (read_block_size() || read_request_limits())
		goto fail;
	/* A partial last block cannot be read or written. */
	vb.sectors -= vb.sectors % (vb.block / VBLK_SECTOR);
	virtio_ready(&vb.dev);
	vb.up = 1;
	/* One line (the CPUs print too); its start is what cases look for. */
	if (mq)
		kprintf("virtio-blk: %llu MiB, queue of %u, %s ring%s, multiqueue: %u of %u queues%s\n",
			(unsigned long long)(vb.sectors >> 11),
			vb.dev.vq[0].size,
			vb.dev.vq[0].packed ? "packed" : "split",
			vb.dev.vq[0].indirect ? ", indirect" : "", vb.nq,
			offered, block_words());
	else
		kprintf("virtio-blk: %llu MiB, queue of %u, %s ring%s%s\n",
			(unsigned long long)(vb.sectors >> 11),
			vb.dev.vq[0].size,
			vb.dev.vq[0].packed ? "packed" : "split",
			vb.dev.vq[0].indirect ? ", indirect" : "",
			block_words());
	return 0;
fail:
	virtio_fail(&vb.dev);
	return -1;
}

int vblk_init(void)
{
	return vblk_init_queues(sched_ncpus());
}

uint64_t vblk_sectors(void)
{
	return vb.sectors;
}

uint32_t vblk_block_size(void)
{
	return vb.up ? vb.block : VBLK_SECTOR;
}

unsigned int vblk_queues(void)
{
	return vb.up ? vb.nq : 0;
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
	return __atomic_load_n(&vb.stopping, __ATOMIC_ACQUIRE) ||
	       q->vq->broken || virtio_broken(&vb.dev);
}

/*
 * A request with a callback alone has no waiter (vblk_wait) to find the
 * device broken and reset it: the callback would never run, and the
 * request's buffers would stay the device's.  This thread is that
 * waiter for all of them: while any is out it looks every WATCH_NS (at
 * once when an interrupt found a used ring broken), collecting what an
 * interrupt may have missed, and resets a device that needs it.  It
 * ends with the device's reset, whoever did it.
 */
static int vblk_watch(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&vb.drained, __ATOMIC_ACQUIRE)) {
		uint64_t flags = spin_lock_irqsave(&vb.watch_lock);
		int broken = 0;

		while (!__atomic_load_n(&vb.cb_out, __ATOMIC_RELAXED) &&
		       !__atomic_load_n(&vb.drained, __ATOMIC_ACQUIRE)) {
			vb.watch_idle = 1;
			wq_wait(&vb.watch_wq, &vb.watch_lock, 0);
			vb.watch_idle = 0;
		}
		wq_wait(&vb.watch_wq, &vb.watch_lock, time_ns() + WATCH_NS);
		spin_unlock_irqrestore(&vb.watch_lock, flags);
		for (unsigned int i = 0; i < vb.nq && !broken; i++) {
			struct vblk_queue *q = &vb.q[i];

			flags = spin_lock_irqsave(&q->lock);
			collect(q);	/* not reap(): a waiter's poll stays */
			broken = needs_reset(q);
			spin_unlock_irqrestore(&q->lock, flags);
		}
		if (broken)
			vblk_reset_dead();
	}
	__atomic_store_n(&vb.watcher, 2, __ATOMIC_RELEASE);
	return 0;
}

/* The watcher, started by the first callback request (threads only). */
static void watch_start(void)
{
	struct thread_attr attr = { .prio = THREAD_PRIO_HIGH, .detached = 1 };

	if (__atomic_load_n(&vb.watcher, __ATOMIC_ACQUIRE) ||
	    __atomic_exchange_n(&vb.watcher, 1, __ATOMIC_ACQ_REL))
		return;
	if (!thread_create("vblk-watch", vblk_watch, NULL, &attr)) {
		__atomic_store_n(&vb.watcher, 2, __ATOMIC_RELEASE);
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
	if (__atomic_fetch_add(&vb.cb_out, 1, __ATOMIC_RELAXED))
		return;
	spin_lock(&vb.watch_lock);
	if (vb.watch_idle)
		wq_wake_all(&vb.watch_wq);
	spin_unlock(&vb.watch_lock);
}

/* [sector, +sectors) in whole blocks of the device's. */
static int whole_blocks(uint64_t sector, uint64_t sectors)
{
	uint32_t per = vb.block / VBLK_SECTOR;

	return !(sector % per) && !(sectors % per);
}

/*
 * Whether the device can serve a request: reads and writes, and each
 * range of a discard or write-zeroes, in whole blocks.  One that cannot
 * is refused here, not sent (the device would fail it, or worse, serve
 * a neighbour's bytes); the first refusal says why on the console.
 */
static int aligned(uint32_t type, uint64_t sector, const void *buf,
		   uint32_t len)
{
	const struct virtio_blk_discard_write_zeroes *range = buf;
	int ok = 1;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		ok = !(len % vb.block) &&
		     whole_blocks(sector, len / VBLK_SECTOR);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		ok = buf && !(len % sizeof(*range));
		for (uint32_t i = 0; ok && i < len / sizeof(*range); i++)
			ok = whole_blocks(range[i].sector,
					  range[i].num_sectors);
		if (ok && len)
			sector = range[0].sector;
		break;
	}
	if (!ok && !vb.said_refused) {
		vb.said_refused = 1;
		kprintf("virtio-blk: refused a request (type %u, sector %llu, %u bytes): not in whole %u-byte blocks\n",
			type, (unsigned long long)sector, len, vb.block);
	}
	return ok;
}

/*
 * A read's or write's data over the device's limits: refused, unsent,
 * and named once on the console (vblk_read and vblk_write split for
 * their callers; an asynchronous caller sizes by vblk_max_bytes()).
 */
static int too_big(uint32_t type, uint32_t len)
{
	if (len <= vblk_max_bytes())
		return 0;
	if (!vb.said_too_big) {
		vb.said_too_big = 1;
		kprintf("virtio-blk: refused a request (type %u) of %u bytes: at most %u in one (the device's: %u segments of %u bytes)\n",
			type, len, vblk_max_bytes(), vb.max_segs,
			vb.seg_bytes);
	}
	return 1;
}

/*
 * The header, then the data in segments of at most seg_bytes (no more
 * than max_segs: too_big() saw to that), then the status byte.  Returns
 * the buffers in all; the first *nout are the device's to read (the
 * header, a write's data), the rest (r->writable bytes) its to write.
 */
static unsigned int build_chain(struct vblk_req *r, int write, void *buf,
				uint32_t len, struct virtq_buf *b,
				unsigned int *nout)
{
	unsigned int n = 0;

	b[n++] = (struct virtq_buf){ &r->hdr, sizeof(r->hdr) };
	/* By what is left: an offset could wrap under a size_max of 2 GiB. */
	for (uint32_t left = buf ? len : 0, part; left; left -= part) {
		part = left < vb.seg_bytes ? left : vb.seg_bytes;
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

	if (!vb.up)
		return -1;
	if (!aligned(type, sector, buf, len))
		return -EINVAL;
	if (too_big(type, len))
		return -E2BIG;
	nall = build_chain(r, write, buf, len, b, &nout);
	/* This CPU's queue; moving to another CPU meanwhile does no harm. */
	q = &vb.q[sched_cpu() % vb.nq];
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
		virtio_kick(&vb.dev, q->idx);
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
	struct vblk_queue *q = &vb.q[r->queue < vb.nq ? r->queue : 0];
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
	return vb.up ? &vb.dev : NULL;
}

uint64_t vblk_features(void)
{
	return vb.dev.features;
}
