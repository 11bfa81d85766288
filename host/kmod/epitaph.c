// SPDX-License-Identifier: GPL-2.0
/*
 * Epitaphs.
 *
 * What a stopped guest wrote that nobody read yet outlives its instance
 * for a while, as an epitaph under the same ID, with how the stop found
 * the guest (KSPAWN_GONE_*): a reader following the console (kspawnctl
 * console --follow) while another process stops the guest still gets its
 * last words (the guest writes some in answer to the stop itself), and
 * learns that it had panicked, hung or was dead if the stop came first.
 * Only the console read sees an epitaph.  It goes EPITAPH_MS after the
 * stop, or when EPITAPH_MAX newer ones are kept, and sooner once its words
 * are read if the guest's end is not worth telling (it ran, or halted).
 *
 * The epitaphs live under kspawn_list_lock, as the instances do
 * (instance.c): an instance leaves the list and its epitaph joins this
 * one in the same critical section.
 */
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "kspawn.h"

#define EPITAPH_MS 10000
#define EPITAPH_MAX KSPAWN_MAX_INSTANCES

/* A stopped guest's unread console output; on the list below. */
struct kspawn_epitaph {
	struct list_head node;
	u32 id;
	u32 gone;			/* KSPAWN_GONE_* */
	u32 len, off;			/* data[off, len) not yet read */
	unsigned long expires;		/* jiffies */
	char data[];
};

static LIST_HEAD(epitaphs);		/* oldest first; kspawn_list_lock */
static unsigned int nepitaphs;

/* An end every reader should learn, words or none: kept till it expires. */
static bool gone_matters(u32 gone)
{
	return gone == KSPAWN_GONE_PANICKED || gone == KSPAWN_GONE_HUNG ||
	       gone == KSPAWN_GONE_DEAD;
}

/* Under kspawn_list_lock. */
static void epitaph_drop(struct kspawn_epitaph *ep)
{
	list_del(&ep->node);
	nepitaphs--;
	kvfree(ep);
}

/* Under kspawn_list_lock: those of id (0: none), expired or too many. */
void kspawn_epitaphs_prune(u32 id)
{
	struct kspawn_epitaph *ep, *tmp;

	lockdep_assert_held(&kspawn_list_lock);
	list_for_each_entry_safe(ep, tmp, &epitaphs, node)
		if (ep->id == id || time_after(jiffies, ep->expires) ||
		    nepitaphs > EPITAPH_MAX)
			epitaph_drop(ep);
}

/*
 * For the instance being retired: room for what its console still holds
 * (perhaps nothing, if how the guest ended matters).  Nothing adds to it
 * any more (its guest stopped and its last words were polled), readers
 * only take: the room is enough when it is filled.
 */
struct kspawn_epitaph *kspawn_epitaph_alloc(struct kspawn_instance *in)
{
	u32 len = kspawn_console_pending(&in->console);
	struct kspawn_epitaph *ep;

	if (!len && !gone_matters(in->gone))
		return NULL;
	ep = kvmalloc(struct_size(ep, data, len), GFP_KERNEL);
	if (ep) {
		ep->id = in->id;
		ep->gone = in->gone;
		ep->len = len;
		return ep;
	}
	/* Said, as a follower will not learn how the guest ended. */
	pr_info("instance %u: no memory to keep its %u unread console bytes and how it ended\n",
		in->id, len);
	return NULL;
}

/*
 * Under kspawn_list_lock, as the instance leaves the list: a reader
 * finds either the instance or its epitaph, and no byte twice (the
 * console's own lock makes a take whole).  Not kept if a reader took
 * every byte meanwhile, unless how the guest ended matters.
 */
bool kspawn_epitaph_add(struct kspawn_epitaph *ep, struct kspawn_instance *in)
{
	lockdep_assert_held(&kspawn_list_lock);
	ep->len = kspawn_console_take(&in->console, ep->data, ep->len);
	if (!ep->len && !gone_matters(ep->gone))
		return false;
	ep->off = 0;
	ep->expires = jiffies + msecs_to_jiffies(EPITAPH_MS);
	list_add_tail(&ep->node, &epitaphs);
	nepitaphs++;
	kspawn_epitaphs_prune(0);
	return true;
}

/*
 * Console bytes of a gone instance id and how its guest ended (*gone), or
 * -ESRCH if it left no epitaph (or one whose words were all read, of a
 * guest that ran or halted).
 */
int kspawn_epitaph_take(u32 id, char *buf, u32 len, u32 *gone)
{
	struct kspawn_epitaph *ep;
	int n = -ESRCH;

	mutex_lock(&kspawn_list_lock);
	kspawn_epitaphs_prune(0);
	list_for_each_entry(ep, &epitaphs, node) {
		if (ep->id != id)
			continue;
		n = min(len, ep->len - ep->off);
		memcpy(buf, ep->data + ep->off, n);
		ep->off += n;
		*gone = ep->gone;
		if (ep->off == ep->len && !gone_matters(ep->gone))
			epitaph_drop(ep);
		break;
	}
	mutex_unlock(&kspawn_list_lock);
	return n;
}

void kspawn_epitaph_free(struct kspawn_epitaph *ep)
{
	kvfree(ep);
}

/* Module unload: after every instance is gone. */
void kspawn_epitaphs_free(void)
{
	struct kspawn_epitaph *ep, *tmp;

	mutex_lock(&kspawn_list_lock);
	list_for_each_entry_safe(ep, tmp, &epitaphs, node)
		epitaph_drop(ep);
	mutex_unlock(&kspawn_list_lock);
}
