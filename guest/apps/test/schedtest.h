/*
 * What schedtest's three files share: spawn(), which starts a thread on
 * the CPUs the running group allows, and the groups the other two files
 * define for the table in schedtest.c.  PASS/FAIL lines and the failure
 * count are selftest.h's report().
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
struct thread *spawn(const char *name, thread_fn fn, void *arg, int prio);

/* schedtest_sched.c: one CPU's scheduling and threads' lives. */
void test_fpu(void);
void test_sleep(void);
void test_starvation(void);
void test_join(void);
void test_priority(void);
void test_churn(void);

/* schedtest_sync.c: mutexes, semaphores, condvars, wait queues. */
void test_pc_condvar(void);
void test_pc_semaphore(void);
void test_mutex(void);
void test_timeouts(void);
void test_waitq(void);

#endif
