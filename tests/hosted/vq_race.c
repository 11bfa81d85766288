/*
 * Hosted: descriptors that change while the device walks them.  A blk
 * device (host/backend/) polls on one thread; a "driver" thread keeps
 * making chains available, some of them through indirect tables, with
 * blk headers in their first buffer; a third thread rewrites descriptor
 * fields at random the whole time (address, length, flags, next or id,
 * in the ring and in the indirect tables), the avail ring's entries and
 * the blk headers.
 * When the device gives up (NEEDS_RESET) its thread resets it and
 * negotiates again.  SECONDS (default 10) per layout, split then packed,
 * under ASan+UBSan.
 *
 * The region is mmap'd between PROT_NONE guard pages, with a canary page
 * on each side that is mapped but not part of the region the device is
 * given: an access to a guard page faults (ASan reports the SEGV), a write
 * just outside the region spoils a canary, checked every 100 ms and at
 * the end.  A watchdog fails the run if the device thread makes no
 * progress for 20 s: a hang fails instead of hanging (the suite adds a
 * timeout of its own).
 *
 *   vq_race [SECONDS]
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"
#include "tests/hosted/quiet_stderr.h"

#define PAGE 4096
#define BASE 0x40000000ULL
#define REGION_BYTES (1u << 20)
#define DISK_BYTES (256u << 10)
#define QS 64
#define RING_OFF 0x0		/* split: desc, avail, used; packed: ring, events */
#define AVAIL_OFF 0x400
#define USED_OFF 0x1000
#define DEV_EVENT_OFF 0x800
#define HDR_OFF 0x3000		/* blk headers, one per ring slot */
#define IND_OFF 0x4000		/* indirect tables */
#define NTABLES 16
#define TABLE_LEN 8
#define DATA_OFF 0x8000
#define CANARY 0xa5
#define STUCK_SECONDS 20	/* generous: the machine may be busy */

static uint8_t *map, *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_blk blk;
static void *ram;
static int packed;
static atomic_int stop;
static atomic_uint gen;			/* bumped by every device reset */
static atomic_ulong polls, resets, done_threads;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static struct vring_desc *desc(void)
{
	return (struct vring_desc *)(region + RING_OFF);
}

static struct vring_packed_desc *pring(void)
{
	return (struct vring_packed_desc *)(region + RING_OFF);
}

static struct vring_avail *avail(void)
{
	return (struct vring_avail *)(region + AVAIL_OFF);
}

static struct vring_used *used(void)
{
	return (struct vring_used *)(region + USED_OFF);
}

static struct vring_desc *table(unsigned int t)
{
	return (struct vring_desc *)(region + IND_OFF) + t * TABLE_LEN;
}

#define SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

/* Mostly good buffers, some at the edges, some anywhere at all. */
static void wild_buffer(uint64_t *s, uint64_t *addr, uint32_t *len)
{
	uint64_t r = rnd(s);

	switch (r % 16) {
	case 0:	/* touching the end of the region */
		*len = 1 + (uint32_t)(rnd(s) % 256);
		*addr = BASE + REGION_BYTES - rnd(s) % 300;
		return;
	case 1:	/* around the start */
		*addr = BASE - 64 + rnd(s) % 128;
		*len = 1 + (uint32_t)(rnd(s) % 256);
		return;
	case 2:	/* anything */
		*addr = rnd(s);
		*len = (uint32_t)rnd(s);
		return;
	case 3:	/* the rings and tables themselves */
		*addr = BASE + rnd(s) % DATA_OFF;
		*len = 1 + (uint32_t)(rnd(s) % 512);
		return;
	default:
		*addr = BASE + DATA_OFF + rnd(s) % (REGION_BYTES - DATA_OFF);
		*len = 1 + (uint32_t)(rnd(s) % 8192);
		return;
	}
}

/* One random field of one descriptor, split or packed layout. */
static void scribble_desc(uint64_t *s, void *d, int packed_layout)
{
	uint64_t addr;
	uint32_t len;

	wild_buffer(s, &addr, &len);
	switch (rnd(s) % 4) {
	case 0:
		SET(((struct vring_desc *)d)->addr, addr);
		break;
	case 1:
		SET(((struct vring_desc *)d)->len, len);
		break;
	case 2:
		if (packed_layout)
			SET(((struct vring_packed_desc *)d)->flags, (uint16_t)rnd(s));
		else
			SET(((struct vring_desc *)d)->flags,
			    (uint16_t)(rnd(s) % 8));
		break;
	default:
		if (packed_layout)
			SET(((struct vring_packed_desc *)d)->id, (uint16_t)(rnd(s) % (2 * QS)));
		else
			SET(((struct vring_desc *)d)->next,
			    (uint16_t)(rnd(s) % (QS + 2)));
		break;
	}
}

