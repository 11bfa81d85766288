/*
 * blkbench [rw=read|write] [qd=N] [bs=BYTES] [ops=N]: random I/O of bs
 * bytes over the disk with qd requests in flight; prints IOPS and the
 * p50/p99 latency of single requests, one line, for bench/ to collect.
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
	uint64_t *lat, blocks, x = 88172645463325252ULL, t0, t1;
	struct op o[MAX_QD];
	long issued = 0, done = 0;

	if (qd < 1 || qd > MAX_QD || !bs || bs % VBLK_SECTOR || ops < 1) {
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
	t0 = time_ns();
	for (int i = 0; done < ops; i = (i + 1) % qd) {
		struct op *p = &o[i];

		if (p->busy) {
			if (vblk_wait(&p->req))
				return kprintf("blkbench: I/O error\n"), 1;
			lat[done++] = time_ns() - p->start;
			p->busy = 0;
		}
		if (issued < ops) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p->start = time_ns();
			if (vblk_submit(&p->req, write ? VBLK_T_OUT : VBLK_T_IN,
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
	kprintf("blkbench: rw=%s qd=%d bs=%u ops=%ld iops=%llu p50_us=%llu.%llu p99_us=%llu.%llu\n",
		write ? "write" : "read", qd, bs, ops,
		(unsigned long long)((uint64_t)ops * 1000000000ULL / (t1 - t0)),
		(unsigned long long)(lat[ops / 2] / 1000),
		(unsigned long long)(lat[ops / 2] / 100 % 10),
		(unsigned long long)(lat[ops * 99 / 100] / 1000),
		(unsigned long long)(lat[ops * 99 / 100] / 100 % 10));
	return 0;
}
APP(blkbench, blkbench_main, "random I/O benchmark [rw=read|write] [qd=N] [bs=BYTES] [ops=N]");
