/*
 * What libctest's files share: the groups libctest_sys.c and
 * libctest_threads.c define for the table in libctest.c (all
 * libctest_-prefixed: the test image links every app into one kernel).
 * PASS/FAIL lines are selftest.h's report().
 */
#ifndef APPS_TEST_LIBCTEST_H
#define APPS_TEST_LIBCTEST_H

/* libctest_sys.c: the system-call glue at the edges of its ranges. */
void libctest_test_clock_edges(void);
void libctest_test_sbrk_edge(void);

/* libctest_threads.c: errno and stdio each a thread's own, on every CPU. */
void libctest_test_errno(void);
void libctest_test_errno_smp(void);

#endif
