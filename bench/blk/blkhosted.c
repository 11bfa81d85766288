// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * blkhosted: kspawn's block path with no machine around it.  The guest's
 * virtqueue driver (guest/lib/virtq*.c) on CPU 0 and the blk backend
 * (host/backend/blk.c and blk_req.c over RAM storage, ram.c) on CPU 1:
 * two threads over one malloc'd region laid out as a guest's, both
 * polling, as in tests/hosted/blk_model.c.  4 KiB random reads or writes
 * over a 128 MiB RAM disk with qd requests in flight.  The peer is
 * bench/blk/fio.sh.
 *
 *   blkhosted rw=read|write qd=N [ops=N] [layout=split|packed]
 *
 * stdout: "iops N IOPS", "p50_us X us", "p99_us X us"; latency is from
 * virtq_add() of a request to virtq_get() of its completion.  Then
 * "warmup N requests": ops / 10 requests go first, unmeasured; the clock
 * starts when the last of them completes.
 *
 * Every block starts with a stamp made from its number and ends with one
 * made from its number and the write that last wrote it (0: none), with a
 * fixed pattern between.  Reads check the two stamps (checking every byte
 * would double the memory traffic being measured; the stamps catch
 * misdirected, missing and torn transfers); at the end the whole disk is
 * read back and checked against the last write to each block (the device
 * serves requests in order, so the last one made is the last one done).
 * BENCH_CORRUPT=N sends the backend's Nth storage access one block astray,
 * to show that the checks catch it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/hostbench.h"
#include "bench/lib/hostregion.h"
#include "host/backend/blk.h"
#include "lib/virtq.h"

#define REGION_BYTES (4u << 20)
#define REGION_BASE 0x40000000ULL
#define RING_OFF (1u << 20)
#define REQ_OFF (2u << 20)
#define BUF_OFF (3u << 20)
#define DISK_BYTES (128ULL << 20)
#define BS 4096u
#define BLOCKS (DISK_BYTES / BS)
#define QSIZE 256
#define MAX_QD 64		/* 3 descriptors each must fit in QSIZE */
#define DEFAULT_OPS 500000L
#define FILL 0x5a		/* the bytes between the stamps */

/*
 * No completion this long: give up.  Long, as a shared machine can take
 * either thread's CPU away for a quarter second.
 */
#define STALL_NS 10000000000ULL

#define USAGE "blkhosted rw=read|write qd=N [ops=N] [layout=split|packed]"

/* One request; the first 16 bytes are the virtio_blk_outhdr. */
struct req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
	uint8_t status;			/* written by the device */
	uint64_t block;
	uint64_t start;			/* ns, when added to the ring */
	uint8_t *buf;
} __attribute__((aligned(64)));	/* no two requests share a line */

static struct hostregion hr;
static struct kb_blk blk;
static struct virtq *q = &hr.vd.vq[0];
static int writing, qd, packed;
static long ops, warm, corrupt_at, accesses;
static uint64_t seed = 88172645463325252ULL;
static uint32_t *last_write;		/* per block; 0: the fill */
static uint32_t writes;

/* ---- the disk's contents and the BENCH_CORRUPT store ---- */

static uint64_t stamp(uint64_t block)
{
	return block * 0x9e3779b97f4a7c15ULL ^ 0x6b7370617764736bULL;
}

static void stamp_block(uint8_t *p, uint64_t block)
{
	uint64_t head = stamp(block), tail = head ^ last_write[block];

	memcpy(p, &head, 8);
	memcpy(p + BS - 8, &tail, 8);
}

static int stamps_ok(const uint8_t *p, uint64_t block)
{
	uint64_t head, tail;

	memcpy(&head, p, 8);
	memcpy(&tail, p + BS - 8, 8);
	return head == stamp(block) && tail == (stamp(block) ^ last_write[block]);
}

/* The backend's storage, with its Nth access misdirected by one block. */
static uint64_t astray(uint64_t off)
{
	if (++accesses != corrupt_at)
		return off;
	fprintf(stderr, "BENCH_CORRUPT: storage access %ld sent one block astray\n",
		accesses);
	return (off + BS) % DISK_BYTES;
}

static int bad_read(void *s, uint64_t off, void *buf, uint32_t len)
{
	return kb_ram_ops.read(s, astray(off), buf, len);
}

