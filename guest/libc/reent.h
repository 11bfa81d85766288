/*
 * Per-thread newlib state.  Each thread has its own struct _reent (errno,
 * strtok, rand, its own stdin/stdout/stderr FILEs...); the scheduler points
 * _impure_ptr at the running thread's.
 */
#ifndef LIBC_REENT_H
#define LIBC_REENT_H

#include <sys/reent.h>

/* Prepare r for a new thread (called by its creator). */
void libc_thread_init(struct _reent *r);

/* A thread ends: flush its stdio output (called by the thread itself). */
void libc_thread_exit(struct _reent *r);

/* Release what r holds (called by another thread, after the end). */
void libc_thread_free(struct _reent *r);

#endif
