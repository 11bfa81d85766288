/*
 * What the files of the blk_async program share (blk_async.c: the
 * harness, out-of-order requests and main(); blk_async_flush.c: FLUSH and
 * the write cache; blk_async_range.c: DISCARD and WRITE_ZEROES;
 * blk_async_retry.c: a store out of memory for a while): the
 * asynchronous store and its knobs, the device and the driver, the
 * requests in the region.
 */
#ifndef TESTS_HOSTED_BLK_ASYNC_H
#define TESTS_HOSTED_BLK_ASYNC_H

#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"
/* verdict() from every file, failures counted once (blk_async.c's). */
#define VERDICT_SHARED
#include "tests/hosted/verdict.h"

#define REGION_BYTES (8u << 20)
#define REGION_BASE 0x40000000ULL
#define DISK_BYTES (1u << 20)
#define QSIZE 128
#define QD 32
#define MAX_IO 8192

struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	uint8_t *buf;
	uint32_t len;
	long seq;			/* order of submission */
	int busy;
};

extern uint8_t *region;
extern struct kb_region kr;
extern struct kspawn_device slot;
extern struct kb_blk blk;
extern uint8_t disk[DISK_BYTES];	/* the store's */
extern uint8_t model[DISK_BYTES];	/* what the driver expects */
extern struct virtio_dev vd;
extern struct req *reqs;		/* QD of them, in the region */

/* The store's knobs and counts. */
extern atomic_int hold;			/* the completer waits */
extern atomic_int flushes, writes_pending_at_flush;
extern atomic_int stored_writes, flushed_writes;	/* write-through */
extern uint64_t drop_features;		/* the driver refuses these */
extern atomic_int range_refused;	/* submit_range fails with this */
extern atomic_int range_failed;		/* a range completes with this */
/*
 * Requests at byte fail_off fail with fail_err (at submit, or at their
 * completion with fail_at_completion) their first fail_times starts, or
 * every one if that is negative; fail_attempts counts their starts.
 */
extern atomic_int fail_err, fail_at_completion, fail_times, fail_attempts;
extern _Atomic uint64_t fail_off;
/* Ranges submitted (async_ops) or done in the device thread. */
extern const struct kb_store_ops async_ops, sync_range_ops;
extern const struct kb_store_ops *store_ops;	/* start()'s */
extern const struct kb_device_ops ops;

/* Requests the store holds now. */
int npending_now(void);
/* A fresh device over store_ops, live, its threads running; and stopped. */
void start(int packed);
void finish_run(void);
/* Queue r (not published); a random read or write overlapping none in flight. */
int add(struct virtq *q, struct req *r);
void prepare(struct req *reqs, struct req *r, long seq);

/* Wait (bounded) for cond; 0 if it never came. */
#define WAIT_FOR(cond) ({ int _k = 0, _ok; \
	while (!(_ok = !!(cond)) && _k++ < 200000) \
		usleep(50); \
	_ok; })

/* blk_async_flush.c */
void flush_order(void);
void flush_feature(void);
void write_through(const char *name, uint64_t drop, int wce,
		   int want_through);
/* blk_async_range.c */
void range_async(void);
void range_through(void);
void range_unsupported(const char *name, int sync);
void range_bounds(const char *name, int sync);
/* blk_async_retry.c */
void retry_ok(const char *name, int at_completion);
void retry_bound(void);
void retry_drained(void);

#endif
