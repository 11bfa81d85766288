/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The device side of a split virtqueue (virtio 1.x, section 2.7) over guest
 * memory.  The guest writes the descriptor table and the available ring at
 * will, so each field is read once into a local and checked there: every
 * index is bounded by the queue size, every buffer translated through
 * kb_translate(), every chain bounded in length and in descriptors (which
 * also ends loops), indirect tables allowed one level deep only.  Any
 * violation makes kb_vq_pop() fail with a reason; the caller then stops
 * using the queue (the device goes to NEEDS_RESET).
 */
#ifndef KB_VQ_H
#define KB_VQ_H

#include "region.h"

#define KB_QUEUE_MAX 1024		/* largest queue size we accept */
#define KB_MAX_SEGS 128			/* buffers in one chain */
#define KB_MAX_INDIRECT 128		/* entries in one indirect table */
#define KB_MAX_CHAIN_BYTES (64U << 20)

struct kb_seg {
	uint8_t *p;			/* host address, inside the region */
	uint32_t len;
	int write;			/* device-writable */
};

struct kb_chain {
	uint16_t head;			/* split: head index; packed: buffer id */
	uint16_t ndesc;			/* ring slots (split: descriptors) used */
	uint32_t nseg;
	uint32_t out_len;		/* device-readable bytes (first) */
	uint32_t in_len;		/* device-writable bytes (after) */
	struct kb_seg seg[KB_MAX_SEGS];
};

struct kb_vq {
	const struct kb_region *r;
	int packed;			/* VIRTIO_F_RING_PACKED layout */
	uint16_t size;			/* 0: not set up */
	uint16_t last_avail;
	uint16_t used_idx;		/* ours; the ring's once published */
	/* used idx (packed: lap_pos) at the last kb_vq_should_notify() */
	uint16_t signalled_used;
	/*
	 * Chains used (packed: slots, as used_laps * size + next_used) counted
	 * without wrapping, and at that decision: past what the 16-bit index
	 * (packed: lap positions) can tell apart, the driver's request cannot
	 * be placed, so we interrupt.
	 */
	uint32_t used_total, used_laps, signalled_total;
	int event_idx;
	/* Split: the rings; used_event and avail_event follow their ends. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	/* Packed: one ring and the two event suppression areas. */
	struct vring_packed_desc *ring;
	struct vring_packed_desc_event *driver_event, *device_event;
	int avail_wrap, used_wrap;
	uint16_t next_used;
	/*
	 * Packed: lap_pos() of next_used and used_wrap in one word, stored
	 * before the used descriptor that frees the slots: a pop beside a
	 * push (blk completes under its lock, pops without) reads the two
	 * as one, never a position of one lap with the wrap of another.
	 */
	uint16_t used_lap;
	uint16_t avail_seen;		/* split: the avail idx last read */
	const char *error;		/* why the queue was given up */
	/*
	 * VIRTIO_F_IN_ORDER: chains are used in the order they came, so a
	 * batch of chains whose writable bytes were all written needs one
	 * used entry, naming its last chain, written at the batch's first
	 * place (batch_pos, and batch_wrap for packed) once the batch ends:
	 * at kb_vq_publish(), or at a chain written only in part.  pend_id
	 * and pend_len are that last chain's, if pending.  Split: next_head
	 * is where the driver must put its next chain.
	 */
	int in_order, pending, batch_wrap;
	uint16_t batch_pos, pend_id, next_head;
	uint32_t pend_len;
};

/*
 * VIRTIO_F_IN_ORDER was negotiated: after kb_vq_setup*(), before any pop.
 * A split driver that makes a chain available out of ring order then
 * fails the queue.
 */
void kb_vq_set_in_order(struct kb_vq *vq);

/* Check and map the rings; 0, or -1 with vq->error set. */
int kb_vq_setup(struct kb_vq *vq, const struct kb_region *r, uint16_t size,
		uint64_t desc, uint64_t avail, uint64_t used, int event_idx);

/* 1: a chain in *c; 0: nothing available; -1: violation (vq->error). */
int kb_vq_pop(struct kb_vq *vq, struct kb_chain *c);

/*
 * A chain of one buffer, as kb_vq_pop_bufs() gives it: the one segment
 * and the chain's head (split) or buffer id (packed).
 */
struct kb_buf {
	uint8_t *p;
	uint32_t len;
	uint16_t head;
	uint16_t write;			/* device-writable */
};

/*
 * Up to n chains of one buffer each, in ring order, with the checks
 * kb_vq_pop() makes, in one pass over the ring: the device's batch take,
 * as rte_ring's dequeue burst.  Stops before the first longer chain (take
 * that one with kb_vq_pop()).  Returns how many (0: none of one buffer
 * available) or -1 on a violation (vq->error).
 */
