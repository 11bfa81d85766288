/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * virtio-blk device, with vdpa_sim_blk's behaviour: one request queue,
 * IN/OUT/FLUSH/GET_ID/DISCARD/WRITE_ZEROES, seg_max/size_max/blk_size in
 * the config.  The storage is behind kb_store_ops (RAM here, a file or a
 * block device in the module).  A request naming sectors past the end, or
 * with more data segments than seg_max or one bigger than size_max, gets
 * VIRTIO_BLK_S_IOERR, an unknown or malformed one VIRTIO_BLK_S_UNSUPP.
 */
#ifndef KB_BLK_H
#define KB_BLK_H

#include "device.h"

#define KB_BLK_SECTOR 512
#define KB_BLK_SIZE_MAX (1U << 20)	/* bytes in one segment */
#define KB_BLK_SEG_MAX (KB_MAX_SEGS - 2)

/* Byte offsets and lengths; 0 or a negative errno. */
struct kb_store_ops {
	int (*read)(void *store, uint64_t off, void *buf, uint32_t len);
	int (*write)(void *store, uint64_t off, const void *buf, uint32_t len);
	int (*flush)(void *store);
	int (*discard)(void *store, uint64_t off, uint64_t len, int zero);
};

struct kb_blk {
	struct kb_device dev;
	const struct kb_store_ops *ops;
	void *store;
	uint64_t bytes;			/* capacity */
	char serial[20];		/* GET_ID */
	uint64_t requests, errors;
};

void kb_blk_init(struct kb_blk *b, struct kspawn_device *slot,
		 const struct kb_region *r, const struct kb_device_ops *ops,
		 void *ctx, const struct kb_store_ops *store_ops, void *store,
		 uint64_t bytes, const char *serial);

/* RAM storage (vdpa_sim_blk's): kb_ram_new(bytes) or NULL. */
extern const struct kb_store_ops kb_ram_ops;
void *kb_ram_new(uint64_t bytes);
void kb_ram_free(void *store);

#endif
