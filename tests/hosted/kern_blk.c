/*
 * Hosted: the guest kernel's virtio-blk driver (kern/virtio_blk.c, through
 * kern_hosted.c) against a hostile device played by a thread here.
 *
 *   blk-reset-before-return: the device takes a vblk_read() and, instead
 *     of answering, asks for a reset (NEEDS_RESET).  The read fails, but
 *     its request (header and status byte on the driver's stack) and its
 *     data (on the caller's) were in the ring: the driver must have reset
 *     the device, which then touches nothing of it, before it returns.
 *     A device that was not reset completes the read afterwards, as it
 *     may, writing into the dead frames: ASan (stack-use-after-return)
 *     aborts the program then, and the check fails besides.
 *
 *   blk-reset-backend: the same against the blk device (host/backend/
 *     blk.c): the request on the stack is outside the region, which the
 *     device refuses with NEEDS_RESET; the driver resets it through the
 *     slot's handshake (ABI: reset), which the device answers, before
 *     the read returns; later requests fail at once.
 *
 *   blk-4k: a device of 4 KiB blocks (VIRTIO_BLK_F_BLK_SIZE), played
 *     here on a disk in memory: reads not in whole blocks (4096 + 100
 *     or 512 bytes, a start one sector in) are refused by the driver
 *     with EINVAL, the device never asked, as are a FLUSH and a DISCARD
 *     it does not offer; three blocks go as two requests against its
 *     size_max of one block and seg_max of 2, and with vblk_limit_bytes()
 *     at one block as three (more in one: E2BIG; a part block at the
 *     end: EINVAL, nothing sent), each block where it belongs, a kick
 *     each.  The device fails (IOERR) a chain with a buffer the wrong
 *     way round or over size_max or seg_max, here and below.
 *
 *   blk-unmap-split: the same hand-served device offering DISCARD and
 *     WRITE_ZEROES with small max_discard_sectors and
 *     max_write_zeroes_sectors, as a device may (ours: 1 GiB), failing
 *     (IOERR) a range over either: vblk_discard() and
 *     vblk_write_zeroes() of more than that send it in pieces of at most
 *     the limit, each zeroed where it belongs and nothing beside it; with
 *     4 KiB blocks a limit of 20 sectors is taken as 16, whole blocks.
 *     (Before, one range of the whole count: UNSUPP, and blkcheck discard
 *     failed on any disk over 4 GiB against our device's 1 GiB.)  A
 *     last piece of one sector goes too; a range not in whole blocks
 *     is refused whole; a FLUSH offered is sent.
 *
 *   blk-status: the status byte the device writes decides, not its
 *     absence: UNSUPP fails a read, and so does a request, OK before,
 *     answered again with no status byte; a write's used length of
 *     UINT32_MAX is cut to its status byte.
 *
 * The driver is included here, to start it afresh for each case.
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_blk: N failed" last.
 */
#include "kern/virtio_blk.c"
#include "kern/virtio_blk_limits.c"
#include "kern/virtio_blk_sync.c"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"
#include "verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)
#define QSIZE 8

/* A device that completes late writes into dead frames: make them seen. */
const char *__asan_default_options(void)
{
	return "detect_stack_use_after_return=1";
}

static uint8_t *region;
static struct kspawn_device slot;
static atomic_int returned, reset_seen, reset_before_return, completed;

/* What the device calls gpa, where the driver named it from (any memory). */
static void *va(uint64_t gpa)
{
	return region + (gpa - BASE);
}

/*
 * The device: FEATURES_OK answered; the first request taken and a reset
 * asked for; a reset done when the driver asks (slot.reset), and after
 * that nothing touched.  Not reset once the driver returned: the request
 * completed, as a device that still owns it may.
 */
