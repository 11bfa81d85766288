// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Hosted interop: Linux's virtio driver ring (virtio_ring.c of Debian's 6.1,
 * through linux_ring.c) drives our blk device (host/backend/blk.c and
 * blk_req.c) polled on a second thread, over one region.  N random requests
 * (reads, writes, flushes, GET_ID, discards, write-zeroes, some past the
 * end), data in one to three buffers, up to QD in flight; every status, used
 * length and byte read is checked against a model of the disk.  The driver
 * sleeps on interrupts as a Linux driver does (callbacks enabled, plain or
 * delayed), so a device that fails to interrupt when the driver asked loses
 * the wakeup and the case fails; first, unasked() catches a device that
 * interrupts when not asked.  One case per ring layout (split, packed) and
 * event idx (on, off), indirect descriptors as Linux uses them by default.
 *
 *   linux_ring_blk [N]
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "host/backend/blk.h"
#include "linux_ring.h"

#define REGION_BYTES (16u << 20)
#define DISK_BYTES (1u << 20)
#define QSIZE 128
#define QD 32
#define MAX_IO 8192
#define IRQ_TIMEOUT_MS 20000

struct req {
	struct virtio_blk_outhdr hdr;
	uint64_t range[2];	/* discard / write-zeroes: sector, count */
	uint8_t status;
	uint8_t expect_status;
	uint32_t len;		/* data bytes */
	uint32_t nseg;		/* data buffers */
	uint32_t cut[2];	/* where the data is split */
	uint8_t *buf;		/* in the region */
	uint8_t *expect;
};

static struct kspawn_device slot;
static struct kb_blk blk;
static struct lr_dev *_Atomic cur;
static atomic_int stop;
static atomic_ulong polls;	/* kb_device_poll() calls finished */
static uint8_t model[DISK_BYTES];
static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void notify(void *ctx, uint32_t vector)
{
	struct lr_dev *d = atomic_load(&cur);

	(void)ctx;
	if (d)
		lr_notify(d, vector);
}

static const struct kb_device_ops ops = { .notify = notify };

static void *device_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		kb_device_poll(&blk.dev, 64);
		atomic_fetch_add(&polls, 1);
	}
	return NULL;
}

/* Choose a request and apply it to the model: the device serves in order. */
static void prepare(struct req *r)
{
	uint32_t kind = rnd() % 10, nsec = 1 + rnd() % (MAX_IO / 512);
	uint64_t last = DISK_BYTES / 512, sector = rnd() % last;

	r->len = nsec * 512;
	if (kind == 9)		/* straddles or passes the end */
		sector = last - nsec / 2 + rnd() % 4;
	r->expect_status = sector * 512 + r->len > DISK_BYTES ?
			   VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	r->hdr.sector = sector;
	r->hdr.ioprio = 0;
	/* Data in one to three buffers, cut anywhere (ANY_LAYOUT). */
	r->nseg = 1 + rnd() % 3;
	r->cut[0] = r->nseg > 1 ? 1 + rnd() % (r->len - 2) : r->len;
	r->cut[1] = r->nseg > 2 ? r->cut[0] + rnd() % (r->len - r->cut[0]) :
				  r->len;
	if (r->nseg > 2 && r->cut[1] == r->cut[0])
		r->cut[1]++;
	if (kind < 4 || kind == 9) {
		r->hdr.type = VIRTIO_BLK_T_OUT;
		for (uint32_t i = 0; i < r->len; i += 8)
			*(uint64_t *)(r->buf + i) = rnd();
		if (!r->expect_status)
			memcpy(model + sector * 512, r->buf, r->len);
	} else if (kind < 7) {
		r->hdr.type = VIRTIO_BLK_T_IN;
		memset(r->buf, 0xa5, r->len);
		if (!r->expect_status)
			memcpy(r->expect, model + sector * 512, r->len);
	} else if (kind == 7 && (rnd() & 1)) {
		r->hdr.type = VIRTIO_BLK_T_FLUSH;
		r->expect_status = VIRTIO_BLK_S_OK;
	} else if (kind == 7) {
		r->hdr.type = VIRTIO_BLK_T_GET_ID;
		r->len = VIRTIO_BLK_ID_BYTES;
		r->nseg = 1;
		r->expect_status = VIRTIO_BLK_S_OK;
		memset(r->expect, 0, VIRTIO_BLK_ID_BYTES);
		memcpy(r->expect, "linux-ring", 10);
	} else {
		r->hdr.type = rnd() & 1 ? VIRTIO_BLK_T_DISCARD :
					  VIRTIO_BLK_T_WRITE_ZEROES;
		r->range[0] = sector;
		r->range[1] = nsec;
		if (!r->expect_status)
			memset(model + sector * 512, 0, r->len);
	}
}

