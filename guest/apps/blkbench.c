/*
 * blkbench [rw=read|write] [qd=N] [bs=BYTES] [ops=N] [idle_ms=N]: random I/O of bs
 * bytes over the disk with qd requests in flight; prints IOPS and the
 * p50/p99 latency of single requests, one line, for bench/ to collect.
 * ops / 10 requests go first as a warm-up (warm= on that line): the clock
 * starts when the last of them completes, and their latencies are not
 * kept.  idle_ms=N (with qd=1) sleeps N ms before each request: the
 * latency of the first request after an idle spell, when the host's
 * device thread has gone to sleep.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"

#define MAX_QD 64

struct op {
	struct vblk_req req;
	uint64_t start;
	void *buf;
	int busy;
};

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int blkbench_main(int argc, char **argv)
{
	int write = !strcmp(app_opt(argc, argv, "rw", "read"), "write");
	int qd = atoi(app_opt(argc, argv, "qd", "1"));
	uint32_t bs = (uint32_t)atoi(app_opt(argc, argv, "bs", "4096"));
	long ops = atol(app_opt(argc, argv, "ops", "20000"));
	long idle = atol(app_opt(argc, argv, "idle_ms", "0"));
	uint64_t *lat, blocks, x = 88172645463325252ULL, t0 = 0, t1;
	struct op o[MAX_QD];
	long issued = 0, done = 0, warm;

	if (qd < 1 || qd > MAX_QD || !bs || bs % VBLK_SECTOR || ops < 1 ||
	    idle < 0 || (idle && qd != 1)) {
		kprintf("blkbench: bad arguments\n");
		return 2;
	}
	if (vblk_init()) {
		kprintf("blkbench: no block device\n");
		return 1;
	}
	blocks = vblk_sectors() * VBLK_SECTOR / bs;
	lat = malloc(sizeof(*lat) * (size_t)ops);
	memset(o, 0, sizeof(o));
	for (int i = 0; i < qd; i++)
		o[i].buf = malloc(bs);
	if (!lat || !blocks || !o[qd - 1].buf) {
		kprintf("blkbench: out of memory or disk too small\n");
		return 1;
	}
	warm = ops / 10 ? ops / 10 : 1;
	for (int i = 0; done < warm + ops; i = (i + 1) % qd) {
		struct op *p = &o[i];

		if (p->busy) {
			uint64_t now;

			if (vblk_wait(&p->req))
				return kprintf("blkbench: I/O error\n"), 1;
			now = time_ns();
			if (done >= warm)
				lat[done - warm] = now - p->start;
			if (++done == warm)
				t0 = now;
			p->busy = 0;
		}
		if (issued < warm + ops) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (idle)
				thread_sleep_ms((uint64_t)idle);
			p->start = time_ns();
			if (vblk_submit(&p->req, write ? VIRTIO_BLK_T_OUT :
							 VIRTIO_BLK_T_IN,
					(x % blocks) * (bs / VBLK_SECTOR), p->buf,
					bs))
				return kprintf("blkbench: submit failed\n"), 1;
			p->busy = 1;
			issued++;
		}
	}
	t1 = time_ns();
	qsort(lat, (size_t)ops, sizeof(*lat), cmp);
	/* Tenths of a microsecond: a fast path's latency is a few us. */
	kprintf("blkbench: rw=%s qd=%d bs=%u ops=%ld warm=%ld iops=%llu p50_us=%llu.%llu p99_us=%llu.%llu%s\n",
		write ? "write" : "read", qd, bs, ops, warm,
		(unsigned long long)((uint64_t)ops * 1000000000ULL / (t1 - t0)),
		(unsigned long long)(lat[ops / 2] / 1000),
		(unsigned long long)(lat[ops / 2] / 100 % 10),
		(unsigned long long)(lat[ops * 99 / 100] / 1000),
		(unsigned long long)(lat[ops * 99 / 100] / 100 % 10),
		idle ? " (each after an idle spell)" : "");
	return 0;
}
APP(blkbench, blkbench_main, "random I/O benchmark [rw=read|write] [qd=N] [bs=BYTES] [ops=N] [idle_ms=N]");