static void *device(void *arg)
{
	uint16_t head = 0;
	int acked = 0, taken = 0;

	(void)arg;
	while (!completed) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);

		/*
		 * virtio_start()'s reset first, then the one that counts,
		 * judged before the handshake acknowledges it: from then on
		 * the driver may fail the read and return.
		 */
		if (taken && __atomic_load_n(&slot.reset, __ATOMIC_ACQUIRE)) {
			reset_before_return = !returned;
			reset_seen = 1;
			kh_device_handshake(&slot, &acked);
			break;
		}
		if (kh_device_handshake(&slot, &acked))
			continue;
		if ((st & VIRTIO_CONFIG_S_DRIVER_OK) && !taken &&
		    __atomic_load_n(&slot.queues[0].ready, __ATOMIC_ACQUIRE)) {
			struct vring_avail *avail = va(slot.queues[0].driver_addr);

			if (__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE)) {
				head = avail->ring[0];
				taken = 1;
				__atomic_store_n(&slot.status,
						 st | VIRTIO_CONFIG_S_NEEDS_RESET,
						 __ATOMIC_RELEASE);
			}
		}
		if (taken && returned) {
			/* The chain as it was: header, data, status byte. */
			kh_blk_complete_split(&slot, va, head, 0xa5, 0);
			completed = 1;
		}
		usleep(100);
	}
	return NULL;
}

/* A caller whose buffer lives in its own frame, as vblk_read()'s do. */
static __attribute__((noinline)) int read_on_stack(void)
{
	uint8_t buf[VBLK_SECTOR];

	return vblk_read(0, buf, sizeof(buf));
}

static void hostile_device(void)
{
	pthread_t t;
	int r;

	memset(&vblk, 0, sizeof(vblk));
	memset(region, 0, REGION_BYTES);
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, QSIZE, 2048);
	pthread_create(&t, NULL, device, NULL);

	if (vblk_init_queues(1)) {
		verdict("blk-reset-before-return", NULL, 0, "no device");
		completed = 1;
		pthread_join(t, NULL);
		return;
	}
	r = read_on_stack();
	returned = 1;
	/* A device left with the request completes it now, or soon. */
	for (int ms = 0; ms < 200 && !reset_seen && !completed; ms++)
		usleep(1000);
	verdict("blk-reset-before-return", NULL,
		r && reset_seen && reset_before_return,
		"vblk_read returned %d with its request still the device's (reset %s)",
		r, reset_seen ? "after it returned" : "never asked for");
	completed = 1;
	pthread_join(t, NULL);
}

static void backend(void)
{
	struct kb_region kr = { region, BASE, REGION_BYTES };
	struct kb_blk blk;
	void *ram = kb_ram_new(1u << 20);
	int r, again;

	memset(&vblk, 0, sizeof(vblk));
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	vh_region(region, BASE, REGION_BYTES, 0);
	kb_blk_init(&blk, &slot, &kr, &no_notify_ops, NULL, &kb_ram_ops, ram,
		    1u << 20, "hosted");
	vh_poll(&blk.dev);
	kh_slot = &slot;
	if (vblk_init_queues(1)) {
		verdict("blk-reset-backend", NULL, 0, "no device");
		kb_ram_free(ram);
		return;
	}
	r = read_on_stack();
	again = read_on_stack();
	verdict("blk-reset-backend", NULL,
		r && again && vblk.drained && !blk.dev.live && !slot.reset &&
		!slot.status && blk.dev.violations == 1,
		"reads %d then %d, the driver %s, the device %s (status %#x, reset %u, %llu violations)",
		r, again, vblk.drained ? "down" : "up",
		blk.dev.live ? "still live" : "reset", slot.status, slot.reset,
		(unsigned long long)blk.dev.violations);
	vh_poll(NULL);
	kb_ram_free(ram);
}

/*
 * blk-4k's device: a disk of 4 KiB blocks in memory, served by hand from
 * the split ring, as the caller's stack is outside any region a backend
 * would take.  Each request is counted; one not in whole blocks fails.
 */
enum { BLOCK = 4096, DISK_BYTES = 64 * 1024 };
static uint8_t disk[DISK_BYTES];
/* failed: the requests it failed (IOERR): off its blocks, or a bad chain */
static atomic_int requests, failed, too_long;
static uint32_t block = BLOCK;	/* the served device's, in bytes */
/*
 * blk-status: the status byte the next answers write (-2: the device's
 * own, -1: none at all) and the used length they claim (0: the truth).
 */
static atomic_int next_status = -2;
static atomic_uint next_claim;

/*
 * A DISCARD or WRITE_ZEROES: its one range checked against the config's
 * limit (IOERR over it, as our device fails it), then zeroed.
 */
