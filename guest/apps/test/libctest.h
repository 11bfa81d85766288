/*
 * What libctest's files share: the groups libctest_sys.c defines for the
 * table in libctest.c (all libctest_-prefixed: the test image links every
 * app into one kernel).  PASS/FAIL lines are selftest.h's report().
 */
#ifndef APPS_TEST_LIBCTEST_H
#define APPS_TEST_LIBCTEST_H

/* libctest_sys.c: the system-call glue at the edges of its ranges. */
void libctest_test_clock_edges(void);
void libctest_test_sbrk_edge(void);

#endif