int kb_vq_pop_bufs(struct kb_vq *vq, struct kb_buf *b, int n);

/*
 * Give back n chains from kb_vq_pop_bufs(), len[k] bytes written into
 * b[k] (len NULL: nothing written, as for device-readable buffers), as
 * n kb_vq_push_quiet() calls would; seen at the next kb_vq_publish().
 */
void kb_vq_push_bufs(struct kb_vq *vq, const struct kb_buf *b,
		     const uint32_t *len, int n);

/* The packed layout (virtio 1.1, 2.8) instead: vq_packed.c. */
int kb_vq_setup_packed(struct kb_vq *vq, const struct kb_region *r,
		       uint16_t size, uint64_t ring, uint64_t driver_event,
		       uint64_t device_event, int event_idx);

/*
 * Kicks from the driver.  A queue starts with them off: the device polls.
 * Before it sleeps it turns them on and looks once more: kb_vq_kicks_on()
 * returns 1 if buffers came meanwhile (then poll, do not sleep).
 */
void kb_vq_kicks_off(struct kb_vq *vq);
int kb_vq_kicks_on(struct kb_vq *vq);

/* Is a chain available?  A peek: nothing is taken, nothing fails. */
int kb_vq_has_avail(struct kb_vq *vq);

/*
 * A place in the available ring.  kb_vq_rewind() gives back every chain
 * popped since kb_vq_save(), as long as none was pushed meanwhile: they are
 * popped (and checked) again later.  For a device that must take several
 * chains for one request and may find too few (net's mergeable buffers).
 */
struct kb_vq_pos {
	uint16_t last_avail;
	int avail_wrap;
	uint16_t next_head;
};

void kb_vq_save(const struct kb_vq *vq, struct kb_vq_pos *p);
void kb_vq_rewind(struct kb_vq *vq, const struct kb_vq_pos *p);

/*
 * For a device that took chains at p's place, found them too few and
 * gave them back: is there a chain beyond them now; and kicks for the
 * next one made available there (1 if one came meanwhile).
 */
int kb_vq_has_avail_at(struct kb_vq *vq, const struct kb_vq_pos *p);
int kb_vq_kicks_on_at(struct kb_vq *vq, const struct kb_vq_pos *p);

/* Return a chain with len bytes written into its device-writable part. */
void kb_vq_push(struct kb_vq *vq, const struct kb_chain *c, uint32_t len);

/*
 * The same, but the driver sees it only at the next kb_vq_publish(): a
 * batch then moves the used index, a cache line the driver polls, once.
 * (The packed layout has no index: there each push is seen at once.)
 */
void kb_vq_push_quiet(struct kb_vq *vq, const struct kb_chain *c,
		      uint32_t len);
void kb_vq_publish(struct kb_vq *vq);

/* After pushes: does the driver want an interrupt now? */
int kb_vq_should_notify(struct kb_vq *vq);

/* Bytes of the chain's readable part from off, into dst; returns count. */
uint32_t kb_chain_read(const struct kb_chain *c, uint32_t off, void *dst,
		       uint32_t len);
/* Bytes into the chain's writable part from off; returns count. */
uint32_t kb_chain_write(const struct kb_chain *c, uint32_t off,
			const void *src, uint32_t len);

/* The packed layout's halves of pop, push and notify (vq_packed.c). */
int kb_vq_pop_packed(struct kb_vq *vq, struct kb_chain *c);
int kb_vq_pop_bufs_packed(struct kb_vq *vq, struct kb_buf *b, int n);
void kb_vq_push_packed(struct kb_vq *vq, uint16_t id, uint16_t ndesc,
		       uint32_t in_len, uint32_t len);
/*
 * The used position n slots on (a lap at most): next_used, used_wrap,
 * and used_lap after them, stored before any release of the slots.
 */
void kb_vq_used_advance_packed(struct kb_vq *vq, uint32_t n);
int kb_vq_should_notify_packed(struct kb_vq *vq);
void kb_vq_kicks_off_packed(struct kb_vq *vq);
int kb_vq_kicks_on_packed(struct kb_vq *vq);
int kb_vq_has_avail_packed(struct kb_vq *vq, const struct kb_vq_pos *p);
int kb_vq_kicks_on_at_packed(struct kb_vq *vq, const struct kb_vq_pos *p);

/* Shared by both layouts (vq.c). */
int kb_vq_fail(struct kb_vq *vq, const char *why);
int kb_vq_add_seg(struct kb_vq *vq, struct kb_chain *c, uint64_t addr,
		  uint32_t len, int write);
void kb_vq_flush_packed(struct kb_vq *vq);

#endif