static uint8_t serve_range(const struct virtio_blk_outhdr *h,
			   const struct vring_desc *d)
{
	const struct virtio_blk_discard_write_zeroes *rg = va(d->addr);
	size_t field = h->type == VIRTIO_BLK_T_DISCARD ?
		       offsetof(struct virtio_blk_config, max_discard_sectors) :
		       offsetof(struct virtio_blk_config,
				max_write_zeroes_sectors);
	uint64_t at = rg->sector * VBLK_SECTOR;
	uint64_t bytes = (uint64_t)rg->num_sectors * VBLK_SECTOR;
	uint32_t most;

	/* 0: no limit, as Linux's driver reads it */
	memcpy(&most, slot.config + field, sizeof(most));
	if (d->len != sizeof(*rg) || (most && rg->num_sectors > most)) {
		atomic_fetch_add(&too_long, 1);
		return VIRTIO_BLK_S_IOERR;
	}
	if (at % block || bytes % block || at + bytes > DISK_BYTES) {
		atomic_fetch_add(&failed, 1);
		return VIRTIO_BLK_S_IOERR;
	}
	memset(disk + at, 0, bytes);
	return VIRTIO_BLK_S_OK;
}

/* The config's limit at off where the slot offers bit; else none. */
static uint32_t limit_of(unsigned int bit, size_t off)
{
	uint32_t most = UINT32_MAX;

	if (slot.device_features & (1ULL << bit))
		memcpy(&most, slot.config + off, sizeof(most));
	return most;
}

/*
 * The chain as a device checks it: the header, a write's data and a
 * range its to read, a read's data and the status byte its to write;
 * each data segment within size_max, at most seg_max of them.
 */
static int chain_ok(const struct virtio_blk_outhdr *h, uint16_t head)
{
	struct vring_desc *desc = va(slot.queues[0].desc_addr);
	uint32_t size_max = limit_of(VIRTIO_BLK_F_SIZE_MAX,
				     offsetof(struct virtio_blk_config,
					      size_max));
	uint32_t seg_max = limit_of(VIRTIO_BLK_F_SEG_MAX,
				    offsetof(struct virtio_blk_config,
					     seg_max));
	int in = h->type == VIRTIO_BLK_T_IN;
	uint16_t i = desc[head].next;

	if (desc[head].flags & VRING_DESC_F_WRITE)
		return 0;
	for (unsigned int n = 1; desc[i].flags & VRING_DESC_F_NEXT;
	     n++, i = desc[i].next)
		if (n > seg_max || n >= QSIZE || desc[i].len > size_max ||
		    !!(desc[i].flags & VRING_DESC_F_WRITE) != in)
			return 0;
	return !!(desc[i].flags & VRING_DESC_F_WRITE);
}

