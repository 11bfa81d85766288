/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The backends' whole platform: types, byte copies, memory ordering, a
 * rate-limited log and allocation.  In kspawn.ko these map to the kernel's;
 * on the hosted platform (tests, fuzzers, benchmarks) to C11 and libc.
 *
 * Virtio's names and ring layouts are the Linux UAPI headers'.  Their
 * fields are little-endian (__virtio16, __le32...); kspawn runs on x86
 * only, so the backends load and store them as they are, with no
 * byte swapping.
 */
#ifndef KB_COMPAT_H
#define KB_COMPAT_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <asm/barrier.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#define kb_log(fmt, ...) pr_warn_ratelimited(fmt, ##__VA_ARGS__)
#define kb_zalloc(n) vzalloc(n)
#define kb_free(p) vfree(p)
/*
 * The guest is another CPU of the same machine: virt_*() are SMP barriers.
 * kb_rmb: ring reads after the index; kb_wmb: ring contents before the
 * index; kb_mb: our index before the peer's event field.
 */
#define kb_rmb() virt_rmb()
/* see above */
#define kb_wmb() virt_wmb()
/* see above */
#define kb_mb() virt_mb()
#define KB_READ(x) READ_ONCE(x)
#define KB_WRITE(x, v) WRITE_ONCE(x, v)
/* Ring indices: acquire what they cover, release what we wrote before. */
#define KB_LOAD_ACQUIRE(x) smp_load_acquire(&(x))
/* see above */
#define KB_STORE_RELEASE(x, v) smp_store_release(&(x), v)
/* v over x only if x still holds old; what x held (a full barrier) */
#define KB_CMPXCHG(x, old, v) cmpxchg(&(x), old, v)
/* Hosted tests only (below); nothing in the module. */
#define KB_HOSTED_TEST_HOOK(x) do { } while (0)
/* A lock taken from any context (blk completions may be hard-irq). */
#define kb_lock_t spinlock_t
#define kb_lock_init(l) spin_lock_init(l)
#define kb_lock(l, flags) spin_lock_irqsave(l, flags)
#define kb_unlock(l, flags) spin_unlock_irqrestore(l, flags)
/*
 * A drain sleeps until a completion (any context) says it may be done:
 * the store's I/O can take seconds, and a spin with cond_resched() burns
 * the CPU all that time when nothing else wants it.
 */
#define kb_waitq_t wait_queue_head_t
#define kb_waitq_init(w) init_waitqueue_head(w)
/* TASK_IDLE: a disk stuck for minutes is no hung task of ours */
#define kb_wait_until(w, cond) wait_event_idle(*(w), cond)
/* Nearly always nobody waits: no wait-queue lock on the hot path. */
static inline void kb_wake_all(wait_queue_head_t *w)
{
	if (wq_has_sleeper(w))
		wake_up_all(w);
}

/* Between long pieces of work a guest asked for: let the host schedule. */
#define kb_resched() cond_resched()
/* A monotonic clock, from any context (a blk retry's due time). */
#define kb_now_ns() ktime_get_ns()
#else
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#define kb_log(fmt, ...) fprintf(stderr, "kspawn backend: " fmt, ##__VA_ARGS__)
#define kb_zalloc(n) calloc(1, (n))
#define kb_free(p) free(p)
#define kb_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define kb_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define kb_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KB_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define KB_WRITE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define KB_LOAD_ACQUIRE(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define KB_STORE_RELEASE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define KB_CMPXCHG(x, old, v) ({ \
	__typeof__(x) kb_seen_ = (old); \
	__atomic_compare_exchange_n(&(x), &kb_seen_, (v), 0, \
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	kb_seen_; })
/*
 * Tests only: a window where the guest's write to field x would undo or
 * be undone by ours (between our read and our compare-and-exchange), for
 * a test to land that write in deterministically (device_status.c).
 */
extern void (*kb_hosted_test_hook)(void *field);
#define KB_HOSTED_TEST_HOOK(x) do { \
	if (kb_hosted_test_hook) \
		kb_hosted_test_hook(&(x)); } while (0)
struct kb_lock {
	int held;
};

#define kb_lock_t struct kb_lock
#define kb_lock_init(l) __atomic_store_n(&(l)->held, 0, __ATOMIC_RELAXED)
#define kb_lock(l, flags) do { (void)(flags); \
	while (__atomic_exchange_n(&(l)->held, 1, __ATOMIC_ACQUIRE)) \
		sched_yield(); } while (0)
#define kb_unlock(l, flags) __atomic_store_n(&(l)->held, 0, __ATOMIC_RELEASE)
/* No sleeping here: a drain in the hosted tests yields until done. */
#define kb_waitq_t int
#define kb_waitq_init(w) (*(w) = 0)
#define kb_wait_until(w, cond) \
	do { (void)(w); while (!(cond)) sched_yield(); } while (0)
#define kb_wake_all(w) ((void)(w))
/* A user-space thread is preempted anyway. */
#define kb_resched() do { } while (0)

/* The kernel's ktime_get_ns(). */
static inline uint64_t kb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* <linux/compiler.h>'s branch hints, for the hot paths of the rings. */
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#endif

#endif
