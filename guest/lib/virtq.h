/*
 * The driver side of a split virtqueue (virtio 1.x, 2.7), portable: the
 * guest kernel's virtio drivers and the hosted tests share it.  The ring
 * layouts are the Linux UAPI's (linux/virtio_ring.h); their little-endian
 * fields are used as they are, kspawn being x86 only.  The caller
 * gives the ring memory (virtq_bytes() of it, 4 KiB aligned, zeroed) and a
 * function from its addresses to what the device calls addresses.
 * Not thread-safe: callers serialise (the guest with a spinlock, interrupts
 * off).
 */
#ifndef LIB_VIRTQ_H
#define LIB_VIRTQ_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

struct virtq_buf {
	void *p;
	uint32_t len;
};

typedef uint64_t (*virtq_addr_fn)(const void *va);

#define VQ_PACKED_MAX 1024		/* largest packed queue we drive */
#define VQ_INDIRECT_MAX 8		/* buffers in one indirect table */

struct virtq {
	int packed;			/* VIRTIO_F_RING_PACKED layout */
	uint16_t size;
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;		/* our copy of avail->idx */
	uint16_t exposed_idx;		/* split: avail->idx as we last stored it */
	uint16_t kicked_idx;		/* exposed_idx (packed: lap_pos) at the
					 * last kick decision */
	/*
	 * Descriptors exposed since that decision, counted without wrapping
	 * (split: at each expose; packed: avail_laps * size + avail_idx, less
	 * kicked_total): past what the 16-bit indices (packed: lap positions)
	 * can tell apart, the device's request cannot be placed, so we kick.
	 */
	uint32_t undecided;
	uint32_t avail_laps, kicked_total;
	uint16_t last_used;
	uint16_t used_seen;		/* split: used->idx when last read */
	int event_idx;
	/*
	 * The device broke the used ring's rules (an entry naming no chain
	 * that is out, a used index ahead of the chains out, an in-order
	 * batch reaching past what the index covers): nothing more is
	 * taken from it, as what it says next cannot be believed either.
	 * Its chains are the device's until it is reset; the driver's to
	 * do (virtq_get() says NULL from then on).
	 */
	int broken;
	/*
	 * The three areas the device is given, in either layout: desc,
	 * avail and used are where ring, driver_event and device_event are.
	 */
	union {
		struct {	/* split: each ring then its event field */
			struct vring_desc *desc;
			struct vring_avail *avail;
			struct vring_used *used;
		};
		struct {	/* packed: the ring, event suppression areas */
			struct vring_packed_desc *ring;
			struct vring_packed_desc_event *driver_event;
			struct vring_packed_desc_event *device_event;
		};
	};
	void **cookie;			/* per head (split), per id (packed) */
	virtq_addr_fn addr;
	/*
	 * Indirect tables (VIRTIO_RING_F_INDIRECT_DESC), NULL if not
	 * negotiated: VQ_INDIRECT_MAX descriptors of the queue's layout per
	 * head (split) or buffer id (packed), each chain's own while it is out.
	 */
	void *indirect;
	/* Packed: ring slots, wrap counters. */
	int avail_wrap, used_wrap;
	/*
	 * Our own bookkeeping, never shared with the device: the free list
	 * (split: of descriptors, linking a chain's descriptors while it is
	 * out too; packed: of buffer ids) and each chain's descriptor count
	 * (by head or buffer id).  Kept here, freeing a chain reads nothing
	 * the device can see, and nothing is written to the ring that the
	 * device will not read.
	 */
	uint16_t free_id;
	uint16_t id_next[VQ_PACKED_MAX];
	uint16_t id_ndesc[VQ_PACKED_MAX];
	/*
	 * VIRTIO_F_IN_ORDER: chains take descriptors (split) or ring slots
	 * (packed) in ring order and come back in that order, so one used
	 * entry names the last chain of a batch.  A chain's head (split) or
	 * first slot (packed) is its id; id_inlen keeps its device-writable
	 * bytes, the length of a chain the device did not name.  batch: the
	 * used entry being consumed (its id and length), if in_batch.
	 */
	int in_order, in_batch;
	uint16_t batch_id;
	uint32_t batch_len;
	uint32_t id_inlen[VQ_PACKED_MAX];
	/*
	 * In order, the buffer each one-buffer descriptor (split) or slot
	 * (packed) last carried, NULL if unknown: the same buffer again needs
	 * no address translation and no address store.
	 */
	const void *id_va[VQ_PACKED_MAX];
};

/* Bytes of ring memory for a queue of size entries. */
size_t virtq_bytes(uint16_t size);

