/*
 * blkrace [qd=N] [secs=N] [sectors=N] [seed=N] [racing=ok]: reads and writes of 1 to
 * 64 sectors at random over the first `sectors` sectors of the disk
 * (default 512: they overlap all the time), half each, qd (default 64)
 * in flight, for secs seconds (default 30); every sector a read returns is
 * checked against a model of the writes.  A sector here is a block of
 * the device's (vblk_block_size(): 512 bytes, or 4 KiB on a 4 KiB-sector
 * disk, whose I/O is then whole blocks of it); a request is up to 32 KiB.
 *
 * Each write stamps each sector with its id and the sector's number, and
 * fills the rest from both: a sector read back names the write it came
 * from, and a sector made of two writes (torn), of another sector or of
 * nothing we wrote fails.  The model keeps, on a clock that ticks at
 * every submission and every completion seen, when each write was
 * submitted (its id) and completed.  The device may run requests in
 * flight together in any order, so a read may return any write W of the
 * sector such that
 *   - W was submitted before the read completed, and
 *   - no write W' of the sector was submitted after W completed and
 *     completed before the read was submitted (W' surely replaced W).
 * The stamps are taken before a submission and after a completion is
 * seen, so the model only ever allows more than the device did: a failure
 * is a real one (a stale sector: a write completed before it was done,
 * or requests reordered across a completion).  For the second rule each
 * read keeps, per sector, the latest submission of a write of it that
 * had completed when the read was submitted.
 *
 * A sector is written whole, but nothing makes a read atomic against a
 * write of the same sector running at the same time: a file through the
 * page cache (QEMU's own disk, under the host's ext4) may hand the read
 * half of each.  racing=ok lets a read torn that way pass (counted in
 * torn_racing=); a sector torn with no write of it in flight during the
 * read still fails.  By default (racing=fail) any torn sector fails.
 *
 * Prints "blkrace: OK reads=R writes=W sectors_checked=N ..." or
 * "blkrace: FAIL ..." with the first bad sector.
 */
#define KSPAWN_INTERNALS
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"

#define MAX_QD 128
#define MAX_BYTES (64 * VBLK_SECTOR)	/* per request */
#define MAX_SECTORS 64			/* per request, of 512 bytes */
#define MAX_RANGE 4096			/* sectors under test */
#define MAX_WRITES (1U << 20)		/* ids; the run ends before */

struct op {
	struct vblk_req req;
	int write, busy;
	uint32_t sector, n;
	uint32_t s;			/* clock at submission; a write's id */
	uint64_t *buf;
	/* reads: per sector, the latest write submission completed before */
	uint32_t done_before[MAX_SECTORS];
	uint64_t raced;			/* bit i: sector i being written at submission */
};

static uint32_t clock_now = 1;		/* 0: the initial contents */
static uint32_t *write_end;		/* by id: clock at completion, 0 if not yet */
static uint32_t last_done_s[MAX_RANGE];	/* per sector: max s of completed writes */
static uint32_t last_write_s[MAX_RANGE];	/* per sector: latest write submitted */
static uint16_t writing[MAX_RANGE];	/* per sector: writes in flight */
static uint64_t checked, stale, torn, torn_racing;
static int racing_ok;			/* racing=ok: see below */
/* A "sector" here is a block of the device's: its bytes, its words. */
static uint32_t block = VBLK_SECTOR, words = VBLK_SECTOR / 8;

