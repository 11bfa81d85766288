/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * virtio-blk device, with vdpa_sim_blk's behaviour: one request queue, or
 * KB_BLK_QUEUES served in turn with VIRTIO_BLK_F_MQ;
 * IN/OUT/FLUSH/GET_ID/DISCARD/WRITE_ZEROES, seg_max/size_max/blk_size in
 * the config.  Over a volatile cache it offers FLUSH and CONFIG_WCE; a
 * write is written through (completed only after a store flush that
 * followed it) when the driver set the config's writeback to 0 or did not
 * take FLUSH.  The storage is behind kb_store_ops (RAM here, a file or a
 * block device in the module).  A request naming sectors past the end, or
 * with more data segments than seg_max or one bigger than size_max, gets
 * VIRTIO_BLK_S_IOERR, an unknown or malformed one VIRTIO_BLK_S_UNSUPP (a
 * DISCARD or WRITE_ZEROES by virtio 1.2's rules: blk_req.c's do_ranges()).
 */
#ifndef KB_BLK_H
#define KB_BLK_H

#include "device.h"

#define KB_BLK_SECTOR 512
/*
 * Bytes in one segment, and data segments in one request (the header and
 * status byte take the other two a chain may have).  Their product, the
 * most a driver keeping to the config may send in one request, fits the
 * bytes a chain may carry: past those, the ring code takes the chain for a
 * violation, and the device would need a reset for a valid request.
 */
#define KB_BLK_SIZE_MAX (512U << 10)
#define KB_BLK_SEG_MAX (KB_MAX_SEGS - 2)	/* (checked in kb_blk_init) */
#define KB_BLK_RANGE_MAX (1U << 21)	/* sectors in a discard range: 1 GiB */

#define KB_BLK_INFLIGHT 128		/* reads and writes at the store */
/*
 * A store short of memory or of a resource for now (-ENOMEM, -EAGAIN:
 * bounce pages under memory pressure) has the request started again
 * later, as blk-mq requeues one on BLK_STS_RESOURCE: after 1 ms, the
 * delay doubling up to 128 ms, KB_BLK_RETRIES times (0.77 s in all),
 * then IOERR.
 */
#define KB_BLK_RETRIES 12
#define KB_BLK_RETRY_NS 1000000ULL
#define KB_BLK_RETRY_SHIFT_MAX 7
/* Request queues offered with VIRTIO_BLK_F_MQ: one per guest CPU. */
#define KB_BLK_QUEUES KSPAWN_MAX_QUEUES

struct kb_blk;

/*
 * One read or write handed to the store: the data segments only (header
 * and status byte cut off), checked against the disk and the limits.  Or
 * (range set) a DISCARD or WRITE_ZEROES range for submit_range: no
 * segments, write set, [off, +len) to read back as zeroes.
 */
struct kb_blk_req {
	struct kb_blk *b;
	int write;			/* OUT; else IN */
	int range, zero;		/* submit_range's; zero: keep allocated */
	uint64_t off;			/* bytes */
	uint32_t len, nseg;
	struct kb_seg seg[KB_BLK_SEG_MAX];
	/* The blk device's own. */
	uint16_t q;			/* the queue it came from, goes back to */
	uint16_t head, ndesc;		/* what the push needs of the chain */
	uint8_t *status;		/* the status byte, in the chain */
	uint32_t written;
	int through;			/* a write durable before completing */
	unsigned int id;		/* index in kb_blk.req, for the store */
	struct kb_blk_req *next;	/* free list, the parked flush, retry */
	/* how it is started at the store, again for a retry */
	int (*start)(void *store, struct kb_blk_req *rq);
	unsigned int tries;		/* retries so far */
	uint64_t retry_at;		/* kb_now_ns() it may start again */
};

/*
 * Byte offsets and lengths; 0 or a negative errno.  read/write/flush/
 * discard are synchronous and called by the device thread only.  submit
 * starts a read or write and the store calls kb_blk_complete() for it
 * once, from any context (hard irq too), maybe before submit returns; a
 * non-zero return means it was not started (and is not completed).
 * -ENOMEM or -EAGAIN, from submit or at completion, has the request
 * started again later (KB_BLK_RETRIES); its segments are as they were.
 * submit_range, if the store has it, starts a DISCARD or WRITE_ZEROES the
 * same way (the device thread does not wait for it); else discard runs
 * synchronously on the thread.
 */