/* cookies: room for size pointers; size at most VQ_PACKED_MAX. */
void virtq_init(struct virtq *q, uint16_t size, void *mem, void **cookies,
		virtq_addr_fn addr, int event_idx);

/* The packed layout (virtio 1.1, 2.8); size at most VQ_PACKED_MAX. */
size_t virtq_packed_bytes(uint16_t size);
void virtq_init_packed(struct virtq *q, uint16_t size, void *mem,
		       void **cookies, virtq_addr_fn addr, int event_idx);

/*
 * Indirect descriptors: virtq_indirect_bytes(size) of memory the device
 * can reach (16-byte aligned, after virtq_init*()); from then on a chain
 * of 2..VQ_INDIRECT_MAX buffers takes one ring descriptor pointing at its
 * table.  Only once VIRTIO_RING_F_INDIRECT_DESC was negotiated.
 */
size_t virtq_indirect_bytes(uint16_t size);
void virtq_set_indirect(struct virtq *q, void *tables);

/*
 * VIRTIO_F_IN_ORDER was negotiated: right after virtq_init*(), before any
 * chain is added.
 */
void virtq_set_in_order(struct virtq *q);

/*
 * Add a chain: out device-readable buffers then in device-writable ones.
 * Returns 0, or -1 if there are not enough free descriptors.
 */
int virtq_add(struct virtq *q, const struct virtq_buf *out, unsigned int nout,
	      const struct virtq_buf *in, unsigned int nin, void *cookie);

/*
 * n chains of one buffer each (device-writable if write), cookie[k] for
 * b[k]: what virtq_add() would do n times, in fewer steps.  Returns how
 * many were added (fewer if descriptors ran out).
 */
unsigned int virtq_add_bufs(struct virtq *q, const struct virtq_buf *b,
			    unsigned int n, int write, void *const *cookie);

/* Publish what was added; returns 1 if the device wants a kick. */
int virtq_publish(struct virtq *q);

/*
 * virtq_publish() in two steps, for a driver with other work to do
 * between them (taking back completions, say): virtq_expose() makes what
 * was added visible to the device and decides nothing; virtq_kick_needed()
 * then says whether the device asked for a kick for anything exposed since
 * the last decision (0 if nothing was).  Past 65535 buffers (packed:
 * twice the ring's size) the indices cannot place the device's request
 * among them, and it says 1 rather than read an answer it cannot place,
 * as Linux's driver kicks every 65535 adds.  The decision needs a fence that waits for every
 * store still queued (with two cores, a batch's payloads); work put
 * between the two overlaps that wait.  Packed: the add makes a chain
 * visible, and virtq_expose() has nothing to do.
 */
void virtq_expose(struct virtq *q);
int virtq_kick_needed(struct virtq *q);

/*
 * The next completed chain's cookie (and bytes written), or NULL: none
 * yet, or the queue is broken (q->broken): the device broke the used
 * ring's rules.
 */
void *virtq_get(struct virtq *q, uint32_t *len);

/*
 * Up to n completed chains: cookie[k] (and len[k] unless len is NULL)
 * as virtq_get() would give them one by one.  Returns how many.
 */
unsigned int virtq_get_bufs(struct virtq *q, void **cookie, uint32_t *len,
			    unsigned int n);

/*
 * Ask for an interrupt at the next completion; 1 if one is already there
 * (then look again rather than wait).  A queue starts armed; a driver that
 * polls disarms it to spare the device's interrupts.  A broken queue says
 * 0: what is there is refused, and looking again would spin.
 */
int virtq_arm(struct virtq *q);
void virtq_disarm(struct virtq *q);

/*
 * Both sides' positions, read now, to tell a stuck queue's story: who is
 * waiting for whom.  Split: indices as in the rings (notify_at 0xffff
 * without EVENT_IDX).  Packed: lap positions (a slot, plus the ring size
 * on a lap whose wrap counter is 0), published is added (the descriptors'
 * flags publish them), used is 0xffff (the device keeps no index), and
 * notify_at 0xffff unless the device asked for a kick at a descriptor.
 */
struct virtq_state {
	uint16_t added;		/* driver: descriptors made available */
	uint16_t published;	/* avail->idx as the device sees it */
	uint16_t used;		/* used->idx: the device's completions */
	uint16_t taken;		/* driver: completions taken back */
	uint16_t notify_at;	/* avail_event: kick when published passes */
	uint16_t kicked;	/* driver: published at the last kick decision */
};
void virtq_state(struct virtq *q, struct virtq_state *s);

#endif