static void *mutator(void *arg)
{
	uint64_t s = 0x2545f4914f6cdd1dULL;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t r = rnd(&s);

		if (r % 8 < 4) {
			scribble_desc(&s, packed ? (void *)&pring()[r / 8 % QS] :
					  (void *)&desc()[r / 8 % QS], packed);
		} else if (r % 8 < 6) {
			scribble_desc(&s, &table(r / 8 % NTABLES)[r / 128 % TABLE_LEN],
				      0);
		} else if (r % 8 == 6 && !packed) {
			SET(avail()->ring[r / 8 % QS], (uint16_t)(r / 1024 % (QS + 2)));
		} else if (r % 1024 == 7) {
			/* Rarely: the index or event flags themselves. */
			if (packed)
				SET(((struct vring_packed_desc_event *)
				     avail())->flags, (uint16_t)(r >> 20));
			else
				SET(avail()->idx, (uint16_t)(avail()->idx + r % 3));
		} else {
			/* A blk header: the device must copy it once. */
			uint32_t *h = (uint32_t *)(region + HDR_OFF) +
				      r / 8 % (QS * 4);

			SET(*h, (uint32_t)(r >> 32));
		}
	}
	atomic_fetch_add(&done_threads, 1);
	return NULL;
}

/* A blk header for the chain about to start at slot i. */
static uint64_t header(uint64_t *s, unsigned int i, uint32_t type)
{
	struct virtio_blk_outhdr *h =
		(void *)(region + HDR_OFF + (size_t)i * sizeof(*h));

	SET(h->type, type);
	SET(h->sector, rnd(s) % (DISK_BYTES / 512 + 8));
	return BASE + HDR_OFF + (uint64_t)i * sizeof(*h);
}

/* Whole sectors somewhere in the data area, now and then against its end. */
static void data_buffer(uint64_t *s, uint64_t *addr, uint32_t *len)
{
	*len = 512 * (1 + (uint32_t)(rnd(s) % 8));
	if (rnd(s) % 8 == 0)
		*addr = BASE + REGION_BYTES - *len;
	else
		*addr = BASE + DATA_OFF + rnd(s) % (REGION_BYTES - DATA_OFF -
						    *len);
}

/*
 * Up to 4 buffers for the chain starting at slot_i; returns how many.
 * Mostly a well-formed blk request (header, whole sectors readable for a
 * write or writable for a read, the status byte), for the mutator to
 * spoil while the device serves it; otherwise garbage from the start.
 */
static unsigned int chain_bufs(uint64_t *s, unsigned int slot_i,
			       uint64_t *addr, uint32_t *len, uint16_t *flags)
{
	static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, 77 };
	uint32_t type = types[rnd(s) % 9];
	uint16_t data_flags = type == VIRTIO_BLK_T_OUT ||
			      type == VIRTIO_BLK_T_DISCARD ||
			      type == VIRTIO_BLK_T_WRITE_ZEROES ? 0 :
			      VRING_DESC_F_WRITE;
	unsigned int n = 1;

	if (rnd(s) % 4 == 0) {
		n = 1 + (unsigned int)(rnd(s) % 4);
		for (unsigned int k = 0; k < n; k++) {
			wild_buffer(s, &addr[k], &len[k]);
			flags[k] = (uint16_t)(rnd(s) % 2 ? VRING_DESC_F_WRITE : 0);
		}
	} else {
		addr[0] = header(s, slot_i, type);
		len[0] = sizeof(struct virtio_blk_outhdr);
		flags[0] = 0;
		for (unsigned int k = rnd(s) % 3; k; k--, n++) {
			data_buffer(s, &addr[n], &len[n]);
			flags[n] = data_flags;
		}
		data_buffer(s, &addr[n], &len[n]);
		addr[n] += len[n] - 1;
		len[n] = 1;
		flags[n++] = VRING_DESC_F_WRITE;
	}
	for (unsigned int k = 0; k + 1 < n; k++)
		flags[k] |= VRING_DESC_F_NEXT;
	return n;
}