static int bad_write(void *s, uint64_t off, const void *buf, uint32_t len)
{
	return kb_ram_ops.write(s, astray(off), buf, len);
}

static const struct kb_store_ops bad_ops = {
	.read = bad_read,
	.write = bad_write,
	.flush = NULL,		/* the benchmark sends neither */
	.discard = NULL,
};

/*
 * Write every block before measuring: the pages are then really there
 * (calloc'd memory would read as the shared zero page and fault on the
 * first write), as they are in fio's file.
 */
static int fill_disk(void *ram)
{
	uint8_t b[BS];

	memset(b, FILL, BS);
	for (uint64_t i = 0; i < BLOCKS; i++) {
		stamp_block(b, i);
		if (kb_ram_ops.write(ram, i * BS, b, BS))
			return -1;
	}
	return 0;
}

/* Read the whole disk back; returns the blocks that are wrong. */
static long check_disk(void *ram)
{
	uint8_t want[BS], got[BS];
	long bad = 0;

	memset(want, FILL, BS);
	for (uint64_t i = 0; i < BLOCKS; i++) {
		stamp_block(want, i);
		if (kb_ram_ops.read(ram, i * BS, got, BS) ||
		    memcmp(got, want, BS)) {
			if (!bad)
				fprintf(stderr, "disk block %llu is wrong\n",
					(unsigned long long)i);
			bad++;
		}
	}
	return bad;
}

/* ---- the driver: requests on CPU 0 ---- */

/* The driver's handshake: one request queue. */
static int bring_up(void)
{
	if (hr_negotiate(&hr, &blk.dev, packed, 1, QSIZE))
		return -1;
	return hr_driver_ok(&hr);
}

/* Add one request for a random block; the caller publishes. */
static int submit(struct req *r, uint64_t now)
{
	struct virtq_buf hdr = { r, 16 }, data = { r->buf, BS };
	struct virtq_buf status = { &r->status, 1 };
	struct virtq_buf out[2] = { hdr, data }, in[2] = { data, status };

	r->block = hb_rnd(&seed) % BLOCKS;
	r->sector = r->block * (BS / KB_BLK_SECTOR);
	r->status = 0xff;
	r->start = now;
	if (writing) {
		last_write[r->block] = ++writes;
		stamp_block(r->buf, r->block);
		r->type = 1;		/* VIRTIO_BLK_T_OUT */
		return virtq_add(q, out, 2, &status, 1, r);
	}
	memset(r->buf, 0, 8);	/* a read that moved nothing fails */
	r->type = 0;			/* VIRTIO_BLK_T_IN */
	return virtq_add(q, &hdr, 1, in, 2, r);
}

/* A completion: 0 if its status, length and (for reads) data are right. */
static int check(const struct req *r, uint32_t written)
{
	if (r->status != 0) {
		fprintf(stderr, "block %llu: status %u\n",
			(unsigned long long)r->block, r->status);
		return -1;
	}
	if (writing && written != 1) {
		fprintf(stderr, "write of block %llu: device wrote %u bytes\n",
			(unsigned long long)r->block, written);
		return -1;
	}
	if (writing)
		return 0;
	if (written != BS + 1 || !stamps_ok(r->buf, r->block)) {
		fprintf(stderr, "read of block %llu: wrong data (%u bytes)\n",
			(unsigned long long)r->block, written);
		return -1;
	}
	return 0;
}

struct run {
	uint64_t *lat;			/* ns, one per measured request */
	long issued, done, bad;		/* warm-up included */
	uint64_t t0, t1;
};

/* Take every completion there is and refill; returns how many. */
static int reap(struct run *s)
{
	struct req *r;
	uint32_t written;
	int n = 0;

	while ((r = virtq_get(q, &written))) {
		uint64_t now = hb_now_ns();

		if (s->done >= warm)
			s->lat[s->done - warm] = now - r->start;
		if (++s->done == warm)
			s->t0 = now;	/* the warm-up is over */
		s->bad += check(r, written) != 0;
		n++;
		if (s->issued < warm + ops) {
			if (submit(r, now))
				return fprintf(stderr, "queue full\n"), -1;
			s->issued++;
		}
	}
	return n;
}

