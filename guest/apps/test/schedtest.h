/*
 * What schedtest's files share: schedtest_spawn(), which starts a
 * thread on the CPUs the running group allows, and the groups the other
 * files define for the table in schedtest.c (all schedtest_-prefixed:
 * the test image links every app into one kernel).  PASS/FAIL lines and
 * the failure count are selftest.h's report().
 */
#ifndef APPS_TEST_SCHEDTEST_H
#define APPS_TEST_SCHEDTEST_H

#define KSPAWN_INTERNALS
#include "kspawn.h"
#include "apps/test/selftest.h"

/*
 * thread_create() with the group's CPU pin (schedtest.c's pin_cpu0());
 * exits the app if the thread cannot be created, so no test goes on
 * with fewer threads than it counts on.
 */
struct thread *schedtest_spawn(const char *name, thread_fn fn, void *arg,
			       int prio);

/* schedtest_sched.c: one CPU's scheduling and threads' lives. */
void schedtest_test_fpu(void);
void schedtest_test_sleep(void);
void schedtest_test_starvation(void);
void schedtest_test_join(void);
void schedtest_test_idle(void);
void schedtest_test_priority(void);
void schedtest_test_irq_preempt(void);
void schedtest_test_churn(void);

/* schedtest_slice.c: time slices a thread keeps the CPU through. */
void schedtest_test_yield_slice(void);
void schedtest_test_preempt_front(void);

/* schedtest_thread.c: what thread_create() takes, detach of an ended one. */
void schedtest_test_attr(void);

/* schedtest_balance.c: threads moved to a CPU where they can run. */
void schedtest_test_strand(void);

/* schedtest_mutex.c: who gets a contended mutex (stealing, hand-off). */
void schedtest_test_mutex_steal(void);
void schedtest_test_mutex_fair(void);

/* schedtest_sync.c: mutexes, semaphores, condvars, wait queues. */
void schedtest_test_pc_condvar(void);
void schedtest_test_pc_semaphore(void);
void schedtest_test_mutex(void);
void schedtest_test_timeouts(void);
void schedtest_test_timeout_zero(void);
void schedtest_test_waitq(void);
void schedtest_test_broadcast(void);

#endif
