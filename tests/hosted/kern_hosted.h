/*
 * The guest kernel's virtio drivers (kern/virtio_blk.c, kern/virtio_net.c)
 * as parts of a Linux program: kern_hosted.c gives them what the kernel
 * would (spinlocks, wait queues that poll, time, pages from the hosted
 * region, kprintf to stderr, one CPU, threads as pthreads) and kern_shim/
 * the two headers that only build for the guest.  Build with -iquote
 * tests/hosted/kern_shim so that those come first.
 *
 *	vh_region(mem, base, bytes, 0);
 *	kh_slot = &slot;			the one device virtio_open() finds
 *	vblk_init_queues(1) / netif_first()
 */
#ifndef TESTS_HOSTED_KERN_HOSTED_H
#define TESTS_HOSTED_KERN_HOSTED_H

#include "abi/kspawn_abi.h"

/* The device virtio_open() attaches to (its device_id must match). */
extern struct kspawn_device *kh_slot;
/*
 * A device thread's part of the slot's handshake, once per turn: a reset
 * the driver asked for is done (status 0, the request cleared: returns 1),
 * FEATURES_OK answered once per start (*acked).
 */
int kh_device_handshake(struct kspawn_device *slot, int *acked);
/*
 * The device's side by hand, split queue 0: the chain at head (a blk
 * request) completed OK at used entry 0, every writable buffer filled
 * with fill, then the last one's first byte (the status) set to OK.  va
 * turns the driver's addresses into pointers.  The entry's length is
 * what was written, or claim if not 0 (a device that lies about it).
 */
void kh_blk_complete_split(struct kspawn_device *slot,
			   void *(*va)(uint64_t gpa), uint16_t head,
			   uint8_t fill, uint32_t claim);
/*
 * slot as a one-queue virtio-blk device (VERSION_1 only, queue 0 at most
 * qsize, capacity sectors) and the one virtio_open() finds.
 */
void kh_blk_slot(struct kspawn_device *slot, uint16_t qsize,
		 uint64_t capacity);
/*
 * Features virtio_open() asks for besides the driver's, as the kernel's
 * command line adds some (vring=packed: VIRTIO_F_RING_PACKED).
 */
extern uint64_t kh_want;
/* Called as every spin_lock() begins: a test's way to be slow there. */
extern void (*kh_lock_hook)(void);
/*
 * Called for each millisecond thread_sleep_ms() sleeps, instead of the
 * platform's wait (a turn of the device vh_poll() named): a test's way to
 * play the device while the driver waits for it.
 */
extern void (*kh_sleep_hook)(void);
/*
 * Called by every wq_wake_all() (whose waiters poll, so it wakes nobody):
 * a test's way to count the wake-ups a driver sends.
 */
struct wait_queue;
extern void (*kh_wake_hook)(struct wait_queue *wq);

/*
 * Called by every wq_wait() first: a test's way to wait as the kernel
 * would (until woken, or the deadline).  Returns 1 if it waited (and
 * left lock held again), 0 for the hosted wait (a poll, then return).
 */
struct spinlock;
extern int (*kh_wait_hook)(struct wait_queue *wq, struct spinlock *lock,
			   uint64_t deadline_ns);
/*
 * If not 0, the vector virtio_open()'s platform gives a driver's config
 * interrupt (virtio_config_irq()); queues get none either way.  Set
 * before the driver starts.
 */
extern uint32_t kh_config_vector;

/*
 * The CPUs sched_ncpus() says the kernel has (1 unless a test says more)
 * and the one this_cpu() and sched_cpu() say the caller runs on (0).
 */
extern unsigned int kh_ncpus, kh_cpu;

/*
 * Pages page_alloc() handed out less those page_free() took back: what
 * the drivers hold (the region's allocator reuses none).
 */
extern long kh_pages_held;

/* The kernel's header: its cmdline is what the drivers read. */
extern struct kspawn_header *kspawn_hdr;

/* The last line kprintf() printed, without its newline. */
extern char kh_last_line[256];

#endif