static uint64_t word(uint32_t id, uint32_t sector, unsigned int i)
{
	uint64_t z = ((uint64_t)id << 32 | sector) + i * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void stamp(uint64_t *p, uint32_t id, uint32_t sector)
{
	p[0] = (uint64_t)id << 32 | sector;
	for (unsigned int i = 1; i < words; i++)
		p[i] = word(id, sector, i);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A read's sector i: whole, ours, and not stale; else 0 with a report. */
static int check_sector(const struct op *o, uint32_t i, uint32_t end)
{
	const uint64_t *p = o->buf + (size_t)i * words;
	uint32_t sector = o->sector + i, id = p[0] >> 32, e;

	checked++;
	if ((uint32_t)p[0] != sector) {
		torn++;
		kprintf("blkrace: FAIL sector %u: not a sector we wrote (%#llx)\n",
			sector, (unsigned long long)p[0]);
		return 0;
	}
	for (unsigned int w = 1; w < words; w++) {
		if (id < clock_now && p[w] == word(id, sector, w))
			continue;
		if (racing_ok && (((o->raced >> i) & 1) ||
				  last_write_s[sector] > o->s)) {
			torn_racing++;
			return 1;
		}
		torn++;
		kprintf("blkrace: FAIL sector %u torn: word %u is not write %u's\n",
			sector, w, id);
		return 0;
	}
	/*
	 * Submitted before the read completed; and not replaced for sure
	 * before the read was submitted (a write still in flight completes
	 * at infinity, write 0, the initial contents, completed at 0).
	 */
	e = id ? (write_end[id] ? write_end[id] : UINT32_MAX) : 0;
	if (id > end || o->done_before[i] > e) {
		stale++;
		kprintf("blkrace: FAIL sector %u stale: read (submitted at %u, done at %u) got write %u (done at %u), but write %u had completed after it before the read\n",
			sector, o->s, end, id, e, o->done_before[i]);
		return 0;
	}
	return 1;
}

static int submit(struct op *o, uint64_t *x, uint32_t range)
{
	o->n = 1 + xorshift(x) % (MAX_BYTES / block);
	if (o->n > range)
		o->n = range;
	o->sector = xorshift(x) % (range - o->n + 1);
	o->write = xorshift(x) & 1;
	o->s = clock_now++;
	o->raced = 0;
	for (uint32_t i = 0; i < o->n; i++) {
		uint32_t sector = o->sector + i;

		if (o->write) {
			stamp(o->buf + (size_t)i * words, o->s, sector);
			writing[sector]++;
			last_write_s[sector] = o->s;
		} else {
			o->done_before[i] = last_done_s[sector];
			o->raced |= (uint64_t)!!writing[sector] << i;
		}
	}
	o->busy = 1;
	return vblk_submit(&o->req, o->write ? VIRTIO_BLK_T_OUT :
				    VIRTIO_BLK_T_IN,
			   (uint64_t)o->sector * (block / VBLK_SECTOR), o->buf,
			   o->n * block);
}

/* o completed (seen now): record a write, check a read. */
static int complete(struct op *o)
{
	uint32_t end = clock_now++;
	int ok = 1;

	o->busy = 0;
	if (o->write) {
		write_end[o->s] = end;
		for (uint32_t i = 0; i < o->n; i++) {
			writing[o->sector + i]--;
			if (last_done_s[o->sector + i] < o->s)
				last_done_s[o->sector + i] = o->s;
		}
		return 1;
	}
	for (uint32_t i = 0; i < o->n && ok; i++)
		ok = check_sector(o, i, end);
	return ok;
}

static int blkrace_main(int argc, char **argv)
{
	int qd = atoi(app_opt(argc, argv, "qd", "64"));
	long secs = atol(app_opt(argc, argv, "secs", "30"));
	uint32_t range = (uint32_t)atol(app_opt(argc, argv, "sectors", "512"));
	uint64_t x = 88172645463325252ULL +
		     (uint64_t)atol(app_opt(argc, argv, "seed", "1"));

	racing_ok = !strcmp(app_opt(argc, argv, "racing", "fail"), "ok");
	static struct op o[MAX_QD];
	uint64_t *init, deadline, reads = 0, writes = 0;
	int ok = 1, busy;

	if (qd < 1 || qd > MAX_QD || secs < 1 || range < 1 ||
	    range > MAX_RANGE) {
		kprintf("blkrace: bad arguments\n");
		return 2;
	}
	if (vblk_init()) {
		kprintf("blkrace: no block device\n");
		return 1;
	}
	block = vblk_block_size();
	words = block / 8;
	if (vblk_sectors() / (block / VBLK_SECTOR) < range) {
		kprintf("blkrace: no block device of %u %u-byte sectors\n",
			range, block);
		return 1;
	}
	write_end = calloc(MAX_WRITES, sizeof(*write_end));
	init = malloc((size_t)range * block);
	for (int i = 0; i < qd; i++)
		o[i].buf = malloc(MAX_BYTES);
	if (!write_end || !init || !o[qd - 1].buf) {
		kprintf("blkrace: out of memory\n");
		return 1;
	}
	/* Write 0: the initial contents, before anything runs. */
	for (uint32_t s = 0; s < range; s++)
		stamp(init + (size_t)s * words, 0, s);
	/* In requests of MAX_BYTES: the whole may be more than size_max. */
	for (uint32_t s = 0; s < range; s += MAX_BYTES / block) {
		uint32_t n = range - s < MAX_BYTES / block ?
			     range - s : MAX_BYTES / block;

		if (vblk_write((uint64_t)s * (block / VBLK_SECTOR),
			       (uint8_t *)init + (size_t)s * block, n * block)) {
			kprintf("blkrace: cannot write the initial contents\n");
			return 1;
		}
	}
	deadline = time_ns() + (uint64_t)secs * NSEC_PER_SEC;
	for (int i = 0; ok; i = (i + 1) % qd) {
		struct op *p = &o[i];

		if (p->busy) {
			if (vblk_wait(&p->req)) {
				kprintf("blkrace: FAIL I/O error\n");
				return 1;
			}
			ok = complete(p);
			reads += !p->write;
			writes += p->write;
		}
		if (time_ns() < deadline && clock_now < MAX_WRITES - 2 * MAX_QD) {
			if (submit(p, &x, range)) {
				kprintf("blkrace: FAIL submit\n");
				return 1;
			}
			continue;
		}
		/* Time is up: drain, checking what is still in flight. */
		busy = 0;
		for (int j = 0; j < qd; j++)
			busy |= o[j].busy;
		if (!busy)
			break;
	}
	if (!ok) {
		kprintf("blkrace: FAIL reads=%llu writes=%llu sectors_checked=%llu stale=%llu torn=%llu\n",
			(unsigned long long)reads, (unsigned long long)writes,
			(unsigned long long)checked, (unsigned long long)stale,
			(unsigned long long)torn);
		return 1;
	}
	kprintf("blkrace: OK reads=%llu writes=%llu sectors_checked=%llu qd=%d sectors=%u queues=%u torn_racing=%llu block=%u\n",
		(unsigned long long)reads, (unsigned long long)writes,
		(unsigned long long)checked, qd, range, vblk_queues(),
		(unsigned long long)torn_racing, block);
	return 0;
}
APP(blkrace, blkrace_main, "QD 64 overlapping reads and writes checked against a model [qd=N] [secs=N] [sectors=N] [seed=N] [racing=ok]");
