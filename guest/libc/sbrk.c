/*
 * newlib's malloc grows its arena with sbrk (this newlib build calls the
 * plain POSIX names): hand out the contiguous area mm_init reserved for it
 * ("heap=MiB" on the command line sizes it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "kern/mm.h"
#include "kern/sync.h"

static struct spinlock brk_lock;
static char *brk;

void *sbrk(ptrdiff_t incr)
{
	char *start, *end, *old;
	uint64_t flags;

	mm_libc_heap(&start, &end);
	flags = spin_lock_irqsave(&brk_lock);
	if (!brk)
		brk = start;
	old = brk;
	/*
	 * Compared without negating incr: -PTRDIFF_MIN overflows, and the
	 * wrapped value passed the check and moved the break 8 EiB away.
	 */
	if (!start || (incr > 0 && incr > end - brk) ||
	    (incr < 0 && incr < start - brk)) {
		spin_unlock_irqrestore(&brk_lock, flags);
		errno = ENOMEM;
		return (void *)-1;
	}
	brk += incr;
	spin_unlock_irqrestore(&brk_lock, flags);
	return old;
}
