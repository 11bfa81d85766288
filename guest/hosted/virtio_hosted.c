// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "hosted/virtio_hosted.h"

/*
 * The one region.  The driver reads mem and base for every buffer it
 * adds, so they have a cache line of their own, apart from what the
 * device's thread writes.
 */
static struct {
	const uint8_t *mem;
	uint64_t base;
	uint64_t next, end;		/* ring allocation */
	struct kb_device *dev;
} __attribute__((aligned(64))) vh;

void vh_region(uint8_t *mem, uint64_t base, uint64_t bytes,
	       uint64_t rings_off)
{
	vh.mem = mem;
	vh.base = base;
	vh.next = rings_off;
	vh.end = bytes;
	vh.dev = NULL;
}

uint64_t vh_gpa(const void *va)
{
	return vh.base + (uint64_t)((const uint8_t *)va - vh.mem);
}

void vh_poll(struct kb_device *dev)
{
	vh.dev = dev;
}

static void *alloc(size_t bytes)
{
	uint8_t *p = (uint8_t *)vh.mem + vh.next;

	bytes = (bytes + 4095) & ~(size_t)4095;
	if (bytes > vh.end - vh.next) {
		fprintf(stderr, "virtio_hosted: region full\n");
		return NULL;
	}
	vh.next += bytes;
	memset(p, 0, bytes);
	return p;
}

static void wait(struct virtio_dev *d)
{
	(void)d;
	if (vh.dev)
		kb_device_poll(vh.dev, 1);
	else
		usleep(1000);
}

static void say(struct virtio_dev *d, const char *line)
{
	(void)d;
	fprintf(stderr, "virtio_hosted: %s\n", line);
}

const struct virtio_platform vh_platform = {
	.alloc = alloc,
	.addr = vh_gpa,
	.wait = wait,
	.say = say,
};
