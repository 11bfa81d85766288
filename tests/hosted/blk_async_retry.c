/*
 * blk_async's cases on a store out of memory for a while (blk_async.c
 * runs them, blk_async.h is the harness): -ENOMEM or -EAGAIN from the
 * store, as kspawn.ko's bounce pages give under memory pressure, is no
 * disk error: the device starts the request again later, as blk-mq
 * requeues one on BLK_STS_RESOURCE (blk.h, KB_BLK_RETRIES).
 *
 *   retry-submit, retry-completion: a write, then a read of it, that the
 *     store fails three times (-ENOMEM for the write, -EAGAIN for the
 *     read), at submit or at completion, then does: both OK, started
 *     four times each, the data where it belongs and read back.
 *   retry-bound: a write the store always fails, then a read elsewhere
 *     and a FLUSH: the read completes OK while the write waits; the
 *     write is IOERR after KB_BLK_RETRIES retries, no sooner than their
 *     delays add up to, nothing written; the FLUSH, which waits for every
 *     write before it, completes after it.
 *   retry-drained: a write waiting for its retry when the device thread
 *     stops: a drain (a reset's, a stop's) fails it, IOERR, and returns
 *     with nothing in flight.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tests/hosted/blk_async.h"

#define AT 64				/* the sector that fails */

/* The store fails requests at sector AT: err, times starts (-1: all). */
static void fail_at(int err, int at_completion, int times)
{
	atomic_store(&fail_off, AT * 512);
	atomic_store(&fail_at_completion, at_completion);
	atomic_store(&fail_times, times);
	atomic_store(&fail_attempts, 0);
	atomic_store(&fail_err, err);
}

/* Request i, a read or write of n bytes at sector, queued (not published). */
static struct req *rw(int i, uint32_t type, uint64_t sector, uint32_t n)
{
	struct req *r = &reqs[i];

	r->hdr = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
	r->len = n;
	for (uint32_t k = 0; k < n; k++)
		r->buf[k] = type == VIRTIO_BLK_T_OUT ? (uint8_t)(k * 7 + i) : 0;
	add(&vd.vq[0], r);
	return r;
}

/* The next completion, or NULL after WAIT_FOR's 10 s. */
static struct req *next_done(uint32_t *written)
{
	struct req *got;

	return WAIT_FOR((got = virtq_get(&vd.vq[0], written)) != NULL) ?
	       got : NULL;
}

void retry_ok(const char *name, int at_completion)
{
	struct req *w, *r, *got;
	const char *why = NULL;
	uint32_t written = 0;
	int tries[2] = { 0, 0 };

	start(0);
	memset(disk, 0, sizeof(disk));
	fail_at(-ENOMEM, at_completion, 3);
	w = rw(0, VIRTIO_BLK_T_OUT, AT, 4096);
	virtq_publish(&vd.vq[0]);
	got = next_done(&written);
	tries[0] = atomic_load(&fail_attempts);
	if (got != w || w->status != VIRTIO_BLK_S_OK)
		why = "the write did not complete OK";
	else if (memcmp(disk + AT * 512, w->buf, 4096))
		why = "the write's data is not on the disk";
	if (!why) {
		fail_at(-EAGAIN, at_completion, 3);
		r = rw(1, VIRTIO_BLK_T_IN, AT, 4096);
		virtq_publish(&vd.vq[0]);
		got = next_done(&written);
		tries[1] = atomic_load(&fail_attempts);
		if (got != r || r->status != VIRTIO_BLK_S_OK)
			why = "the read did not complete OK";
		else if (written != 4097 || memcmp(r->buf, w->buf, 4096))
			why = "the read did not return the data written";
	}
	atomic_store(&fail_err, 0);
	finish_run();
	if (!why && (tries[0] != 4 || tries[1] != 4))
		why = "not started four times each";
	verdict(name, NULL, !why, "%s (write started %d times, read %d)",
		why ?: "", tries[0], tries[1]);
}

