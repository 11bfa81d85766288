/*
 * Hosted: the portable virtqueue driver (guest/lib/virtq.c) and the blk
 * backend (host/backend/) on two threads over one malloc'd "region", as a
 * guest and kspawn.ko would be.  N random requests (reads, writes, flushes,
 * discards, write-zeroes, out-of-range ones) with up to QD in flight; every
 * status and every byte read is checked against a reference model of the
 * disk.  Built with ASan+UBSan (and TSan by the suite).
 *
 *   blk_model [N] [split|packed] [indirect]
 *
 * With "indirect" the driver negotiates VIRTIO_RING_F_INDIRECT_DESC and
 * every request of more than one buffer goes in an indirect table;
 * without, chains are laid in the ring itself.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/blk.h"
#include "hosted/virtio_hosted.h"

#define REGION_BYTES (8u << 20)
#define REGION_BASE 0x40000000ULL
#define DISK_BYTES (1u << 20)
#define QSIZE 128		/* QD chains of up to 3 descriptors */
#ifndef QD
#define QD 32
#endif
#define MAX_IO 8192

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_blk blk;
static atomic_int stop;
static uint8_t model[DISK_BYTES];

struct req {
	uint32_t type, reserved;
	uint64_t sector;
	uint8_t status;
	uint8_t pad[7];
	uint64_t range[2];	/* discard / write-zeroes segment */
	uint8_t *buf;
	uint8_t *expect;
	uint32_t len;
	uint8_t expect_status;
};

static void notify(void *ctx, uint32_t vector)
{
	(void)ctx;
	(void)vector;
}

static const struct kb_device_ops ops = { .notify = notify };

static void *device_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		kb_device_poll(&blk.dev, 64);
	return NULL;
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/*
 * Choose a request and apply it to the model.  The device serves requests
 * in the order they were made available, so the model at submission time
 * is what a read must return, whatever else is in flight.
 */
static void prepare(struct req *r)
{
	uint32_t kind = rnd() % 10, nsec = 1 + rnd() % (MAX_IO / 512);
	uint64_t last = DISK_BYTES / 512;

	r->len = nsec * 512;
	r->sector = rnd() % last;
	if (kind == 9)		/* straddles or passes the end */
		r->sector = last - nsec / 2 + rnd() % 4;
	r->expect_status = r->sector * 512 + r->len > DISK_BYTES;
	if (kind < 4 || kind == 9) {
		r->type = 1;	/* OUT */
		for (uint32_t i = 0; i < r->len; i += 8)
			*(uint64_t *)(r->buf + i) = rnd();
		if (!r->expect_status)
			memcpy(model + r->sector * 512, r->buf, r->len);
	} else if (kind < 7) {
		r->type = 0;	/* IN */
		if (!r->expect_status)
			memcpy(r->expect, model + r->sector * 512, r->len);
	} else if (kind == 7 && (rnd() & 1)) {
		r->type = 4;	/* FLUSH */
		r->expect_status = 0;
	} else if (kind == 7) {
		r->type = 8;	/* GET_ID: the serial, NUL-padded to 20 bytes */
		r->len = 20;
		r->expect_status = 0;
		memset(r->expect, 0, 20);
		memcpy(r->expect, "hosted", 6);
	} else {
		r->type = rnd() & 1 ? 11 : 13;	/* DISCARD, WRITE_ZEROES */
		r->range[0] = r->sector;
		r->range[1] = nsec;
		if (!r->expect_status)
			memset(model + r->sector * 512, 0, r->len);
	}
}

static int submit(struct virtq *q, struct req *r)
{
	struct virtq_buf out[2] = { { r, 16 }, { r->buf, r->len } };
	struct virtq_buf in[2] = { { r->buf, r->len }, { &r->status, 1 } };

	r->status = 0xff;
	if (r->type == 1)
		return virtq_add(q, out, 2, &in[1], 1, r);
	if (r->type == 0 || r->type == 8)
		return virtq_add(q, out, 1, in, 2, r);
	if (r->type == 4)
		return virtq_add(q, out, 1, &in[1], 1, r);
	out[1] = (struct virtq_buf){ r->range, 16 };
	return virtq_add(q, out, 2, &in[1], 1, r);
}

