/*
 * schedtest's thread-attribute group: what thread_create() takes and
 * refuses, and thread_detach() of a thread in each state.
 *
 *   attr  a name of THREAD_NAME_MAX characters or more cut to one less
 *         (the NUL inside the name), the priorities at both ends of the
 *         range taken and one past each refused, a thread detached after
 *         it ended gone from the thread list
 */
#include <string.h>

#include "apps/test/schedtest.h"

static int return_zero(void *arg)
{
	(void)arg;
	return 0;
}

/* Whether the thread list still holds arg's thread. */
static int find_thread(const struct thread *t, void *arg)
{
	return t == arg;
}

/* A thread of prio: created (1, and joined) or refused (0). */
static int created_at(int prio)
{
	struct thread_attr a = { .prio = prio };
	struct thread *t = thread_create("prio", return_zero, NULL, &a);

	if (t)
		thread_join(t);
	return t != NULL;
}

void schedtest_test_attr(void)
{
	static const char long_name[] = "a-thread-name-too-long";
	struct thread *t;
	size_t name_len, exact_len;
	int name_ok, lo, hi, below, above, detached, listed;

	/* The name: longer than the field, and exactly its size. */
	t = schedtest_spawn(long_name, return_zero, NULL, THREAD_PRIO_NORMAL);
	name_len = strlen(thread_name(t));
	name_ok = name_len == THREAD_NAME_MAX - 1 &&
		  !strncmp(thread_name(t), long_name, THREAD_NAME_MAX - 1);
	thread_join(t);
	t = schedtest_spawn("0123456789abcdef", return_zero, NULL,
			    THREAD_PRIO_NORMAL);
	exact_len = strlen(thread_name(t));
	name_ok &= exact_len == THREAD_NAME_MAX - 1;
	thread_join(t);

	lo = created_at(THREAD_PRIO_MIN);
	hi = created_at(THREAD_PRIO_MAX);
	below = created_at(-1);
	above = created_at(THREAD_PRIO_MAX + 1);

	/* Higher than ours: it has ended before thread_create returns. */
	t = schedtest_spawn("ended", return_zero, NULL, THREAD_PRIO_HIGH);
	detached = thread_detach(t) == 0;
	listed = thread_for_each(find_thread, t);

	report("attr", name_ok && lo && hi && !below && !above && detached &&
		     !listed,
	       "names of %lu and %d chars cut to %lu and %lu (want %d), "
	       "priority %d %s, %d %s, "
	       "%d %s, %d %s; an ended thread detached %s, then %s",
	       (unsigned long)(sizeof(long_name) - 1), THREAD_NAME_MAX,
	       (unsigned long)name_len, (unsigned long)exact_len,
	       THREAD_NAME_MAX - 1,
	       THREAD_PRIO_MIN, lo ? "taken" : "REFUSED",
	       THREAD_PRIO_MAX, hi ? "taken" : "REFUSED",
	       -1, below ? "TAKEN" : "refused",
	       THREAD_PRIO_MAX + 1, above ? "TAKEN" : "refused",
	       detached ? "ok" : "REFUSED",
	       listed ? "STILL LISTED (freed)" : "gone from the list");
}
