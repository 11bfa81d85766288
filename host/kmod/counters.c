// SPDX-License-Identifier: GPL-2.0
/*
 * What the module holds right now, counted where it is taken and given
 * back, and shown read-only in /sys/class/misc/kspawn/objects.  With no
 * instance left every count is back at zero: the stress suite checks that
 * after its cycles, so a leak of any of these fails a test rather than
 * hiding in MemFree's noise.
 */
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/sysfs.h>

#include "kspawn.h"

static atomic_long_t counters[KSPAWN_CNT_COUNT];

static const char *const names[KSPAWN_CNT_COUNT] = {
	[KSPAWN_CNT_INSTANCES] = "instances",
	[KSPAWN_CNT_IO] = "io",
	[KSPAWN_CNT_NETDEVS] = "netdevs",
	[KSPAWN_CNT_RAMDISK_PAGES] = "ramdisk_pages",
	[KSPAWN_CNT_CONSOLE_PAGES] = "console_pages",
	[KSPAWN_CNT_POOL_CHUNKS] = "pool_chunks",
};

void kspawn_count(enum kspawn_counter c, long delta)
{
	atomic_long_add(delta, &counters[c]);
}

static ssize_t objects_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	int len = 0;

	/* Settled: a reader (a test, a benchmark) wants no scrub in flight. */
	kspawn_pool_settle();
	for (int i = 0; i < KSPAWN_CNT_COUNT; i++)
		len += sysfs_emit_at(buf, len, "%s %ld\n", names[i],
				     atomic_long_read(&counters[i]));
	return len;
}

/*
 * Root's only: a read settles the pool, zeroing up to all of it in the
 * reader's time, and no other user needs the counts.
 */
static DEVICE_ATTR_ADMIN_RO(objects);

static struct attribute *kspawn_attrs[] = {
	&dev_attr_objects.attr,
	NULL,
};

static const struct attribute_group kspawn_group = {
	.attrs = kspawn_attrs,
};

const struct attribute_group *kspawn_sysfs_groups[] = {
	&kspawn_group,
	NULL,
};