static int check(const struct req *r, uint32_t written)
{
	if (r->status != r->expect_status) {
		fprintf(stderr, "type %u sector %llu len %u: status %u, want %u\n",
			r->type, (unsigned long long)r->sector, r->len,
			r->status, r->expect_status);
		return -1;
	}
	if ((r->type != 0 && r->type != 8) || r->expect_status)
		return 0;
	if ((r->type == 0 && written != r->len + 1) ||
	    memcmp(r->buf, r->expect, r->len)) {
		uint32_t k = 0;

		while (k < r->len && r->buf[k] == r->expect[k])
			k++;
		fprintf(stderr, "read of sector %llu len %u: wrong data from byte %u (written %u)\n",
			(unsigned long long)r->sector, r->len, k, written);
		return -1;
	}
	return 0;
}

/* The guest's own driver code brings the device up (lib/virtio.c). */
static int packed, indirect;
static struct virtio_dev vd;

static void bring_up(void)
{
	uint64_t wanted = ~0ULL;

	vh_region(region, REGION_BASE, REGION_BYTES, 1u << 20);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&blk.dev);
	if (!packed)
		wanted &= ~(1ULL << VIRTIO_F_RING_PACKED);
	if (!indirect)
		wanted &= ~(1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	if (virtio_start(&vd, wanted) || virtio_queue(&vd, 0, QSIZE, NULL) ||
	    !virtio_has(&vd, VIRTIO_RING_F_INDIRECT_DESC) != !indirect) {
		fprintf(stderr, "handshake failed (status %#x)\n", slot.status);
		exit(1);
	}
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 1);
	vh_poll(NULL);
	if (!blk.dev.live) {
		fprintf(stderr, "device did not go live (status %#x)\n",
			slot.status);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct virtq *q = &vd.vq[0];
	struct req *reqs;
	pthread_t dev;
	long issued = 0, done = 0;
	int inflight = 0, bad = 0;
	void *ram;

	if (argc > 2)
		packed = !strcmp(argv[2], "packed");
	if (argc > 3)
		indirect = !strcmp(argv[3], "indirect");
	region = aligned_alloc(4096, REGION_BYTES);
	memset(region, 0, REGION_BYTES);
	kr = (struct kb_region){ region, REGION_BASE, REGION_BYTES };
	ram = kb_ram_new(DISK_BYTES);
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	bring_up();
	/* Requests and their buffers live in the region, like a guest's. */
	reqs = (struct req *)(region + (2u << 20));
	for (int i = 0; i < QD; i++) {
		reqs[i].buf = region + (3u << 20) + (size_t)i * MAX_IO;
		reqs[i].expect = malloc(MAX_IO);
	}
	pthread_create(&dev, NULL, device_thread, NULL);
	for (int i = 0; i < QD && issued < n; i++, issued++, inflight++) {
		prepare(&reqs[i]);
		if (submit(q, &reqs[i]))
			return fprintf(stderr, "queue full\n"), 1;
	}
	virtq_publish(q);
	/* One descriptor a request in flight, with tables; up to 3 without. */
	if (indirect && q->num_free != QSIZE - inflight) {
		fprintf(stderr, "%d requests in flight take %d descriptors\n",
			inflight, QSIZE - q->num_free);
		return 1;
	}
	while (done < n && !bad) {
		uint32_t written;
		struct req *r = virtq_get(q, &written);

		if (!r) {
			if (virtio_broken(&vd)) {
				fprintf(stderr, "device needs reset\n");
				bad = 1;
			}
			continue;
		}
		bad |= check(r, written) != 0;
		done++;
		inflight--;
		if (issued < n) {
			prepare(r);
			if (submit(q, r))
				return fprintf(stderr, "queue full\n"), 1;
			virtq_publish(q);
			issued++;
			inflight++;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
	printf("blk_model (%s ring%s): %ld requests, %llu errors reported as expected, %s\n",
	       packed ? "packed" : "split", indirect ? ", indirect" : "", done,
	       (unsigned long long)blk.errors, bad ? "FAIL" : "OK");
	kb_ram_free(ram);
	for (int i = 0; i < QD; i++)
		free(reqs[i].expect);
	free(region);
	return bad;
}
