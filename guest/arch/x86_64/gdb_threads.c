/*
 * The guest's threads as the gdb stub shows them: gdb thread id =
 * scheduler id + 1 (gdb's 0 means "any", and the idle thread is 0), the
 * listing in id order, and the description gdb prints beside each.
 *
 * Apart from gdb_target.c and gdb_breakpoints.c, which are about the
 * machine (registers, memory, breakpoints, stops): this part only reads
 * the scheduler's lists, through the calls that are safe with every CPU
 * stopped (thread_for_each_stopped, thread_get_info_stopped).
 */
#include <string.h>

#include "arch/x86_64/gdb_target.h"
#include "kern/sched.h"
#include "lib/format.h"

struct thread_search {
	int tid;			/* find this one ... */
	int after;			/* ... or the smallest id above this */
	int best;
	const struct thread *found;
};

static int search_cb(const struct thread *t, void *arg)
{
	struct thread_search *s = arg;
	int tid = (int)thread_id(t) + 1;

	if (s->tid && tid == s->tid) {
		s->found = t;
		return 1;
	}
	if (!s->tid && tid > s->after && (!s->best || tid < s->best))
		s->best = tid;
	return 0;
}

const struct thread *gdb_thread_find(int tid)
{
	struct thread_search s = { .tid = tid };

	thread_for_each_stopped(search_cb, &s);
	return s.found;
}

int gdb_thread_next(int after)
{
	struct thread_search s = { .after = after };

	thread_for_each_stopped(search_cb, &s);
	return s.best;
}

void gdb_thread_describe(int tid, int stopped_tid, char *buf, size_t size)
{
	static const char *const states[] = { "ready", "running", "blocked",
					      "zombie" };
	const struct thread *t = gdb_thread_find(tid);
	struct thread_info info;
	size_t n;

	buf[0] = '\0';
	if (!t)
		return;
	thread_get_info_stopped(t, &info);
	n = strlen(info.name);
	if (n + 12 > size)
		n = size - 12;
	memcpy(buf, info.name, n);
	strcpy(buf + n, tid == stopped_tid ? " (stopped)" : " ");
	if (tid != stopped_tid && (unsigned int)info.state < 4)
		strcpy(buf + n + 1, states[info.state]);
	/* On an SMP guest: where it runs, or ran last. */
	n = strlen(buf);
	if (sched_ncpus() > 1 && n + 12 < size)
		ksnprintf(buf + n, size - n, " cpu %u", info.cpu);
}