static int measure(struct run *s)
{
	struct req *reqs = (struct req *)(hr.mem + REQ_OFF);
	struct hb_wait w = { 0 };

	for (int i = 0; i < qd && s->issued < warm + ops; i++, s->issued++) {
		reqs[i].buf = hr.mem + BUF_OFF + (size_t)i * BS;
		memset(reqs[i].buf, FILL, BS);
		if (submit(&reqs[i], hb_now_ns()))
			return fprintf(stderr, "queue full\n"), -1;
	}
	virtq_publish(q);
	while (s->done < warm + ops) {
		int n = reap(s);

		if (n < 0)
			return -1;
		if (n) {
			virtq_publish(q);
			hb_busy(&w);
			continue;
		}
		if (hb_idle(&w, STALL_NS) || hr_broken(&hr))
			return fprintf(stderr, "device stalled (status %#x)\n",
				       hr.slot.status), -1;
	}
	s->t1 = hb_now_ns();
	return 0;
}

static void parse(int argc, char **argv)
{
	static const char *const keys[] = { "rw", "qd", "ops", "layout", NULL };
	const char *rw = hb_opt(argc, argv, 1, "rw", "");
	const char *layout = hb_opt(argc, argv, 1, "layout", "split");

	hb_check_args(argc, argv, 1, keys, USAGE);
	if ((strcmp(rw, "read") && strcmp(rw, "write")) ||
	    (strcmp(layout, "split") && strcmp(layout, "packed")) ||
	    !*hb_opt(argc, argv, 1, "qd", "")) {
		fprintf(stderr, "usage: %s\n", USAGE);
		exit(2);
	}
	writing = !strcmp(rw, "write");
	packed = !strcmp(layout, "packed");
	qd = (int)hb_num("qd", hb_opt(argc, argv, 1, "qd", ""), 1, MAX_QD);
	ops = DEFAULT_OPS;
	if (hb_opt(argc, argv, 1, "ops", NULL))
		ops = hb_num("ops", hb_opt(argc, argv, 1, "ops", NULL), 1,
			     1L << 30);
	ops = hb_scale(ops);
	warm = hb_warm(ops);
	corrupt_at = hb_env_num("BENCH_CORRUPT");
}

/* The metrics, unless something went wrong: then no numbers at all. */
static int report(struct run *s)
{
	double secs = (s->t1 - s->t0) / 1e9;
	int failed = s->bad || blk.errors || hr_broken(&hr);

	fprintf(stderr, "blkhosted: rw=%s qd=%d layout=%s: %ld requests after %ld of warm-up in %.3f s, %ld bad, %llu device errors%s\n",
		writing ? "write" : "read", qd, packed ? "packed" : "split",
		s->done - warm, warm, secs, s->bad,
		(unsigned long long)blk.errors, failed ? ": FAIL" : "");
	if (failed)
		return 1;
	hb_sort(s->lat, ops);
	hb_metric("iops", ops / secs, 0, "IOPS");
	hb_metric("p50_us", hb_pct_us(s->lat, ops, 50), 2, "us");
	hb_metric("p99_us", hb_pct_us(s->lat, ops, 99), 2, "us");
	hb_metric("warmup", warm, 0, "requests");
	return 0;
}

int main(int argc, char **argv)
{
	struct run s = { 0 };
	void *ram;
	int err;

	parse(argc, argv);
	ram = kb_ram_new(DISK_BYTES);
	s.lat = malloc(sizeof(*s.lat) * (size_t)ops);
	last_write = calloc(BLOCKS, sizeof(*last_write));
	if (hr_alloc(&hr, REGION_BASE, REGION_BYTES, RING_OFF) || !ram || !s.lat ||
	    !last_write)
		return fprintf(stderr, "out of memory\n"), 1;
	if (fill_disk(ram))
		return fprintf(stderr, "cannot fill the disk\n"), 1;
	kb_blk_init(&blk, &hr.slot, &hr.kr, &hr_dev_ops, NULL,
		    corrupt_at ? &bad_ops : &kb_ram_ops, ram, DISK_BYTES,
		    "blkhosted");
	if (bring_up())
		return 1;
	/* The backend's polling thread on CPU 1. */
	hr_start(&hr, "blkhosted");
	err = measure(&s);
	hr_stop(&hr);
	if (err)
		return 1;
	s.bad += check_disk(ram);
	err = report(&s);
	free(s.lat);
	free(last_write);
	kb_ram_free(ram);
	hr_free(&hr);
	return err;
}