/* Split: chains at random heads, some through an indirect table. */
static void offer_split(uint64_t *s, uint16_t *idx)
{
	uint16_t head = (uint16_t)(rnd(s) % QS), i = head;
	uint64_t addr[4];
	uint32_t len[4];
	uint16_t flags[4];
	unsigned int n = chain_bufs(s, head, addr, len, flags);

	if (rnd(s) % 4 == 0) {
		unsigned int t = (unsigned int)(rnd(s) % NTABLES);

		for (unsigned int k = 0; k < n; k++) {
			SET(table(t)[k].addr, addr[k]);
			SET(table(t)[k].len, len[k]);
			SET(table(t)[k].flags, flags[k]);
			SET(table(t)[k].next, (uint16_t)(k + 1));
		}
		SET(desc()[head].addr, BASE + IND_OFF +
			(uint64_t)t * TABLE_LEN * sizeof(struct vring_desc));
		SET(desc()[head].len, (uint32_t)(n * sizeof(struct vring_desc)));
		SET(desc()[head].flags, (uint16_t)VRING_DESC_F_INDIRECT);
	} else {
		for (unsigned int k = 0; k < n; k++) {
			uint16_t next = (uint16_t)((i + 1) % QS);

			SET(desc()[i].addr, addr[k]);
			SET(desc()[i].len, len[k]);
			SET(desc()[i].flags, flags[k]);
			SET(desc()[i].next, next);
			i = next;
		}
	}
	SET(avail()->ring[*idx % QS], head);
	++*idx;
	__atomic_store_n(&avail()->idx, *idx, __ATOMIC_RELEASE);
}

/* Packed: a chain at pos, the first descriptor's flags written last. */
static void offer_packed(uint64_t *s, uint16_t *pos, int *wrap)
{
	uint16_t first = *pos, first_flags = 0, id = (uint16_t)(rnd(s) % QS);
	uint16_t av = *wrap ? 1U << VRING_PACKED_DESC_F_AVAIL :
			      1U << VRING_PACKED_DESC_F_USED;
	uint64_t addr[4];
	uint32_t len[4];
	uint16_t flags[4];
	unsigned int n = chain_bufs(s, *pos, addr, len, flags);

	if (rnd(s) % 4 == 0) {
		unsigned int t = (unsigned int)(rnd(s) % NTABLES);
		struct vring_packed_desc *e = (struct vring_packed_desc *)table(t);

		for (unsigned int k = 0; k < n; k++) {
			SET(e[k].addr, addr[k]);
			SET(e[k].len, len[k]);
			SET(e[k].flags, (uint16_t)(flags[k] &
						   ~VRING_DESC_F_NEXT));
		}
		addr[0] = BASE + IND_OFF +
			  (uint64_t)t * TABLE_LEN * sizeof(struct vring_packed_desc);
		len[0] = (uint32_t)(n * sizeof(struct vring_packed_desc));
		flags[0] = VRING_DESC_F_INDIRECT;
		n = 1;
	}
	for (unsigned int k = 0; k < n; k++) {
		struct vring_packed_desc *d = &pring()[*pos];

		SET(d->addr, addr[k]);
		SET(d->len, len[k]);
		SET(d->id, id);
		if (k)
			SET(d->flags, (uint16_t)(flags[k] | av));
		else
			first_flags = (uint16_t)(flags[k] | av);
		if (++*pos == QS) {
			*pos = 0;
			*wrap = !*wrap;
			av = *wrap ? 1U << VRING_PACKED_DESC_F_AVAIL :
				     1U << VRING_PACKED_DESC_F_USED;
		}
	}
	__atomic_store_n(&pring()[first].flags, first_flags, __ATOMIC_RELEASE);
}

static void *driver(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	unsigned int seen = atomic_load(&gen);
	uint16_t idx = 0, pos = 0;
	int wrap = 1, waits = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (atomic_load(&gen) != seen) {	/* the device was reset */
			seen = atomic_load(&gen);
			idx = 0;
			pos = 0;
			wrap = 1;
		}
		if (packed) {
			offer_packed(&s, &pos, &wrap);
			/* Let the device keep up now and then; lapping it is fine too. */
			if (rnd(&s) % 4 == 0)
				sched_yield();
		} else if ((uint16_t)(idx - __atomic_load_n(&used()->idx,
				__ATOMIC_ACQUIRE)) < QS || ++waits > 100) {
			/*
			 * Room in the ring, or the used index (which the
			 * device may have been told to overwrite with data)
			 * has not moved for a while: go on regardless.
			 */
			offer_split(&s, &idx);
			waits = 0;
		} else {
			sched_yield();
		}
	}
	atomic_fetch_add(&done_threads, 1);
	return NULL;
}

