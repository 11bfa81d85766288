/*
 * newlib was built without locks around its global stdio list, and
 * __sinit takes a thread's three std FILEs from that list.  So every
 * thread's stdio is set up here, eagerly and under one mutex, rather than
 * lazily by newlib at the thread's first printf, where two threads could
 * race for the same FILE.  (fopen itself remains unlocked; files are not
 * a thing the guest has.)
 */
#include <stdio.h>
#include <string.h>

#include "libc/reent.h"
#include "kern/sync.h"
#include "kern/thread.h"

void __sinit(struct _reent *r);

static struct mutex stdio_list_lock = MUTEX_INIT(stdio_list_lock);

/*
 * newlib is built with __DYNAMIC_REENT__ (scripts/build-newlib.sh): every
 * errno, stdio stream and strtok state it touches is found through here,
 * so each thread has its own whichever CPU it runs on.  A global pointer
 * switched by the scheduler would be the last switch of any CPU, another
 * CPU's thread's.  Before the boot CPU has its per-CPU area (GS) and a
 * current thread, the global one is the only one.
 */
static int percpu_ready;

void libc_percpu_ready(void)
{
	__atomic_store_n(&percpu_ready, 1, __ATOMIC_RELEASE);
}

struct _reent *__getreent(void)
{
	struct thread *t;

	if (!__atomic_load_n(&percpu_ready, __ATOMIC_ACQUIRE))
		return _impure_ptr;
	t = this_cpu_current();	/* one load: we may move CPUs at any time */
	return t && t->reent ? t->reent : _impure_ptr;
}

void libc_thread_init(struct _reent *r)
{
	_REENT_INIT_PTR(r);
	mutex_lock(&stdio_list_lock);
	__sinit(r);
	mutex_unlock(&stdio_list_lock);
}

void libc_thread_exit(struct _reent *r)
{
	if (r->_stdout)
		_fflush_r(r, r->_stdout);
	if (r->_stderr)
		_fflush_r(r, r->_stderr);
}

/* Closing a std stream frees its buffer and returns the FILE to the list. */
static void close_std(struct _reent *r, FILE *f)
{
	if (f)
		_fclose_r(r, f);
}

void libc_thread_free(struct _reent *r)
{
	mutex_lock(&stdio_list_lock);
	close_std(r, r->_stdin);
	close_std(r, r->_stdout);
	close_std(r, r->_stderr);
	mutex_unlock(&stdio_list_lock);
	r->_stdin = r->_stdout = r->_stderr = NULL;
	_reclaim_reent(r);
}
