/* SPDX-License-Identifier: GPL-2.0 */
/* An instance's virtio devices and the kernel thread that serves them. */
#ifndef KSPAWN_IO_H
#define KSPAWN_IO_H

#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "kspawn.h"

#include "backend/blk.h"
#include "backend/net.h"
#include "backend/region.h"

struct kspawn_instance;
struct kspawn_ioc_load;
struct task_struct;
struct file;

/*
 * Bits of kspawn_io.kicks; KICK_IDLE: the blk device's last request
 * completed; KICK_EMPTY: a ring NAPI answered brought it nothing;
 * KICK_RETRY: a blk request waits for a retry (the thread must not sleep
 * for the doorbell, but nothing is due yet: no reason to poll harder).
 */
enum { KICK_GUEST, KICK_HOST, KICK_IDLE, KICK_EMPTY, KICK_RETRY };

/*
 * kspawn_io.thread_at, for NAPI and the doorbell: asleep (kicks on, a
 * ring wakes it), polling (it looks at the transmit queues again within
 * microseconds), or in blk work that may block (it will not look soon).
 */
enum { THREAD_SLEEPS, THREAD_POLLS, THREAD_BLOCKS };

struct kspawn_io {
	struct kb_region region;
	struct kb_blk blk;
	bool has_blk;
	struct kb_net net;
	bool has_net;
	spinlock_t net_lock;		/* the net device: thread, xmit, NAPI, XDP */
	/*
	 * The net device's interrupts for the guest, noted under net_lock
	 * and sent once it is dropped (kspawn_io_net_unlock); ipi_lock
	 * orders their sending against kspawn_io_silence().
	 */
	unsigned long net_irqs[BITS_TO_LONGS(256)];
	spinlock_t ipi_lock;		/* sending them, against the stop */
	struct kspawn_instance *in;
	struct net_device *netdev;	/* host mode */
	bool carrier;
	void *ram;			/* RAM disk storage */
	unsigned long ram_pages;
	struct kspawn_disk *disk;	/* file-backed disk */
	struct task_struct *thread;	/* NULL once silenced (net_lock) */
	struct task_struct *made;	/* the thread, until the start runs it */
	struct task_struct *stopping;	/* kspawn_io_silence() to _drain() */
	/*
	 * Work may be coming: poll now.  One word, taken whole with one
	 * xchg, so a host kick is never charged to the guest as a ring.
	 */
	unsigned long kicks;		/* BIT(KICK_GUEST) | ... */
	struct kspawn_doorbell doorbell;	/* the guest rings it */
	char doorbell_name[24];
	/* The timed echo (doorbell_irq), and what it needs to answer. */
	struct kspawn_echo *echo;	/* in the shared header */
	struct kspawn_header *hdr;
	u64 echo_seq;
	u64 echo_due;			/* the echo budget's: ECHO_COST_NS apart */
	/* The doorbell's: each queue's notify word when it last looked. */
	u32 blk_seen[KSPAWN_MAX_QUEUES], net_seen[KSPAWN_MAX_QUEUES];
	u32 extra_kicks;		/* ... and kicks beyond one a ring */
	atomic_t empty_rings;		/* NAPI's, for the thread to count */
	atomic_t thread_rings;		/* rings for it not yet judged */
	bool tx_handed;			/* the thread gave NAPI frames */
	unsigned long napi_worked;	/* bit 0: NAPI took frames (for worked) */
	u8 thread_at;			/* THREAD_*: what the thread is doing */
	/* Doorbell flood control (the thread's). */
	u64 window_start, flood_until;
	unsigned int window_empty, flood_streak;
	bool flooded;			/* masked: the thread polls */
	/* Status changes taken for work in this window (counted_work()). */
	u64 transitions_start;
	unsigned int transitions_seen;
	bool worked;			/* found work since the last ring */
	bool looked_empty;		/* the last look judged found nothing */
	u64 doorbells, floods, sleeps;	/* statistics; doorbells from the irq */
	u64 doorbell_wakes;		/* rings that found the thread asleep */
	u64 guest_irqs;			/* interrupts the devices sent */
	u64 polls, busy_polls;
};

int kspawn_io_create(struct kspawn_instance *in,
		     const struct kspawn_ioc_load *req);
void kspawn_io_destroy(struct kspawn_instance *in);
void kspawn_io_empty_ring(struct kspawn_io *io);
bool kspawn_io_doorbell_used(struct kspawn_io *io);
int kspawn_io_serve(struct kspawn_instance *in);