/* Linux's virtio_blk layout: header, data, status, one sg each. */
static int submit(struct lr_vq *q, struct req *r)
{
	struct lr_buf hdr = { &r->hdr, sizeof(r->hdr) };
	struct lr_buf st = { &r->status, 1 };
	struct lr_buf b[5] = { hdr };
	uint32_t at = 0, n = 1;
	int out;

	for (uint32_t i = 0; i < r->nseg; i++) {
		uint32_t end = i + 1 < r->nseg ? r->cut[i] : r->len;

		b[n++] = (struct lr_buf){ r->buf + at, end - at };
		at = end;
	}
	b[n++] = st;
	r->status = 0xff;
	switch (r->hdr.type) {
	case VIRTIO_BLK_T_OUT:
		out = (int)n - 1;
		break;
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		out = 1;
		break;
	case VIRTIO_BLK_T_FLUSH:
		b[1] = st;
		n = 2;
		out = 1;
		break;
	default:
		b[1] = (struct lr_buf){ r->range, sizeof(r->range) };
		b[2] = st;
		n = 3;
		out = 2;
	}
	return lr_add(q, b, (unsigned int)out, b + out, n - (unsigned int)out,
		      r);
}

static int check(const struct req *r, uint32_t written, char *why, size_t n)
{
	int reads = r->hdr.type == VIRTIO_BLK_T_IN ||
		    r->hdr.type == VIRTIO_BLK_T_GET_ID;

	if (r->status != r->expect_status) {
		snprintf(why, n, "type %u sector %llu len %u: status %u, want %u",
			 r->hdr.type, (unsigned long long)r->hdr.sector, r->len,
			 r->status, r->expect_status);
		return -1;
	}
	if (!reads || r->expect_status) {
		if (written < 1) {
			snprintf(why, n, "type %u: used length %u, no status byte",
				 r->hdr.type, written);
			return -1;
		}
		return 0;
	}
	if (written != r->len + 1 || memcmp(r->buf, r->expect, r->len)) {
		uint32_t k = 0;

		while (k < r->len && r->buf[k] == r->expect[k])
			k++;
		snprintf(why, n, "type %u sector %llu len %u in %u buffers: data differs from byte %u, used length %u",
			 r->hdr.type, (unsigned long long)r->hdr.sector, r->len,
			 r->nseg, k, written);
		return -1;
	}
	return 0;
}

/* One FLUSH, completed: by interrupt (wait) or by polling the ring. */
static int one_flush(struct lr_dev *d, struct lr_vq *q, struct req *r,
		     int wait, char *why, size_t wn)
{
	uint32_t written;
	struct req *got;
	long spins = 0;

	r->hdr.type = VIRTIO_BLK_T_FLUSH;
	r->expect_status = VIRTIO_BLK_S_OK;
	if (submit(q, r)) {
		snprintf(why, wn, "virtqueue_add_sgs refused on an empty ring");
		return -1;
	}
	lr_kick(q);
	if (wait && !lr_wait_irq(d, IRQ_TIMEOUT_MS)) {
		snprintf(why, wn, "no interrupt for a request with callbacks enabled");
		return -1;
	}
	while (!(got = lr_get(q, &written))) {
		if (++spins > 100000000L) {
			snprintf(why, wn, "a FLUSH never completed");
			return -1;
		}
		sched_yield();
	}
	return got != r ? -1 : check(r, written, why, wn);
}

/*
 * The device interrupts only when asked.  Callbacks enabled, a request,
 * its interrupt (whose callback disables callbacks again: with event idx
 * Linux writes nothing then, the driver's event being already passed);
 * then a second request, completed by polling: once the device is past
 * the poll that completed it, no interrupt may be pending.  Plain and
 * delayed enables alternate.
 */
static int unasked(struct lr_dev *d, struct lr_vq *q, struct req *r,
		   char *why, size_t wn)
{
	for (int i = 0; i < 64; i++) {
		unsigned long seen;

		if (!lr_enable_cb(q, i & 1)) {
			snprintf(why, wn, "a used buffer pending on an idle ring");
			return -1;
		}
		if (one_flush(d, q, r, 1, why, wn) ||
		    one_flush(d, q, r, 0, why, wn))
			return -1;
		seen = atomic_load(&polls);
		while (atomic_load(&polls) < seen + 2)
			sched_yield();
		/*
		 * Round 0 proves nothing: Linux's packed ring starts with
		 * the driver's event flags at ENABLE and, with event idx,
		 * leaves them so after an interrupt until callbacks are
		 * enabled again; that interrupt is asked for.
		 */
		if (!i) {
			lr_wait_irq(d, 0);
			continue;
		}
		if (lr_irq_pending(d)) {
			snprintf(why, wn, "the device interrupted after the driver's callback had disabled callbacks (round %d)",
				 i);
			return -1;
		}
	}
	return 0;
}

