#include "lib/byte_ring.h"

void byte_ring_init(struct kspawn_ring *r, uint32_t size)
{
	r->head = 0;
	r->tail = 0;
	r->dropped = 0;
	r->size = size;
}

int byte_ring_attach(struct byte_ring *br, struct kspawn_ring *r, size_t room)
{
	uint32_t size = __atomic_load_n(&r->size, __ATOMIC_RELAXED);

	br->r = NULL;
	br->size = 0;
	if (!size || (size & (size - 1)) || size > room)
		return -1;
	br->r = r;
	br->size = size;
	return 0;
}

size_t byte_ring_used(const struct byte_ring *br)
{
	uint32_t head, tail;

	if (!br->r)
		return 0;
	head = __atomic_load_n(&br->r->head, __ATOMIC_ACQUIRE);
	tail = __atomic_load_n(&br->r->tail, __ATOMIC_ACQUIRE);
	return (uint32_t)(head - tail) <= br->size ? (uint32_t)(head - tail) : 0;
}

/* Indices come from shared memory too: a gap larger than the ring is refused. */
size_t byte_ring_write(struct byte_ring *br, const void *src, size_t n)
{
	struct kspawn_ring *r = br->r;
	const uint8_t *p = src;
	uint32_t head, tail, room;
	size_t i;

	if (!r)
		return 0;
	head = r->head;
	tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if ((uint32_t)(head - tail) > br->size)
		return 0;
	room = br->size - (uint32_t)(head - tail);
	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		r->data[(head + i) & (br->size - 1)] = p[i];
	__atomic_store_n(&r->head, head + (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}

size_t byte_ring_read(struct byte_ring *br, void *dst, size_t n)
{
	struct kspawn_ring *r = br->r;
	uint8_t *p = dst;
	uint32_t head, tail, avail;
	size_t i;

	if (!r)
		return 0;
	tail = r->tail;
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	avail = head - tail;
	if (avail > br->size)
		return 0;
	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		p[i] = r->data[(tail + i) & (br->size - 1)];
	__atomic_store_n(&r->tail, tail + (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}
