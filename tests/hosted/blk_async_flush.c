/*
 * blk_async's cases on FLUSH and the device's write cache (blk_async.c
 * runs them, blk_async.h is the harness):
 *
 *   flush-order: writes held in the store, then a FLUSH: the flush reaches
 *     the store and the driver only after every write before it completed.
 *   flush-feature: FLUSH and CONFIG_WCE are offered over a volatile cache
 *     only (not RAM), the config saying write-back.
 *   write-through-wce, write-through-noflush: with the config's wce set to
 *     0 by the driver, or FLUSH not taken, each write completes only after
 *     a store flush that followed its store write; write-back-wce: with
 *     wce left at 1, no flush the driver did not ask for.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hosted/blk_async.h"

void flush_order(void)
{
	struct virtq *q = &vd.vq[0];
	struct req *fl = &reqs[8];	/* in the region */
	const char *why = NULL;
	int seen = 0, flush_pos = -1;

	start(0);
	atomic_store(&hold, 1);
	for (int i = 0; i < 8; i++) {
		reqs[i].busy = 0;
		prepare(reqs, &reqs[i], i);
		reqs[i].hdr.type = VIRTIO_BLK_T_OUT;
		add(q, &reqs[i]);
	}
	fl->hdr.type = VIRTIO_BLK_T_FLUSH;
	add(q, fl);
	virtq_publish(q);
	if (!WAIT_FOR(atomic_load(&flushes) || npending_now() == 8))
		why = "the writes never reached the store";
	usleep(20000);		/* time for a wrong device to flush early */
	if (!why && atomic_load(&flushes))
		why = "FLUSH ran while the writes before it were in flight";
	if (!why && virtq_get(q, &(uint32_t){ 0 }))
		why = "a request completed while the store held them all";
	atomic_store(&hold, 0);
	while (!why && seen < 9) {
		uint32_t written;
		struct req *r;

		if (!WAIT_FOR((r = virtq_get(q, &written)) != NULL)) {
			fprintf(stderr, "seen %d pending %d inflight %u parked %p flushes %d used %u\n", seen, npending_now(), blk.inflight, (void *)blk.flush, atomic_load(&flushes), blk.dev.vq[0].used_idx);
			why = "lost completion";
			break;
		}
		if (r == fl)
			flush_pos = seen;
		if (r->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		seen++;
	}
	finish_run();
	if (!why && flush_pos != 8)
		why = "the FLUSH completed before a write issued before it";
	if (!why && atomic_load(&writes_pending_at_flush))
		why = "the store flushed with writes pending";
	if (!why && atomic_load(&flushes) != 1)
		why = "the store saw no flush";
	verdict("flush-order", NULL, !why, "%s", why);
}

void flush_feature(void)
{
	struct kspawn_device s;
	void *ram = kb_ram_new(4096);
	struct kb_blk *b = malloc(sizeof(*b));
	const uint64_t f = 1ULL << VIRTIO_BLK_F_FLUSH |
			   1ULL << VIRTIO_BLK_F_CONFIG_WCE;
	const size_t wce = offsetof(struct virtio_blk_config, wce);
	const char *why = NULL;

	memset(&s, 0, sizeof(s));
	kb_blk_init(b, &s, &kr, &ops, NULL, &kb_ram_ops, ram, 4096, "ram");
	if (s.device_features & f)
		why = "RAM (no volatile cache) offers FLUSH or CONFIG_WCE";
	if (!why && s.config[wce])
		why = "RAM's config says write-back";
	kb_blk_init(b, &s, &kr, &ops, NULL, &async_ops, NULL, 4096, "file");
	if (!why && (s.device_features & f) != f)
		why = "a volatile cache without FLUSH and CONFIG_WCE";
	if (!why && s.config[wce] != 1)
		why = "a volatile cache whose config does not say write-back";
	verdict("flush-feature", NULL, !why, "%s", why);
	kb_ram_free(ram);
	free(b);
}

/*
 * 50 writes one at a time; wce >= 0 is what the driver writes to the
 * config's wce byte once the device is live.
 */
void write_through(const char *name, uint64_t drop, int wce,
		   int want_through)
{
	struct virtq *q = &vd.vq[0];
	const char *why = NULL;
	int n;

	drop_features = drop;
	start(0);
	drop_features = 0;
	if (wce >= 0)
		slot.config[offsetof(struct virtio_blk_config, wce)] = (uint8_t)wce;
	atomic_store(&flushes, 0);
	atomic_store(&stored_writes, 0);
	atomic_store(&flushed_writes, 0);
	for (n = 0; n < 50 && !why; n++) {
		struct req *r = &reqs[0], *got = NULL;
		uint32_t written;

		r->busy = 0;
		prepare(reqs, r, n);
		r->hdr.type = VIRTIO_BLK_T_OUT;
		add(q, r);
		virtq_publish(q);
		if (!WAIT_FOR((got = virtq_get(q, &written)) != NULL))
			why = "lost completion";
		else if (got->status != VIRTIO_BLK_S_OK)
			why = "status not OK";
		else if (want_through && atomic_load(&flushed_writes) != n + 1)
			why = "a write completed before a flush after it";
	}
	finish_run();
	if (!why && !want_through && atomic_load(&flushes))
		why = "a write-back device flushed with no FLUSH asked";
	if (!why)
		printf("# %s: %d writes, %d store flushes\n", name, n,
		       atomic_load(&flushes));
	verdict(name, NULL, !why, "%s", why);
}
