/*
 * What the guest kernel gives its virtio drivers, for a Linux program
 * (kern_hosted.h).  One thread runs the driver and nothing interrupts
 * it, so a spinlock only has to be correct, and a wait queue's sleeper
 * just sleeps a little and looks again (the kernel allows spurious
 * wakeups).  The waits poll the device when the test asked for it
 * (vh_poll), as the hosted platform's do.  A kernel thread the drivers
 * start is a pthread.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "arch/x86_64/cpu.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/sched.h"
#include "kern/shared.h"
#include "kern/sync.h"
#include "kern/thread.h"
#include "kern/time.h"
#include "kern/virtio.h"
#include "hosted/virtio_hosted.h"
#include "kern_hosted.h"

struct kspawn_device *kh_slot;
static struct kspawn_header hdr;
struct kspawn_header *kspawn_hdr = &hdr;
char kh_last_line[256];

static struct thread self;
static struct cpu cpu0;
unsigned int kh_ncpus = 1, kh_cpu;

struct cpu *this_cpu(void)
{
	cpu0.index = kh_cpu;
	return &cpu0;
}

struct thread *thread_self(void)
{
	return &self;
}

unsigned int sched_cpu(void)
{
	return kh_cpu;
}

unsigned int sched_ncpus(void)
{
	return kh_ncpus;
}

uint64_t time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void (*kh_sleep_hook)(void);

void thread_sleep_ms(uint64_t ms)
{
	while (ms--) {
		if (kh_sleep_hook)
			kh_sleep_hook();
		else
			vh_platform.wait(NULL);
	}
}

/*
 * A kernel thread as a detached pthread (the blk driver's watcher): it
 * can be neither joined nor told apart from the others (thread_self()).
 */
struct kh_thread {
	thread_fn fn;
	void *arg;
};

static void *kh_thread_main(void *p)
{
	struct kh_thread t = *(struct kh_thread *)p;

	free(p);
	t.fn(t.arg);
	return NULL;
}

struct thread *thread_create(const char *name, thread_fn fn, void *arg,
			     const struct thread_attr *attr)
{
	struct kh_thread *t = malloc(sizeof(*t));
	pthread_t id;

	(void)name;
	(void)attr;
	if (!t)
		return NULL;
	*t = (struct kh_thread){ fn, arg };
	if (pthread_create(&id, NULL, kh_thread_main, t)) {
		free(t);
		return NULL;
	}
	pthread_detach(id);
	return &self;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(kh_last_line, sizeof(kh_last_line), fmt, ap);
	va_end(ap);
	kh_last_line[strcspn(kh_last_line, "\n")] = 0;
	fprintf(stderr, "kprintf: %s\n", kh_last_line);
	return n;
}

long kh_pages_held;

void *page_alloc(size_t npages)
{
	void *p = vh_platform.alloc(npages * 4096);

	if (p)
		kh_pages_held += (long)npages;
	return p;
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void kfree(void *p)
{
	free(p);
}

/*
 * The region's allocator hands out and never takes back: a free is
 * counted, no more.
 */
void page_free(void *va, size_t npages)
{
	(void)va;
	kh_pages_held -= (long)npages;
}

void spin_init(struct spinlock *l)
{
	l->locked = 0;
}

void (*kh_lock_hook)(void);

void spin_lock(struct spinlock *l)
{
	if (kh_lock_hook)
		kh_lock_hook();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	spin_lock(l);
	return 0;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	(void)flags;
	spin_unlock(l);
}

int (*kh_wait_hook)(struct wait_queue *wq, struct spinlock *lock,
		   uint64_t deadline_ns);

void wq_init(struct wait_queue *wq)
{
	list_init(&wq->waiters);
}

int wq_wait(struct wait_queue *wq, struct spinlock *lock, uint64_t deadline_ns)
{
	if (kh_wait_hook && kh_wait_hook(wq, lock, deadline_ns))
		return 0;
	if (lock)
		spin_unlock(lock);
	vh_platform.wait(NULL);
	if (lock)
		spin_lock(lock);
	return 0;
}

void (*kh_wake_hook)(struct wait_queue *wq);

int wq_wake_all(struct wait_queue *wq)
{
	if (kh_wake_hook)
		kh_wake_hook(wq);
	return 0;
}

uint64_t kh_want;
uint32_t kh_config_vector;

/* The hosted platform's, but for the config interrupt's vector. */
static uint32_t config_vector_only(struct virtio_dev *d, unsigned int q)
{
	(void)d;
	return q == VDEV_CONFIG_IRQ ? kh_config_vector : 0;
}

/* kern/virtio.c's, over kh_slot and the hosted platform. */
int virtio_open(struct virtio_dev *d, uint32_t device_id, uint64_t wanted)
{
	static struct virtio_platform plat;
	int r;

	if (!kh_slot || kh_slot->device_id != device_id)
		return -1;
	plat = vh_platform;
	if (kh_config_vector)
		plat.irq_vector = config_vector_only;
	virtio_slot_attach(d, kh_slot, &plat);
	r = virtio_start(d, wanted | kh_want);
	if (r)
		kprintf("virtio: device %u: virtio_start %d\n", device_id, r);
	return r ? -1 : 0;
}

void kh_blk_slot(struct kspawn_device *slot, uint16_t qsize,
		 uint64_t capacity)
{
	slot->device_id = VIRTIO_ID_BLOCK;
	slot->num_queues = 1;
	slot->device_features = 1ULL << VIRTIO_F_VERSION_1;
	slot->queues[0].size_max = qsize;
	memcpy(slot->config + offsetof(struct virtio_blk_config, capacity),
	       &capacity, sizeof(capacity));
	kh_slot = slot;
}

void kh_blk_complete_split(struct kspawn_device *slot,
			   void *(*va)(uint64_t gpa), uint16_t head,
			   uint8_t fill, uint32_t claim)
{
	struct vring_desc *desc = va(slot->queues[0].desc_addr);
	struct vring_used *used = va(slot->queues[0].device_addr);
	uint16_t i = head;
	uint32_t len = 0;

	for (int n = 0; n < 64; n++, i = desc[i].next) {
		if (desc[i].flags & VRING_DESC_F_WRITE) {
			memset(va(desc[i].addr), fill, desc[i].len);
			len += desc[i].len;
		}
		if (!(desc[i].flags & VRING_DESC_F_NEXT))
			break;
	}
	*(uint8_t *)va(desc[i].addr) = VIRTIO_BLK_S_OK;
	used->ring[0].id = head;
	used->ring[0].len = claim ? claim : len;
	__atomic_store_n(&used->idx, 1, __ATOMIC_RELEASE);
}

int kh_device_handshake(struct kspawn_device *slot, int *acked)
{
	uint8_t st = __atomic_load_n(&slot->status, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&slot->reset, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&slot->status, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&slot->reset, 0, __ATOMIC_RELEASE);
		*acked = 0;
		return 1;
	}
	if ((st & VIRTIO_CONFIG_S_FEATURES_OK) && !*acked) {
		__atomic_fetch_add(&slot->features_ack, 1, __ATOMIC_RELEASE);
		*acked = 1;
	}
	return 0;
}
