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

void __sinit(struct _reent *r);

static struct mutex stdio_list_lock = MUTEX_INIT(stdio_list_lock);

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