/* The driver's loop: keep QD in flight, sleep on interrupts when idle. */
static int drive(struct lr_dev *d, struct lr_vq *q, struct req *reqs,
		 long n, char *why, size_t wn)
{
	struct req *freelist[QD];
	long issued = 0, done = 0, waits = 0;
	int nfree = QD;

	for (int i = 0; i < QD; i++)
		freelist[i] = &reqs[i];
	while (done < n) {
		int added = 0, got = 0;
		uint32_t written;
		struct req *r;

		while (nfree && issued < n) {
			r = freelist[nfree - 1];
			prepare(r);
			if (submit(q, r)) {
				snprintf(why, wn, "virtqueue_add_sgs refused with %d in flight",
					 QD - nfree);
				return -1;
			}
			nfree--;
			issued++;
			added++;
		}
		if (added)
			lr_kick(q);
		while ((r = lr_get(q, &written))) {
			if (check(r, written, why, wn))
				return -1;
			freelist[nfree++] = r;
			done++;
			got++;
		}
		if (lr_broken(q)) {
			snprintf(why, wn, "Linux marked the ring broken (see its message above)");
			return -1;
		}
		if (__atomic_load_n(&slot.status, __ATOMIC_ACQUIRE) &
		    VIRTIO_CONFIG_S_NEEDS_RESET) {
			snprintf(why, wn, "device needs reset");
			return -1;
		}
		if (got || (nfree && issued < n))
			continue;
		/* Idle: as a driver would, enable callbacks and sleep. */
		if (!lr_enable_cb(q, (int)(waits++ & 1)))
			continue;
		if (!lr_wait_irq(d, IRQ_TIMEOUT_MS)) {
			snprintf(why, wn, "no interrupt in %d s with %d requests in flight and callbacks enabled",
				 IRQ_TIMEOUT_MS / 1000, QD - nfree);
			return -1;
		}
	}
	return 0;
}

static int run_case(const char *name, int packed, int event_idx,
		    unsigned int qsize, long n)
{
	uint8_t *region = aligned_alloc(4096, REGION_BYTES);
	struct kb_region kr = { region, (uint64_t)(uintptr_t)region,
				REGION_BYTES };
	struct lr_opts o = {
		.device_bits = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
			       1ULL << VIRTIO_BLK_F_SEG_MAX |
			       1ULL << VIRTIO_BLK_F_BLK_SIZE |
			       1ULL << VIRTIO_BLK_F_FLUSH |
			       1ULL << VIRTIO_BLK_F_DISCARD |
			       1ULL << VIRTIO_BLK_F_WRITE_ZEROES,
		.packed = packed, .event_idx = event_idx, .indirect = 1,
	};
	struct req *reqs;
	struct lr_stats st = { 0 };
	struct lr_dev *d;
	struct lr_vq *q;
	pthread_t dev;
	char why[256] = "";
	void *ram;
	int bad;

	memset(region, 0, REGION_BYTES);
	memset(model, 0, sizeof(model));
	rs = 0x2545f4914f6cdd1dULL;
	lr_mem_init(region, REGION_BYTES);
	ram = kb_ram_new(DISK_BYTES);
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "linux-ring");
	atomic_store(&stop, 0);
	pthread_create(&dev, NULL, device_thread, NULL);
	d = lr_dev_open(&slot, &o, why, sizeof(why));
	q = d ? lr_vq_setup(d, 0, qsize) : NULL;
	if (!q) {
		bad = 1;
		if (!why[0])
			snprintf(why, sizeof(why), "vring_create_virtqueue failed");
		goto out;
	}
	atomic_store(&cur, d);
	lr_dev_driver_ok(d);
	reqs = lr_mem_alloc(QD * sizeof(*reqs));
	for (int i = 0; i < QD; i++) {
		reqs[i].buf = lr_mem_alloc(MAX_IO);
		reqs[i].expect = malloc(MAX_IO);
	}
	bad = unasked(d, q, &reqs[0], why, sizeof(why)) ||
	      drive(d, q, reqs, n, why, sizeof(why));
	lr_vq_stats(q, &st);
	atomic_store(&cur, NULL);
	lr_dev_close(d);
	for (int i = 0; i < QD; i++) {
		lr_mem_free(reqs[i].buf);
		free(reqs[i].expect);
	}
	lr_mem_free(reqs);
	if (!bad && lr_mem_in_use()) {
		snprintf(why, sizeof(why), "%zu bytes of the region still allocated after vring_del_virtqueue",
			 lr_mem_in_use());
		bad = 1;
	}
out:
	atomic_store(&stop, 1);
	pthread_join(dev, NULL);
	if (bad)
		printf("FAIL %s: %s\n", name, why);
	else
		printf("ok %s: %ld requests, %llu errors as expected; %llu kicks, %llu interrupts (%llu spurious), callbacks enabled %llu times\n",
		       name, n, (unsigned long long)blk.errors,
		       (unsigned long long)st.kicks,
		       (unsigned long long)st.irqs,
		       (unsigned long long)st.irqs_none,
		       (unsigned long long)st.enables);
	fflush(stdout);
	kb_ram_free(ram);
	free(region);
	return bad;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int failed = 0;

	failed += run_case("split", 0, 0, QSIZE, n);
	failed += run_case("split+event_idx", 0, 1, QSIZE, n);
	failed += run_case("packed", 1, 0, QSIZE, n);
	failed += run_case("packed+event_idx", 1, 1, QSIZE, n);
	/* A packed ring's size need not be a power of two (virtio 1.2, 2.8). */
	failed += run_case("packed-size-100+event_idx", 1, 1, 100, n);
	printf("linux_ring_blk: %d failed\n", failed);
	return failed != 0;
}
