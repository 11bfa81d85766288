#include "lib/byte_ring.h"

void byte_ring_init(struct kspawn_ring *r, uint32_t size)
{
	r->head = 0;
	r->tail = 0;
	r->dropped = 0;
	r->size = size;
}

size_t byte_ring_used(const struct kspawn_ring *r)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	return (uint32_t)(head - tail);
}

/*
 * The size is re-read on every call and never trusted beyond masking: the
 * peer could scribble on it, and we must still stay inside data[].
 */
size_t byte_ring_write(struct kspawn_ring *r, const void *src, size_t n)
{
	const uint8_t *p = src;
	uint32_t size = r->size;
	uint32_t head = r->head;
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	uint32_t room = size - (uint32_t)(head - tail);
	size_t i;

	if (size == 0 || (size & (size - 1)) || room > size)
		return 0;
	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		r->data[(head + i) & (size - 1)] = p[i];
	__atomic_store_n(&r->head, head + (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}

size_t byte_ring_read(struct kspawn_ring *r, void *dst, size_t n)
{
	uint8_t *p = dst;
	uint32_t size = r->size;
	uint32_t tail = r->tail;
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t avail = head - tail;
	size_t i;

	if (size == 0 || (size & (size - 1)) || avail > size)
		return 0;
	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		p[i] = r->data[(tail + i) & (size - 1)];
	__atomic_store_n(&r->tail, tail + (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}
