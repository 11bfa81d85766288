/*
 * Where the driver puts a queue's areas (virtq_init(), virtq_init_packed())
 * against what it says it needs (virtq_bytes(), virtq_packed_bytes()) and
 * what the device accepts (kb_vq_setup*()), for every queue size we drive.
 * Each ring runs in exactly its stated bytes, allocated on their own so
 * that AddressSanitizer sees a byte past them, for a lap and more with
 * event indices on both sides (the event fields are the areas' last
 * bytes).  And the hot lines are coloured: the first descriptor line and
 * the two index lines (split) or the two event areas (packed) each in an
 * L1 set of its own, and no line holds what both sides write.
 * One "ok NAME" / "FAIL NAME: why" line per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/backend/vq.h"
#include "lib/virtq.h"

#define BASE 0x40000000ULL
#define PAGE 4096u

static uint8_t *mem;		/* a payload page, then the ring's bytes */
static struct kb_region r;
static int failures;

static uint64_t gpa(const void *va)
{
	return BASE + (uint64_t)((const uint8_t *)va - mem);
}

static void check(const char *name, int good, const char *why)
{
	if (good) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

/* The L1 set of a line: 64 sets of 64-byte lines, bits 6-11. */
static unsigned int set_of(const void *p)
{
	return ((uintptr_t)p >> 6) & 63;
}

static uintptr_t line_of(const void *p)
{
	return (uintptr_t)p >> 6;
}

/* [p, p + n) inside the ring's bytes [ring, ring + bytes). */
static int inside(const void *p, size_t n, const uint8_t *ring, size_t bytes)
{
	const uint8_t *b = p;

	return b >= ring && b + n <= ring + bytes;
}

/*
 * size + 1 round trips of one device-readable buffer, event indices on:
 * the driver reads avail_event at each publish, the device used_event at
 * each notify decision, and the rings wrap.  Returns NULL or why not.
 */
static const char *laps(struct virtq *q, struct kb_vq *d, uint16_t size)
{
	for (unsigned int i = 0; i <= size; i++) {
		struct virtq_buf b = { mem, 64 };
		struct kb_chain c;
		void *back;

		if (virtq_add(q, &b, 1, NULL, 0, mem))
			return "add failed";
		virtq_publish(q);
		if (kb_vq_pop(d, &c) != 1)
			return d->error[0] ? d->error : "device saw nothing";
		kb_vq_push_quiet(d, &c, 0);
		kb_vq_publish(d);
		(void)kb_vq_should_notify(d);
		if (kb_vq_kicks_on(d) != 0)
			return "a kick with nothing available";
		kb_vq_kicks_off(d);
		back = virtq_get(q, NULL);
		if (back != mem)
			return "driver got nothing back";
	}
	return NULL;
}

static void split_size(uint16_t size)
{
	static void *cookies[KB_QUEUE_MAX];
	size_t bytes = virtq_bytes(size);
	char name[64], why[160] = "";
	struct virtq q;
	struct kb_vq d;
	const char *err;
	uint8_t *ring, *avail_end, *used_end;

	snprintf(name, sizeof(name), "layout-split-%u", size);
	if (posix_memalign((void **)&mem, PAGE, PAGE + bytes)) {
		printf("FAIL %s: out of memory\n", name);
		exit(1);
	}
	memset(mem, 0, PAGE + bytes);
	ring = mem + PAGE;
	r = (struct kb_region){ mem, BASE, PAGE + bytes };
	virtq_init(&q, size, ring, cookies, gpa, 1);
	avail_end = (uint8_t *)&q.avail->ring[size + 1];	/* used_event */
	used_end = (uint8_t *)&q.used->ring[size] + 2;		/* avail_event */
	if ((uintptr_t)q.desc % 16 || (uintptr_t)q.avail % 2 ||
	    (uintptr_t)q.used % 4)
		snprintf(why, sizeof(why), "misaligned area");
	else if (!inside(q.desc, 16u * size, ring, bytes) ||
		 !inside(q.avail, avail_end - (uint8_t *)q.avail, ring, bytes) ||
		 !inside(q.used, used_end - (uint8_t *)q.used, ring, bytes))
		snprintf(why, sizeof(why), "an area past virtq_bytes() = %zu",
			 bytes);
	else if ((uint8_t *)q.avail < (uint8_t *)&q.desc[size] ||
		 (uint8_t *)q.used < avail_end)
		snprintf(why, sizeof(why), "areas overlap");
	else if (line_of(avail_end - 1) == line_of(q.used))
		snprintf(why, sizeof(why),
			 "a line holds what the driver and the device write");
	else if (set_of(q.desc) == set_of(&q.avail->idx) ||
		 set_of(q.desc) == set_of(&q.used->idx) ||
		 set_of(&q.avail->idx) == set_of(&q.used->idx))
		snprintf(why, sizeof(why),
			 "L1 sets: desc[0] %u, avail->idx %u, used->idx %u",
			 set_of(q.desc), set_of(&q.avail->idx),
			 set_of(&q.used->idx));
	else if (kb_vq_setup(&d, &r, size, gpa(q.desc), gpa(q.avail),
			     gpa(q.used), 1))
		snprintf(why, sizeof(why), "device: %s", d.error);
	else if ((err = laps(&q, &d, size)))
		snprintf(why, sizeof(why), "%s", err);
	check(name, !why[0], why);
	free(mem);
}

static void packed_size(uint16_t size)
{
	static void *cookies[VQ_PACKED_MAX];
	size_t bytes = virtq_packed_bytes(size);
	char name[64], why[160] = "";
	struct virtq q;
	struct kb_vq d;
	const char *err;
	uint8_t *ring;

	snprintf(name, sizeof(name), "layout-packed-%u", size);
	if (posix_memalign((void **)&mem, PAGE, PAGE + bytes)) {
		printf("FAIL %s: out of memory\n", name);
		exit(1);
	}
	memset(mem, 0, PAGE + bytes);
	ring = mem + PAGE;
	r = (struct kb_region){ mem, BASE, PAGE + bytes };
	virtq_init_packed(&q, size, ring, cookies, gpa, 1);
	if ((uintptr_t)q.ring % 16 || (uintptr_t)q.driver_event % 4 ||
	    (uintptr_t)q.device_event % 4)
		snprintf(why, sizeof(why), "misaligned area");
	else if (!inside(q.ring, 16u * size, ring, bytes) ||
		 !inside(q.driver_event, 4, ring, bytes) ||
		 !inside(q.device_event, 4, ring, bytes))
		snprintf(why, sizeof(why),
			 "an area past virtq_packed_bytes() = %zu", bytes);
	else if (line_of(&q.ring[size - 1]) == line_of(q.driver_event) ||
		 line_of(&q.ring[size - 1]) == line_of(q.device_event) ||
		 line_of(q.driver_event) == line_of(q.device_event))
		snprintf(why, sizeof(why),
			 "a line holds what the driver and the device write");
	else if (set_of(q.ring) == set_of(q.driver_event) ||
		 set_of(q.ring) == set_of(q.device_event) ||
		 set_of(q.driver_event) == set_of(q.device_event))
		snprintf(why, sizeof(why),
			 "L1 sets: ring[0] %u, driver event %u, device event %u",
			 set_of(q.ring), set_of(q.driver_event),
			 set_of(q.device_event));
	else if (kb_vq_setup_packed(&d, &r, size, gpa(q.ring),
				    gpa(q.driver_event), gpa(q.device_event),
				    1))
		snprintf(why, sizeof(why), "device: %s", d.error);
	else if ((err = laps(&q, &d, size)))
		snprintf(why, sizeof(why), "%s", err);
	check(name, !why[0], why);
	free(mem);
}

int main(void)
{
	for (unsigned int size = 1; size <= KB_QUEUE_MAX; size *= 2)
		split_size((uint16_t)size);
	for (unsigned int size = 1; size <= VQ_PACKED_MAX; size *= 2)
		packed_size((uint16_t)size);
	printf("ring_layout: %d failed\n", failures);
	return failures != 0;
}
