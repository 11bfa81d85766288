/*
 * newlib's malloc is not thread-safe by itself; it brackets its work with
 * these hooks.  A recursive mutex, because malloc may call itself
 * (memalign, or stdio allocating while it holds the lock), and a sleeping
 * one, so a thread preempted inside malloc only blocks others that need
 * malloc too.  Never call malloc from an interrupt handler.
 */
#include <sys/reent.h>

#include "kern/sync.h"

void __malloc_lock(struct _reent *r);
void __malloc_unlock(struct _reent *r);

static struct mutex malloc_mutex = MUTEX_INIT_RECURSIVE(malloc_mutex);

void __malloc_lock(struct _reent *r)
{
	(void)r;
	mutex_lock(&malloc_mutex);
}

void __malloc_unlock(struct _reent *r)
{
	(void)r;
	mutex_unlock(&malloc_mutex);
}