/* io_thread.c: the device thread's life. */
int kspawn_io_make_thread(struct kspawn_instance *in);
void kspawn_io_start(struct kspawn_instance *in);
void kspawn_io_silence(struct kspawn_instance *in);
void kspawn_io_drain(struct kspawn_instance *in);
void kspawn_io_stop(struct kspawn_instance *in);	/* the two */
void kspawn_io_end_thread(struct kspawn_instance *in);
void kspawn_io_kick(struct kspawn_io *io);

/* io_irq.c: interrupts to the guest. */
void kspawn_io_notify(void *ctx, u32 vector);
extern const struct kb_device_ops kspawn_io_net_ops;
void kspawn_io_net_irqs(struct kspawn_io *io);

/* io_doorbell.c: the doorbell's rings, and floods of them. */
int kspawn_io_create_doorbell(struct kspawn_instance *in,
			      const struct kspawn_ioc_load *req);
void kspawn_io_note_look(struct kspawn_instance *in, bool empty,
			 unsigned int rings);
void kspawn_io_note_empty(struct kspawn_instance *in, unsigned int rings);
void kspawn_io_unflood(struct kspawn_instance *in);

/*
 * The net device broken under net_lock by NAPI, a host transmit or XDP
 * (a bad chain of the guest's): only the device thread sets ksnetN's
 * carrier, and with the doorbell in use nothing else would wake it until
 * the guest rang again, leaving the link up on a device that takes no
 * frame.  The thread is woken to drop it.
 */
static inline void kspawn_io_net_carrier_stale(struct kspawn_io *io)
{
	if (unlikely(READ_ONCE(io->carrier) && !kb_net_up(&io->net)))
		kspawn_io_kick(io);
}

/*
 * Drop net_lock (taken with spin_lock_bh, or spin_lock in softirq
 * context), then interrupt the guest for what was done under it.
 */
static inline void kspawn_io_net_unlock_bh(struct kspawn_io *io)
{
	kspawn_io_net_carrier_stale(io);
	spin_unlock_bh(&io->net_lock);
	kspawn_io_net_irqs(io);
}

static inline void kspawn_io_net_unlock(struct kspawn_io *io)
{
	kspawn_io_net_carrier_stale(io);
	spin_unlock(&io->net_lock);
	kspawn_io_net_irqs(io);
}

/* netdev.c, netdev_rx.c: ksnetN, the host's end of a guest's virtio-net. */
int kspawn_netdev_create(struct kspawn_instance *in);
void kspawn_netdev_destroy(struct kspawn_io *io);
void kspawn_netdev_carrier(struct kspawn_io *io);
void kspawn_netdev_carrier_off(struct kspawn_io *io);
bool kspawn_netdev_tx_rung(struct kspawn_io *io, u32 queues);
extern const struct kb_net_ops kspawn_netdev_ops;

/*
 * store_file.c: a file or block device as blk storage; store_bdev.c: a
 * block device with --cache=none, bios straight to it.
 */
struct kspawn_disk {
	struct file *buffered;		/* page cache: fallback, flush, discard */
	struct file *direct;		/* O_DIRECT, or NULL: all buffered */
	struct block_device *bdev;	/* or NULL: the file's handles */
	struct list_head claimed;	/* a regular file: on disk_claim.c's list */
	struct bdev_cmd *bcmd;		/* one per kb_blk_req, for bdev */
	atomic_t bounce_extra;		/* pages beyond the kept ones: bounce.c */
	int bounce_peak;		/* the most of them at once */
	unsigned int bounce_budget;	/* pages: bounce_budget_kib */
	wait_queue_head_t bounce_room;	/* the thread waits for room */
	bool write_cache;		/* bdev: volatile when opened (the log) */
	bool zeroes;			/* ranges zeroed without writing data */
	unsigned int align;		/* what O_DIRECT or the device needs */
	const struct kb_region *region;
	bool linear;			/* region in the kernel's linear map */
	struct disk_cmd *cmd;		/* one per kb_blk_req */
	atomic_t inflight, max_inflight;
	/*
	 * The file store: woken when no O_DIRECT request is left in flight,
	 * which a request going through the page cache waits for (see
	 * store_file.c, buffered()).
	 */
	wait_queue_head_t direct_idle;
	u64 direct_ios, bounced, buffered_ios;	/* the device thread's */
	/*
	 * A bounced request bigger than KSPAWN_COPY_IN_IRQ_MAX ends here,
	 * not in its completion (an interrupt: up to KB_MAX_CHAIN_BYTES of
	 * memcpy for a read, thousands of pages freed for any, with
	 * interrupts off).
	 */
	struct workqueue_struct *copy_wq;
	atomic_long_t copied_late;	/* reads copied there */
};