static void notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;
}

static const struct kb_device_ops ops = { .notify = notify };

/*
 * The driver's handshake (the guest's own, lib/virtio.c), done by the
 * device thread between polls, with the rings the mutator writes.
 */
static void negotiate(void)
{
	uint64_t layout = 1ULL << VIRTIO_F_RING_PACKED;
	static struct virtio_dev vd;

	/* What the guest would do before a fresh start: empty rings. */
	memset(region + RING_OFF, 0, HDR_OFF - RING_OFF);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&blk.dev);
	virtio_start(&vd, packed ? ~0ULL : ~layout);
	vd.ops->queue_setup(&vd, 0, QS, BASE + RING_OFF, BASE + AVAIL_OFF,
			    BASE + (packed ? DEV_EVENT_OFF : USED_OFF), 0);
	virtio_ready(&vd);
	atomic_fetch_add(&gen, 1);
	kb_device_poll(&blk.dev, 1);
}

static void *device(void *arg)
{
	(void)arg;
	negotiate();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (!kb_device_poll(&blk.dev, 32))
			sched_yield();	/* as the module backs off; 2 cores */
		atomic_fetch_add(&polls, 1);
		if (slot.status & VIRTIO_CONFIG_S_NEEDS_RESET || !blk.dev.live) {
			atomic_fetch_add(&resets, 1);
			slot.reset = 1;
			kb_device_poll(&blk.dev, 1);
			negotiate();
		}
	}
	atomic_fetch_add(&done_threads, 1);
	return NULL;
}

static int canaries_ok(void)
{
	for (size_t i = 0; i < PAGE; i++)
		if (map[PAGE + i] != CANARY ||
		    region[REGION_BYTES + i] != CANARY)
			return 0;
	return 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Wait for the threads to count to want, failing if the device stalls. */
static int watch(double until, unsigned long want, const char *name)
{
	unsigned long last = atomic_load(&polls);
	double moved = now();

	while (now() < until || atomic_load(&done_threads) < want) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };

		nanosleep(&tick, NULL);
		if (!canaries_ok()) {
			printf("FAIL %s: a byte outside the region was written\n",
			       name);
			return -1;
		}
		if (atomic_load(&polls) != last) {
			last = atomic_load(&polls);
			moved = now();
		} else if (now() - moved > STUCK_SECONDS) {
			printf("FAIL %s: the device thread made no progress for %d s (hang)\n",
			       name, STUCK_SECONDS);
			return -1;
		}
		if (now() >= until)
			atomic_store(&stop, 1);
	}
	return 0;
}

static int race(const char *name, double seconds)
{
	pthread_t th[3];

	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	atomic_store(&stop, 0);
	atomic_store(&polls, 0);
	atomic_store(&resets, 0);
	atomic_store(&done_threads, 0);
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "race");
	pthread_create(&th[0], NULL, device, NULL);
	pthread_create(&th[1], NULL, driver, NULL);
	pthread_create(&th[2], NULL, mutator, NULL);
	if (watch(now() + seconds, 3, name))
		return -1;	/* a thread may be stuck: do not join */
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	if (!blk.requests) {
		printf("FAIL %s: the device served no request at all\n", name);
		return -1;
	}
	printf("ok %s: %lu polls, %llu requests, %llu violations, %lu resets in %.0f s; no byte written outside the region\n",
	       name, atomic_load(&polls), (unsigned long long)blk.requests,
	       (unsigned long long)blk.dev.violations, atomic_load(&resets),
	       seconds);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	size_t bytes = 2 * PAGE + REGION_BYTES + 2 * PAGE;
	int failed = 0, saved;

	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return perror("mmap"), 1;
	region = map + 2 * PAGE;
	memset(map + PAGE, CANARY, PAGE);
	memset(region + REGION_BYTES, CANARY, PAGE);
	mprotect(map, PAGE, PROT_NONE);
	mprotect(region + REGION_BYTES + PAGE, PAGE, PROT_NONE);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	ram = kb_ram_new(DISK_BYTES);
	/* Each violation logs a line: thousands a second. */
	saved = stderr_quiet();
	for (packed = 0; packed < 2 && !failed; packed++)
		failed += race(packed ? "race-packed" : "race-split",
			       seconds) != 0;
	stderr_restore(saved);
	printf("vq_race: %d failed\n", failed);
	fflush(stdout);
	if (failed)
		_exit(1);	/* threads may be stuck in the device */
	kb_ram_free(ram);
	munmap(map, bytes);
	return 0;
}