void retry_bound(void)
{
	uint64_t least = 0, t0, took = 0;
	struct req *w, *r, *fl;
	struct req *order[3] = { NULL, NULL, NULL };
	const char *why = NULL;
	uint32_t written;
	int tries;

	for (unsigned int i = 0; i < KB_BLK_RETRIES; i++)
		least += KB_BLK_RETRY_NS << (i < KB_BLK_RETRY_SHIFT_MAX ?
					     i : KB_BLK_RETRY_SHIFT_MAX);
	start(0);
	memset(disk, 0, sizeof(disk));
	fail_at(-ENOMEM, 0, -1);
	t0 = kb_now_ns();
	w = rw(0, VIRTIO_BLK_T_OUT, AT, 4096);
	r = rw(1, VIRTIO_BLK_T_IN, 1024, 4096);
	fl = &reqs[2];
	fl->hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_FLUSH };
	add(&vd.vq[0], fl);
	virtq_publish(&vd.vq[0]);
	for (int i = 0; i < 3 && !why; i++) {
		order[i] = next_done(&written);
		if (!order[i])
			why = "a request never completed";
		else if (order[i] == w)
			took = kb_now_ns() - t0;
	}
	tries = atomic_load(&fail_attempts);
	atomic_store(&fail_err, 0);
	finish_run();
	if (!why && (order[0] != r || r->status != VIRTIO_BLK_S_OK))
		why = "the read did not complete OK first, beside the failing write";
	if (!why && (order[1] != w || w->status != VIRTIO_BLK_S_IOERR))
		why = "the failing write was not IOERR, before the FLUSH";
	if (!why && (order[2] != fl || fl->status != VIRTIO_BLK_S_OK))
		why = "the FLUSH did not complete OK last";
	if (!why && tries != KB_BLK_RETRIES + 1)
		why = "not started 1 + KB_BLK_RETRIES times";
	if (!why && took < least)
		why = "given up on before the retries' delays";
	for (int k = 0; !why && k < 4096; k++)
		if (disk[AT * 512 + k])
			why = "the failing write wrote";
	if (!why)
		printf("# retry-bound: IOERR after %d starts, %llu ms\n", tries,
		       (unsigned long long)took / 1000000);
	verdict("retry-bound", NULL, !why,
		"%s (started %d times, want %d; IOERR after %llu ms, want >= %llu)",
		why ?: "", tries, KB_BLK_RETRIES + 1,
		(unsigned long long)took / 1000000,
		(unsigned long long)least / 1000000);
}

static atomic_int drained;

static void *drain_thread(void *arg)
{
	(void)arg;
	kb_blk_drain(&blk);
	atomic_store(&drained, 1);
	return NULL;
}

void retry_drained(void)
{
	const char *why = NULL;
	struct req *w, *got;
	uint32_t written;
	pthread_t t;

	start(0);
	fail_at(-ENOMEM, 0, -1);
	w = rw(0, VIRTIO_BLK_T_OUT, AT, 4096);
	virtq_publish(&vd.vq[0]);
	/* Started twice: held for a retry at least once. */
	if (!WAIT_FOR(atomic_load(&fail_attempts) >= 2))
		why = "the write was never started again";
	finish_run();
	atomic_store(&drained, 0);
	pthread_create(&t, NULL, drain_thread, NULL);
	if (!WAIT_FOR(atomic_load(&drained))) {
		why = why ?: "the drain did not return";
		pthread_detach(t);	/* spins on; the program ends anyway */
	} else {
		pthread_join(t, NULL);
		got = virtq_get(&vd.vq[0], &written);
		if (!why && (got != w || w->status != VIRTIO_BLK_S_IOERR))
			why = "the held write was not failed (IOERR)";
	}
	atomic_store(&fail_err, 0);
	verdict("retry-drained", NULL, !why, "%s", why);
}