struct kb_store_ops {
	int (*read)(void *store, uint64_t off, void *buf, uint32_t len);
	int (*write)(void *store, uint64_t off, const void *buf, uint32_t len);
	int (*flush)(void *store);
	int (*discard)(void *store, uint64_t off, uint64_t len, int zero);
	int (*submit)(void *store, struct kb_blk_req *rq);
	int (*submit_range)(void *store, struct kb_blk_req *rq);
	/* Writes may sit in a volatile cache: offer FLUSH. */
	int volatile_cache;
};

struct kb_blk {
	struct kb_device dev;
	const struct kb_store_ops *ops;
	void *store;
	uint64_t bytes;			/* capacity */
	char serial[20];		/* GET_ID */
	uint64_t requests, errors;
	/*
	 * The lock covers the used side of the queue, the free list and
	 * the counts: completions push from any context.  Never held across
	 * a pop, a submit or a store call.
	 */
	kb_lock_t lock;
	struct kb_blk_req *free;
	struct kb_blk_req *flush;	/* parked until the writes drain */
	/*
	 * through and inflight are read without the lock (the thread's
	 * "anything to flush?", a drain's wait): stored with KB_WRITE.
	 */
	struct kb_blk_req *through;	/* stored writes waiting for a flush */
	/* Waiting to start again (still in flight); read as through is. */
	struct kb_blk_req *retry;
	uint64_t retries;
	uint32_t inflight, max_inflight;
	/* kb_blk_drain() sleeps: woken when none is left, one to flush or to retry */
	kb_waitq_t drained;
	int in_work;			/* in blk_work: it publishes */
	int starved;			/* asleep until a slot frees: wake */
	unsigned int next_q;		/* the queue blk_work looks at first */
	/*
	 * Called under the lock when a parked flush can go, a written-
	 * through write waits for its flush, a request waits for a retry, a
	 * starved thread has a free slot again, or the last request in
	 * flight completed (the driver's next one is likely to follow within
	 * microseconds): wake the thread.  soon: the guest's next request
	 * is likely within microseconds, worth polling for; not for a
	 * request held for a retry, which waits a millisecond or more.
	 */
	void (*wake)(void *wake_ctx, int soon);
	void *wake_ctx;
	struct kb_chain done;		/* scratch for pushes, under the lock */
	struct kb_blk_req req[KB_BLK_INFLIGHT];
};

/* The store finished rq: err 0 or a negative errno. */
void kb_blk_complete(struct kb_blk_req *rq, int err);
/* The driver's status for a store's 0 or negative errno on rq. */
uint8_t kb_blk_status(const struct kb_blk_req *rq, int err);

/* A submit by the store's read and write, completing before it returns. */
int kb_blk_sync_submit(void *store, struct kb_blk_req *rq);

/*
 * Wait until nothing is in flight (the thread no longer submits); a
 * request waiting for a retry is failed (IOERR).
 */
void kb_blk_drain(struct kb_blk *b);

void kb_blk_init(struct kb_blk *b, struct kspawn_device *slot,
		 const struct kb_region *r, const struct kb_device_ops *ops,
		 void *ctx, const struct kb_store_ops *store_ops, void *store,
		 uint64_t bytes, const char *serial);
/* The store's smallest I/O, if above a sector: in blk_size (before live). */
void kb_blk_set_block_size(struct kb_blk *b, uint32_t bytes);

/*
 * A store that cannot zero a range cheaply (a block device without a
 * write-zeroes offload would take a discard as that many bytes of zeroes
 * written: 1 GiB for a 16-byte range) offers neither DISCARD nor
 * WRITE_ZEROES, and fails them (UNSUPP) if a guest sends them anyway.
 * Before the device is live.
 */
void kb_blk_withhold_ranges(struct kb_blk *b);

/*
 * Between blk_req.c (one request: its chain checked, done by its type)
 * and blk.c (the device: slots, completion, ordering, the thread's work);
 * not for stores.
 */
void kb_blk_request(struct kb_blk *b, unsigned int q,
		    const struct kb_chain *c, struct kb_blk_req *rq);
void kb_blk_do_flush(struct kb_blk *b, struct kb_blk_req *rq);
void kb_blk_submit(struct kb_blk *b, struct kb_blk_req *rq,
		   int (*fn)(void *store, struct kb_blk_req *rq));
void kb_blk_finish(struct kb_blk *b, struct kb_blk_req *rq, uint8_t status);
void kb_blk_publish_now(struct kb_blk *b);

/* RAM storage (vdpa_sim_blk's): kb_ram_new(bytes) or NULL. */
extern const struct kb_store_ops kb_ram_ops;
void *kb_ram_new(uint64_t bytes);
void kb_ram_free(void *store);

#endif
