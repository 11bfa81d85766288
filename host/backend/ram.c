// SPDX-License-Identifier: GPL-2.0 OR MIT
/* RAM storage for the blk device, as vdpa_sim_blk has. */
#include "blk.h"

#define RAM_CHUNK (1U << 20)	/* bytes zeroed between chances to schedule */

struct ram {
	uint64_t bytes;
	uint8_t data[];
};

void *kb_ram_new(uint64_t bytes)
{
	struct ram *r = kb_zalloc(sizeof(*r) + bytes);

	if (r)
		r->bytes = bytes;
	return r;
}

void kb_ram_free(void *store)
{
	kb_free(store);
}

/* The blk device has checked the range already; check again anyway. */
static int in_ram(const struct ram *r, uint64_t off, uint64_t len)
{
	return off <= r->bytes && len <= r->bytes - off;
}

static int ram_read(void *store, uint64_t off, void *buf, uint32_t len)
{
	struct ram *r = store;

	if (!in_ram(r, off, len))
		return -1;
	memcpy(buf, r->data + off, len);
	return 0;
}

static int ram_write(void *store, uint64_t off, const void *buf, uint32_t len)
{
	struct ram *r = store;

	if (!in_ram(r, off, len))
		return -1;
	memcpy(r->data + off, buf, len);
	return 0;
}

static int ram_flush(void *store)
{
	(void)store;
	return 0;
}

static int ram_discard(void *store, uint64_t off, uint64_t len, int zero)
{
	struct ram *r = store;

	(void)zero;	/* discarded RAM reads back as zeroes too */
	if (!in_ram(r, off, len))
		return -1;
	/*
	 * A range may be 1 GiB: in pieces, each followed by a chance to
	 * schedule, so one request cannot hold the host's CPU for seconds.
	 */
	while (len) {
		uint64_t n = len < RAM_CHUNK ? len : RAM_CHUNK;

		memset(r->data + off, 0, n);
		off += n;
		len -= n;
		kb_resched();
	}
	return 0;
}

const struct kb_store_ops kb_ram_ops = {
	.read = ram_read,
	.write = ram_write,
	.flush = ram_flush,
	.discard = ram_discard,
	.submit = kb_blk_sync_submit,	/* RAM: done as it starts */
	.volatile_cache = 0,		/* nothing to flush: no FLUSH */
};