static void serve_4k(uint16_t head)
{
	struct vring_desc *desc = va(slot.queues[0].desc_addr);
	struct vring_used *used = va(slot.queues[0].device_addr);
	const struct virtio_blk_outhdr *h = va(desc[head].addr);
	uint64_t at = h->sector * VBLK_SECTOR, bytes = 0;
	uint16_t i = desc[head].next, idx = used->idx;
	uint32_t written = 1, claim = atomic_load(&next_claim);
	uint8_t status = VIRTIO_BLK_S_OK;
	int say = atomic_load(&next_status);

	if (!chain_ok(h, head)) {
		status = VIRTIO_BLK_S_IOERR;
		atomic_fetch_add(&failed, 1);
	} else if (h->type == VIRTIO_BLK_T_DISCARD ||
		   h->type == VIRTIO_BLK_T_WRITE_ZEROES) {
		status = serve_range(h, &desc[i]);
	} else {
		for (; desc[i].flags & VRING_DESC_F_NEXT; i = desc[i].next)
			bytes += desc[i].len;
		if (at % block || bytes % block || at + bytes > DISK_BYTES) {
			status = VIRTIO_BLK_S_IOERR;
			atomic_fetch_add(&failed, 1);
		}
	}
	for (i = desc[head].next; status == VIRTIO_BLK_S_OK &&
	     h->type <= VIRTIO_BLK_T_OUT &&
	     (desc[i].flags & VRING_DESC_F_NEXT); i = desc[i].next) {
		if (h->type == VIRTIO_BLK_T_IN) {
			memcpy(va(desc[i].addr), disk + at, desc[i].len);
			written += desc[i].len;
		} else {
			memcpy(disk + at, va(desc[i].addr), desc[i].len);
		}
		at += desc[i].len;
	}
	for (i = head; desc[i].flags & VRING_DESC_F_NEXT; i = desc[i].next)
		;
	if (say != -1)
		*(uint8_t *)va(desc[i].addr) = say == -2 ? status : (uint8_t)say;
	used->ring[idx % QSIZE].id = head;
	used->ring[idx % QSIZE].len = claim ? claim : written;
	atomic_fetch_add(&requests, 1);
	__atomic_store_n(&used->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static void *device_4k(void *arg)
{
	uint16_t seen = 0;
	int acked = 0;

	(void)arg;
	while (!completed) {
		uint8_t st = __atomic_load_n(&slot.status, __ATOMIC_ACQUIRE);
		struct vring_avail *avail;

		if (kh_device_handshake(&slot, &acked) ||
		    !(st & VIRTIO_CONFIG_S_DRIVER_OK)) {
			usleep(50);
			continue;
		}
		avail = va(slot.queues[0].driver_addr);
		while (seen != __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE))
			serve_4k(avail->ring[seen++ % QSIZE]);
		usleep(50);
	}
	return NULL;
}

/* Blocks [0, N) of out each where a write of them at sector 8 put them. */
static int where_written(const uint8_t *out, int n)
{
	int pieces = 0;

	for (int i = 0; i < n; i++)
		pieces += !memcmp(disk + (8 + i * 8) * VBLK_SECTOR,
				  out + i * BLOCK, BLOCK);
	return pieces;
}

/*
 * 12 KiB against a size_max of one block and a seg_max of 2: two
 * requests (two segments, one), then with the driver's limit at one
 * block three; what is not whole blocks, over the limit or not offered
 * (FLUSH, DISCARD), unsent.  A kick for each request (no suppression
 * offered): the device here polls, one that waits for kicks would not.
 */
static void blk_4k(void)
{
	enum { N = 3 };
	uint8_t out[N * BLOCK], in[N * BLOCK];
	int odd_len, short_len, odd_start, flush, discard, w, r, w1, r1;
	int pieces, pieces1, refused, first, big, odd_tail;
	uint32_t bytes = BLOCK, segs = 2;
	struct vblk_req req;
	pthread_t t;

	memset(&vblk, 0, sizeof(vblk));
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	memset(disk, 0, sizeof(disk));
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, QSIZE, DISK_BYTES / VBLK_SECTOR);
	slot.device_features |= (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
				(1ULL << VIRTIO_BLK_F_SIZE_MAX) |
				(1ULL << VIRTIO_BLK_F_SEG_MAX);
	memcpy(slot.config + offsetof(struct virtio_blk_config, blk_size),
	       &bytes, sizeof(bytes));
	memcpy(slot.config + offsetof(struct virtio_blk_config, size_max),
	       &bytes, sizeof(bytes));
	memcpy(slot.config + offsetof(struct virtio_blk_config, seg_max),
	       &segs, sizeof(segs));
	block = BLOCK;
	completed = 0;
	atomic_store(&requests, 0);
	atomic_store(&failed, 0);
	pthread_create(&t, NULL, device_4k, NULL);
	if (vblk_init_queues(1) || vblk_block_size() != BLOCK) {
		verdict("blk-4k", NULL, 0, "no device, or not 4 KiB blocks");
		goto out;
	}
	for (int i = 0; i < N * BLOCK; i++)
		out[i] = (uint8_t)(i * 7 + i / BLOCK);
	odd_len = vblk_read(0, in, BLOCK + 100);
	short_len = vblk_read(0, in, VBLK_SECTOR);
	odd_start = vblk_read(1, in, BLOCK);
	flush = vblk_flush();
	discard = vblk_discard(8, 8);
	refused = atomic_load(&requests);
	w1 = vblk_write(8, out, N * BLOCK);
	r1 = vblk_read(8, in, N * BLOCK) || memcmp(in, out, N * BLOCK);
	pieces1 = where_written(out, N);
	first = atomic_load(&requests);
	memset(disk, 0, sizeof(disk));
	vblk_limit_bytes(BLOCK);
	big = vblk_submit(&req, VIRTIO_BLK_T_OUT, 8, out, 2 * BLOCK);
	odd_tail = vblk_write(8, out, 2 * BLOCK + 100);
	w = vblk_write(8, out, N * BLOCK);
	r = vblk_read(8, in, N * BLOCK) || memcmp(in, out, N * BLOCK);
	pieces = where_written(out, N);
	verdict("blk-4k", NULL,
		odd_len == -EINVAL && short_len == -EINVAL &&
		odd_start == -EINVAL && !flush && discard == -EOPNOTSUPP &&
		!refused && !w1 && !r1 && pieces1 == N && first == 4 &&
		big == -E2BIG && odd_tail == -EINVAL &&
		!w && !r && pieces == N &&
		atomic_load(&requests) == first + 2 * N &&
		!atomic_load(&failed) &&
		slot.queues[0].notify >= (uint32_t)atomic_load(&requests),
		"refused %d, %d, %d (want %d each), flush %d (want 0), discard %d (want %d) after %d requests (want 0); "
		"as size_max and seg_max allow: write %d, read %d (want 0, 0), %d of %d blocks where written, %d requests (want 4); "
		"at one block: %d and %d (want %d, %d), write %d, read %d (want 0, 0), %d of %d blocks where written; "
		"%d requests in all (want %d), %d failed (want 0), %u kicks",
		odd_len, short_len, odd_start, -EINVAL, flush, discard,
		-EOPNOTSUPP, refused, w1, r1, pieces1, N, first, big, odd_tail,
		-E2BIG, -EINVAL, w, r, pieces, N, atomic_load(&requests),
		first + 2 * N, atomic_load(&failed), slot.queues[0].notify);
out:
	completed = 1;
	pthread_join(t, NULL);
}

/*
 * The served device with blocks of bs bytes, offering DISCARD and
 * WRITE_ZEROES with these limits (sectors), every byte of its disk 0xaa;
 * 0 once the driver is up.
 */
static int ranges_up(uint32_t bs, uint32_t max_discard, uint32_t max_zeroes,
		     pthread_t *t)
{
	uint8_t *cfg = slot.config;

	memset(&vblk, 0, sizeof(vblk));
	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	memset(disk, 0xaa, sizeof(disk));
	vh_region(region, BASE, REGION_BYTES, 0);
	kh_blk_slot(&slot, QSIZE, DISK_BYTES / VBLK_SECTOR);
	slot.device_features |= (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
				(1ULL << VIRTIO_BLK_F_DISCARD) |
				(1ULL << VIRTIO_BLK_F_WRITE_ZEROES) |
				(1ULL << VIRTIO_BLK_F_FLUSH);
	memcpy(cfg + offsetof(struct virtio_blk_config, blk_size), &bs,
	       sizeof(bs));
	memcpy(cfg + offsetof(struct virtio_blk_config, max_discard_sectors),
	       &max_discard, sizeof(max_discard));
	memcpy(cfg + offsetof(struct virtio_blk_config,
			      max_write_zeroes_sectors),
	       &max_zeroes, sizeof(max_zeroes));
	block = bs;
	completed = 0;
	atomic_store(&requests, 0);
	atomic_store(&failed, 0);
	atomic_store(&too_long, 0);
	pthread_create(t, NULL, device_4k, NULL);
	return vblk_init_queues(1);
}

/* Bytes [from, to) of the disk all 0 (zero) or all 0xaa (not)? */
static int disk_is(uint64_t from, uint64_t to, int zero)
{
	for (uint64_t i = from; i < to; i++)
		if (disk[i] != (zero ? 0 : 0xaa))
			return 0;
	return 1;
}

static void unmap_split(void)
{
	enum { S = VBLK_SECTOR, SECTORS = DISK_BYTES / S };
	int d, z, where, reqs, bad, over, odd, f;
	pthread_t t;

	/* 512-byte blocks: discard 16 at a time, write-zeroes 24. */
	if (ranges_up(S, 16, 24, &t)) {
		verdict("blk-unmap-split", NULL, 0, "no device");
		goto out;
	}
	d = vblk_discard(8, 17) ||		/* 16 + the last 1 */
	    vblk_discard(8, 100);		/* 7 pieces */
	z = vblk_write_zeroes(108, SECTORS - 108);	/* 20: 1 piece */
	f = vblk_flush();			/* offered: 1 */
	where = disk_is(0, 8 * S, 0) && disk_is(8 * S, DISK_BYTES, 1);
	reqs = atomic_load(&requests);
	over = atomic_load(&too_long);
	bad = atomic_load(&failed);
	completed = 1;
	pthread_join(t, NULL);
	verdict("blk-unmap-split", "512",
		!d && !z && !f && where && reqs == 11 && !over && !bad,
		"discard %d, write-zeroes %d, flush %d (want 0, 0, 0), zeroed %s; %d requests (want 11), %d over the limit, %d failed (want 0, 0)",
		d, z, f, where ? "exactly" : "wrongly", reqs, over, bad);

	/* 4 KiB blocks, a limit of 20 sectors: 16 a time, whole blocks. */
	if (ranges_up(BLOCK, 20, 0, &t)) {
		verdict("blk-unmap-split", NULL, 0, "no device");
		goto out;
	}
	/* Not whole blocks: refused whole, no piece of it sent. */
	odd = vblk_discard(8, 20);
	d = vblk_discard(8, 56);		/* 16 + 16 + 16 + 8 */
	z = vblk_write_zeroes(64, 64);		/* no limit: 1 */
	where = disk_is(0, 8 * S, 0) && disk_is(8 * S, DISK_BYTES, 1);
	reqs = atomic_load(&requests);
	over = atomic_load(&too_long);
	bad = atomic_load(&failed);
	verdict("blk-unmap-split", "4k",
		odd == -EINVAL && !d && !z && where && reqs == 5 && !over &&
		!bad,
		"discard of 20 sectors %d (want %d), discard %d, write-zeroes %d (want 0, 0), zeroed %s; %d requests (want 5), %d over the limit, %d failed (want 0, 0)",
		odd, -EINVAL, d, z, where ? "exactly" : "wrongly", reqs, over,
		bad);
out:
	completed = 1;
	pthread_join(t, NULL);
}

/*
 * What the device says, not what it wrote into the request: a status
 * not OK (UNSUPP) fails a read; a request reused after an OK, answered
 * with no status byte written, fails too (the driver's 0xff before each
 * send, not the last answer's OK); a write's used length claiming
 * UINT32_MAX is cut to its status byte.
 */
static void blk_status(void)
{
	uint8_t buf[BLOCK];
	struct vblk_req r;
	int unsupp, ok, silent, wrote;
	uint32_t written;
	pthread_t t;

	if (ranges_up(BLOCK, 0, 0, &t)) {
		verdict("blk-status", NULL, 0, "no device");
		goto out;
	}
	atomic_store(&next_status, VIRTIO_BLK_S_UNSUPP);
	unsupp = vblk_read(0, buf, BLOCK);
	atomic_store(&next_status, -2);
	ok = vblk_submit(&r, VIRTIO_BLK_T_IN, 0, buf, BLOCK) ?: vblk_wait(&r);
	atomic_store(&next_status, -1);
	silent = vblk_submit(&r, VIRTIO_BLK_T_IN, 0, buf, BLOCK) ?:
		 vblk_wait(&r);
	atomic_store(&next_status, -2);
	atomic_store(&next_claim, UINT32_MAX);
	wrote = vblk_submit(&r, VIRTIO_BLK_T_OUT, 0, buf, BLOCK) ?:
		vblk_wait(&r);
	written = r.written;
	atomic_store(&next_claim, 0);
	verdict("blk-status", NULL,
		unsupp == -1 && !ok && silent == -1 && !wrote && written == 1,
		"read answered UNSUPP %d (want -1), read %d (want 0), then answered with no status %d (want -1), write %d (want 0) with written %u for a claim of %u (want 1)",
		unsupp, ok, silent, wrote, written, UINT32_MAX);
out:
	completed = 1;
	pthread_join(t, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	region = aligned_alloc(4096, REGION_BYTES);
	hostile_device();
	backend();
	blk_4k();
	unmap_split();
	blk_status();
	free(region);
	printf("kern_blk: %d failed\n", failures);
	return failures != 0;
}