/*
 * disk_claim.c: a path, or the mode of what it opened, that may be a
 * disk (a regular file or a block device: 0, else -EINVAL, said in the
 * log, or the lookup's errno), and a regular file held by one instance
 * at a time (-ETXTBSY).
 */
int kspawn_disk_kind(const char *path);
int kspawn_disk_mode(const char *path, umode_t mode);
int kspawn_disk_claim(struct kspawn_disk *d, const char *path);
void kspawn_disk_unclaim(struct kspawn_disk *d);

/* One more request in flight on d (either store), the peak kept. */
static inline void kspawn_disk_count_inflight(struct kspawn_disk *d)
{
	int now = atomic_inc_return(&d->inflight);
	int max = atomic_read(&d->max_inflight);

	while (now > max && !atomic_try_cmpxchg(&d->max_inflight, &max, now))
		;
}

#define KSPAWN_COPY_IN_IRQ_MAX (128 * 1024)

/*
 * A request slot's bounce pages (bounce.c), for either store: their
 * pointers in pieces of a page each (a request's 16 000 pages would be
 * one order-5 array), dir[i] for pages i * KSPAWN_BOUNCE_PIECE on.
 */
#define KSPAWN_BOUNCE_KEEP 32		/* kept between requests */
#define KSPAWN_BOUNCE_PIECE (PAGE_SIZE / sizeof(struct page *))
struct kspawn_bounce {
	struct page ***dir;		/* ndir pieces of pointers */
	unsigned int n, ndir;		/* n pages held */
	unsigned int extra;		/* of the disk's bounce budget */
};

/* Page i of b's (i < b->n). */
static inline struct page *kspawn_bounce_page(const struct kspawn_bounce *b,
					      unsigned int i)
{
	return b->dir[i / KSPAWN_BOUNCE_PIECE][i % KSPAWN_BOUNCE_PIECE];
}

void kspawn_bounce_init(struct kspawn_disk *d);
/*
 * Pages for rq (the device thread: it may wait for the disk's budget),
 * filled with the guest's data for a write: how many, or -ENOMEM.
 */
int kspawn_bounce_start(struct kspawn_disk *d, struct kspawn_bounce *b,
			const struct kb_blk_req *rq);
/*
 * rq is over (ok: it succeeded): a read's data to the guest, and the
 * pages back down to the kept ones (any context; may_sleep only in the
 * disk's workqueue, where a copy counts in copied_late).
 */
void kspawn_bounce_end(struct kspawn_disk *d, struct kspawn_bounce *b,
		       const struct kb_blk_req *rq, bool ok, bool may_sleep);
/* Too big to end in its completion (an interrupt): in copy_wq. */
static inline bool kspawn_bounce_ends_late(const struct kb_blk_req *rq)
{
	return rq->len > KSPAWN_COPY_IN_IRQ_MAX;
}

void kspawn_bounce_free(struct kspawn_bounce *b);

extern const struct kb_store_ops kspawn_file_ops;
struct kspawn_disk *kspawn_disk_open(const char *path, bool writeback,
				     const struct kb_region *r, u64 *bytes);
void kspawn_disk_close(struct kspawn_disk *d);

extern const struct kb_store_ops kspawn_bdev_ops;
int kspawn_bdev_open(struct kspawn_disk *d, dev_t dev);
void kspawn_bdev_close(struct kspawn_disk *d);

/*
 * The MACs of instance id's two ends: the guest's 02:6b:73 ("ks") and
 * ksnetN's 06:6b:73 (both locally administered), then 24 bits of the ID,
 * so that instances alive at once do not share one unless 2^24 others
 * came between them.
 */
static inline void kspawn_mac(u8 mac[6], u32 id, bool host)
{
	mac[0] = host ? 0x06 : 0x02;
	mac[1] = 'k';
	mac[2] = 's';
	mac[3] = id >> 16;
	mac[4] = id >> 8;
	mac[5] = id;
}

/* The store ops the disk d is served by. */
static inline const struct kb_store_ops *
kspawn_disk_ops(const struct kspawn_disk *d)
{
	if (!d->bdev)
		return &kspawn_file_ops;
	return &kspawn_bdev_ops;
}

#endif
