/*
 * A hosted case that provokes thousands of device violations a second
 * (each logs a line) sends stderr to /dev/null meanwhile; a sanitizer's
 * report still goes to the real stderr, so a failure is never hidden.
 */
#ifndef TESTS_HOSTED_QUIET_STDERR_H
#define TESTS_HOSTED_QUIET_STDERR_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define QUIET_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define QUIET_SANITIZED 1
#endif
#endif
#ifdef QUIET_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

/* Returns what stderr_restore() takes back. */
static inline int stderr_quiet(void)
{
	int saved, null;

	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
#ifdef QUIET_SANITIZED
	__sanitizer_set_report_fd((void *)(intptr_t)saved);
#endif
	dup2(null, 2);
	close(null);
	return saved;
}

static inline void stderr_restore(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
#ifdef QUIET_SANITIZED
	__sanitizer_set_report_fd((void *)(intptr_t)2);
#endif
	close(saved);
}

#endif
