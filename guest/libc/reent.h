/*
 * Per-thread newlib state.  Each thread has its own struct _reent (errno,
 * strtok, rand, its own stdin/stdout/stderr FILEs...); newlib finds the
 * running thread's through __getreent() (newlib built with
 * __DYNAMIC_REENT__), from the CPU's current thread.
 */
#ifndef LIBC_REENT_H
#define LIBC_REENT_H

#include <sys/reent.h>

/* The boot CPU's per-CPU area and current thread are set up. */
void libc_percpu_ready(void);

/* Prepare r for a new thread (called by its creator). */
void libc_thread_init(struct _reent *r);

/* A thread ends: flush its stdio output (called by the thread itself). */
void libc_thread_exit(struct _reent *r);

/* Release what r holds (called by another thread, after the end). */
void libc_thread_free(struct _reent *r);

#endif
