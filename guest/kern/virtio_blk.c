#include <string.h>
#include <linux/virtio_blk.h>

#include "arch/x86_64/cpu.h"
#include "kern/virtio_blk.h"
#include "kern/console.h"
#include "kern/sync.h"
#include "kern/time.h"
#include "kern/virtio.h"

#define F(bit) (1ULL << (bit))
#define WANTED (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) | \
		F(VIRTIO_RING_F_INDIRECT_DESC) | \
		F(VIRTIO_BLK_F_SIZE_MAX) | F(VIRTIO_BLK_F_SEG_MAX) | \
		F(VIRTIO_BLK_F_BLK_SIZE) | F(VIRTIO_BLK_F_FLUSH) | \
		F(VIRTIO_BLK_F_DISCARD) | F(VIRTIO_BLK_F_WRITE_ZEROES))
#define WAIT_SLICE_NS 10000000ULL	/* recheck even without interrupts */
/*
 * This core is the guest's own: spinning on the used ring for a few
 * microseconds costs nobody anything, and a host that answers within them
 * saves the completion interrupt and the wake-up from idle.
 */
#define POLL_NS 20000ULL

static struct {
	struct virtio_dev dev;
	struct spinlock lock;
	struct wait_queue wq;
	unsigned int sleepers;		/* waiting for an interrupt */
	uint64_t sectors;
	int up;
} vb;

/* Take completed requests off the used ring; lock held. */
static void collect(void)
{
	struct vblk_req *r;
	uint32_t len;
	int any = 0;

	while ((r = virtq_get(&vb.dev.vq[0], &len))) {
		r->written = len;
		r->done = 1;
		any = 1;
	}
	if (any)
		wq_wake_all(&vb.wq);
}

/* The same, and ask for an interrupt at the next completion. */
static void reap(void)
{
	do
		collect();
	while (virtq_arm(&vb.dev.vq[0]));
}

static void on_irq(struct virtio_dev *d, unsigned int q)
{
	(void)d;
	(void)q;
	spin_lock(&vb.lock);
	reap();
	spin_unlock(&vb.lock);
}

int vblk_init(void)
{
	spin_init(&vb.lock);
	wq_init(&vb.wq);
	if (virtio_open(&vb.dev, VIRTIO_ID_BLOCK, WANTED) ||
	    virtio_queue(&vb.dev, 0, 0, on_irq))
		return -1;
	virtio_config(&vb.dev, offsetof(struct virtio_blk_config, capacity),
		      &vb.sectors, sizeof(vb.sectors));
	virtio_ready(&vb.dev);
	vb.up = 1;
	kprintf("virtio-blk: %llu MiB, queue of %u, %s ring%s\n",
		(unsigned long long)(vb.sectors >> 11), vb.dev.vq[0].size,
		vb.dev.vq[0].packed ? "packed" : "split",
		vb.dev.vq[0].indirect ? ", indirect" : "");
	return 0;
}

uint64_t vblk_sectors(void)
{
	return vb.sectors;
}

/*
 * Sleep until a completion's interrupt or a slice passes; lock held,
 * interrupts off.  Interrupts are asked for first: while nobody sleeps,
 * waiters poll and the device need not interrupt (vblk_wait).
 */
static void wait_slice(const struct vblk_req *r)
{
	vb.sleepers++;
	reap();
	if (!r || !r->done)
		wq_wait(&vb.wq, &vb.lock, time_ns() + WAIT_SLICE_NS);
	reap();		/* in case an interrupt went missing */
	vb.sleepers--;
}

int vblk_submit(struct vblk_req *r, uint32_t type, uint64_t sector,
		void *buf, uint32_t len)
{
	struct virtq_buf out[2] = { { &r->hdr, sizeof(r->hdr) }, { buf, len } };
	struct virtq_buf in[2] = { { buf, len }, { &r->status, 1 } };
	int write = type == VIRTIO_BLK_T_OUT ||
		    type == VIRTIO_BLK_T_DISCARD ||
		    type == VIRTIO_BLK_T_WRITE_ZEROES, data = buf && len;
	uint64_t flags;

	if (!vb.up)
		return -1;
	r->hdr = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
	r->status = 0xff;
	r->done = 0;
	flags = spin_lock_irqsave(&vb.lock);
	for (;;) {
		int e = write ? virtq_add(&vb.dev.vq[0], out, 1 + data,
					  &in[1], 1, r)
			      : virtq_add(&vb.dev.vq[0], out, 1,
					  data ? in : &in[1], 1 + data, r);
		if (!e)
			break;
		if (virtio_broken(&vb.dev)) {
			spin_unlock_irqrestore(&vb.lock, flags);
			return -1;
		}
		wait_slice(NULL);
	}
	if (virtq_publish(&vb.dev.vq[0]))
		virtio_kick(&vb.dev, 0);
	spin_unlock_irqrestore(&vb.lock, flags);
	return 0;
}

int vblk_wait(struct vblk_req *r)
{
	uint64_t flags = spin_lock_irqsave(&vb.lock);
	uint64_t poll_end = time_ns() + POLL_NS;

	/* Polling: the device need not interrupt, unless others sleep. */
	if (!vb.sleepers)
		virtq_disarm(&vb.dev.vq[0]);
	while (!r->done && time_ns() < poll_end) {
		collect();
		cpu_relax();
	}
	while (!r->done && !virtio_broken(&vb.dev))
		wait_slice(r);
	spin_unlock_irqrestore(&vb.lock, flags);
	return r->done && r->status == VIRTIO_BLK_S_OK ? 0 : -1;
}

static int sync_req(uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	struct vblk_req r;

	return vblk_submit(&r, type, sector, buf, len) ?: vblk_wait(&r);
}

int vblk_read(uint64_t sector, void *buf, uint32_t len)
{
	return sync_req(VIRTIO_BLK_T_IN, sector, buf, len);
}

int vblk_write(uint64_t sector, const void *buf, uint32_t len)
{
	return sync_req(VIRTIO_BLK_T_OUT, sector, (void *)buf, len);
}

int vblk_flush(void)
{
	return sync_req(VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
}

/* One range (virtio_blk_discard_write_zeroes), its only segment. */
static int unmap(uint32_t type, uint64_t feature, uint64_t sector,
		 uint32_t count)
{
	struct virtio_blk_discard_write_zeroes range = {
		.sector = sector, .num_sectors = count };

	if (!(vb.dev.features & feature))
		return -1;
	return sync_req(type, 0, &range, sizeof(range));
}

int vblk_discard(uint64_t sector, uint32_t count)
{
	return unmap(VIRTIO_BLK_T_DISCARD, F(VIRTIO_BLK_F_DISCARD), sector, count);
}

int vblk_write_zeroes(uint64_t sector, uint32_t count)
{
	return unmap(VIRTIO_BLK_T_WRITE_ZEROES, F(VIRTIO_BLK_F_WRITE_ZEROES), sector,
		     count);
}

struct virtio_dev *vblk_dev(void)
{
	return vb.up ? &vb.dev : NULL;
}
