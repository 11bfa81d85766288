// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest printed, kept in the module until kspawnctl reads it: the
 * monitor empties the guest's small ring into this larger buffer often, so
 * a guest that prints a lot is not slowed down by a reader that is not
 * there.  When nobody reads, the oldest bytes go and are counted.
 */
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kspawn.h"

int kspawn_console_init(struct kspawn_console *c, u32 size)
{
	if (!is_power_of_2(size))
		return -EINVAL;
	c->buf = vzalloc(size);
	if (!c->buf)
		return -ENOMEM;
	kspawn_count(KSPAWN_CNT_CONSOLE_PAGES, size >> PAGE_SHIFT);
	spin_lock_init(&c->lock);
	c->size = size;
	c->head = 0;
	c->tail = 0;
	c->lost = 0;
	return 0;
}

void kspawn_console_free(struct kspawn_console *c)
{
	if (!c->buf)
		return;
	vfree(c->buf);
	c->buf = NULL;
	kspawn_count(KSPAWN_CNT_CONSOLE_PAGES, -(long)(c->size >> PAGE_SHIFT));
}

static void console_put(struct kspawn_console *c, const char *src, u32 n)
{
	u32 at, first;

	spin_lock(&c->lock);
	at = c->head & (c->size - 1);
	first = min(n, c->size - at);
	memcpy(c->buf + at, src, first);
	memcpy(c->buf, src + first, n - first);
	c->head += n;
	if (c->head - c->tail > c->size) {
		c->lost += c->head - c->tail - c->size;
		c->tail = c->head - c->size;
	}
	spin_unlock(&c->lock);
}

/*
 * Move what the guest wrote into the buffer: at most one ring's worth per
 * call, since a guest can refill the ring as fast as we empty it.
 */
void kspawn_console_drain(struct kspawn_console *c, struct byte_ring *h)
{
	char chunk[256];
	u32 n, left = h->size;

	while (left) {
		n = byte_ring_read(h, chunk, min_t(u32, left, sizeof(chunk)));
		if (!n)
			break;
		console_put(c, chunk, n);
		left -= n;
	}
}

u32 kspawn_console_take(struct kspawn_console *c, void *dst, u32 len)
{
	u32 n, at, first;

	spin_lock(&c->lock);
	n = min_t(u64, c->head - c->tail, len);
	at = c->tail & (c->size - 1);
	first = min(n, c->size - at);
	memcpy(dst, c->buf + at, first);
	memcpy(dst + first, c->buf, n - first);
	c->tail += n;
	spin_unlock(&c->lock);
	return n;
}

/* Bytes kept for the reader right now (stale as soon as it returns). */
u32 kspawn_console_pending(struct kspawn_console *c)
{
	u32 n;

	spin_lock(&c->lock);
	n = c->head - c->tail;
	spin_unlock(&c->lock);
	return n;
}

/* Nothing kept for the reader (it reads again if this is stale). */
bool kspawn_console_empty(struct kspawn_console *c)
{
	return !kspawn_console_pending(c);
}
