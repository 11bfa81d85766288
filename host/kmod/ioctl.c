// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kspawn ioctls.  Arguments come from user space: each is copied in
 * whole, its argsz and version checked, reserved fields required to be
 * zero, and every value range-checked before use.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>

#include "kspawn.h"

#define IO_CHUNK 4096

/* Copy a versioned argument in and check its header. */
static int arg_in(void *arg, unsigned long uarg, size_t size)
{
	u32 *hdr = arg;

	if (copy_from_user(arg, (void __user *)uarg, size))
		return -EFAULT;
	if (hdr[0] != size) {
		pr_info_ratelimited("ioctl: argument size %u, expected %zu (kspawnctl and module from different builds?)\n",
				    hdr[0], size);
		return -EINVAL;
	}
	if (hdr[1] != KSPAWN_IOCTL_VERSION) {
		pr_info_ratelimited("ioctl: version %u, this module speaks %u\n",
				    hdr[1], KSPAWN_IOCTL_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static int arg_out(unsigned long uarg, const void *arg, size_t size)
{
	return copy_to_user((void __user *)uarg, arg, size) ? -EFAULT : 0;
}

static int ioc_version(unsigned long uarg)
{
	struct kspawn_ioc_version v;
	int err = arg_in(&v, uarg, sizeof(v));

	if (err)
		return err;
	v.abi_major = KSPAWN_ABI_MAJOR;
	v.abi_minor = KSPAWN_ABI_MINOR;
	v.ioctl_version = KSPAWN_IOCTL_VERSION;
	v.max_instances = KSPAWN_MAX_INSTANCES;
	kspawn_pool_info(&v.pool_base, &v.pool_size, &v.pool_free);
	v.tsc_khz = tsc_khz;
	return arg_out(uarg, &v, sizeof(v));
}

static int load_args(const struct kspawn_ioc_load *l)
{
	if ((l->flags & ~(KSPAWN_LOAD_WRITEBACK | KSPAWN_LOAD_DOORBELL_CPU)) ||
	    l->id ||
	    (!(l->flags & KSPAWN_LOAD_DOORBELL_CPU) && l->doorbell_cpu)) {
		pr_info_ratelimited("load: unknown flags or non-zero reserved fields\n");
		return -EINVAL;
	}
	if ((l->flags & KSPAWN_LOAD_DOORBELL_CPU) &&
	    l->doorbell_cpu >= nr_cpu_ids) {
		pr_info_ratelimited("load: doorbell CPU %u does not exist (%u CPUs)\n",
				    l->doorbell_cpu, nr_cpu_ids);
		return -ENODEV;
	}
	if (!l->image_size || l->image_size > KSPAWN_IMAGE_MAX_BYTES) {
		pr_info_ratelimited("load: image of %llu bytes (at most %llu MiB)\n",
				    l->image_size, KSPAWN_IMAGE_MAX_BYTES >> 20);
		return -E2BIG;
	}
	if (l->cpu < KSPAWN_LOAD_CPU_ANY) {
		pr_info_ratelimited("load: bad CPU number %d\n", l->cpu);
		return -EINVAL;
	}
	if (l->ncpus > KSPAWN_MAX_CPUS ||
	    (l->ncpus && l->cpu != KSPAWN_LOAD_CPU_ANY)) {
		pr_info_ratelimited("load: %u CPUs (at most %d, and then no cpu)\n",
				    l->ncpus, KSPAWN_MAX_CPUS);
		return -EINVAL;
	}
	/* A list entry of -1 would have meant "any CPU", undocumented. */
	for (unsigned int i = 0; i < KSPAWN_MAX_CPUS; i++) {
		if (i < l->ncpus ? l->cpus[i] < nr_cpu_ids : !l->cpus[i])
			continue;
		pr_info_ratelimited("load: cpus[%u] is %u: %s\n", i, l->cpus[i],
				    i < l->ncpus ? "no such CPU" :
				    "set beyond ncpus");
		return -EINVAL;
	}
	if (!memchr(l->cmdline, 0, sizeof(l->cmdline))) {
		pr_info_ratelimited("load: command line not terminated\n");
		return -EINVAL;
	}
	if (!memchr(l->disk_path, 0, sizeof(l->disk_path))) {
		pr_info_ratelimited("load: disk path not terminated\n");
		return -EINVAL;
	}
	if (l->net_mode != KSPAWN_NET_NONE &&
	    l->net_mode != KSPAWN_NET_LOOPBACK &&
	    l->net_mode != KSPAWN_NET_NETDEV) {
		pr_info_ratelimited("load: unknown network mode %u\n",
				    l->net_mode);
		return -EINVAL;
	}
	if (l->ramdisk_bytes > KSPAWN_RAMDISK_MAX_BYTES) {
		pr_info_ratelimited("load: RAM disk of %llu MiB (at most %llu)\n",
				    l->ramdisk_bytes >> 20,
				    KSPAWN_RAMDISK_MAX_BYTES >> 20);
		return -E2BIG;
	}
	if (l->disk_path[0] ? l->ramdisk_bytes :
	    l->flags & KSPAWN_LOAD_WRITEBACK) {
		pr_info_ratelimited("load: %s\n", l->disk_path[0] ?
				    "a disk and a RAM disk: one or the other" :
				    "writeback caching without a disk");
		return -EINVAL;
	}
	return 0;
}

static int ioc_load(struct file *file, unsigned long uarg)
{
	struct kspawn_ioc_load *l;
	void *image = NULL;
	int err;

	l = kmalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	err = arg_in(l, uarg, sizeof(*l)) ?: load_args(l);
	if (err)
		goto out;
	/*
	 * Writable, or refused before anything is made: an instance whose
	 * ID cannot reach its caller is one nobody would stop.
	 */
	err = arg_out(uarg, l, sizeof(*l));
	if (err)
		goto out;
	image = kvmalloc(l->image_size, GFP_KERNEL);
	err = -ENOMEM;
	if (!image)
		goto out;
	err = -EFAULT;
	if (copy_from_user(image, u64_to_user_ptr(l->image), l->image_size))
		goto out;
	err = kspawn_instance_create(l, image, file, &l->id);
	if (!err) {
		/* Made read-only since: undone, unless already started. */
		err = arg_out(uarg, l, sizeof(*l));
		if (err)
			kspawn_instance_unload(l->id, file);
	}
out:
	kvfree(image);
	kfree(l);
	return err;
}

/* Look the instance up and run op on it, holding a reference. */
static int with_instance(unsigned long uarg,
			 int (*op)(struct kspawn_instance *, u32 flags))
{
	struct kspawn_ioc_instance a;
	struct kspawn_instance *in;
	int err = arg_in(&a, uarg, sizeof(a));

	if (err)
		return err;
	in = kspawn_instance_get(a.id);
	if (!in)
		return -ESRCH;
	err = op(in, a.flags);
	kspawn_instance_put(in);
	return err;
}

static int op_start(struct kspawn_instance *in, u32 flags)
{
	return flags ? -EINVAL : kspawn_instance_start(in);
}

static int op_stop(struct kspawn_instance *in, u32 flags)
{
	if (flags & ~KSPAWN_STOP_FORCE)
		return -EINVAL;
	return kspawn_instance_stop(in, flags & KSPAWN_STOP_FORCE);
}

static int op_break(struct kspawn_instance *in, u32 flags)
{
	return flags ? -EINVAL : kspawn_instance_break(in);
}

static int ioc_status(unsigned long uarg)
{
	struct kspawn_ioc_status *st;
	struct kspawn_instance *in;
	int err;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	err = arg_in(st, uarg, sizeof(*st));
	if (err)
		goto out;
	err = -ESRCH;
	in = kspawn_instance_get(st->id);
	if (!in)
		goto out;
	kspawn_instance_status(in, st);
	/*
	 * Put before the copy out: a caller's page may fault for as long as
	 * it likes (userfaultfd, FUSE), and a stop waits for every reference.
	 */
	kspawn_instance_put(in);
	if (st->host_state != KSPAWN_HOST_NONE)
		err = arg_out(uarg, st, sizeof(*st));
out:
	kfree(st);
	return err;
}

static int ioc_list(unsigned long uarg)
{
	u32 ids[KSPAWN_MAX_INSTANCES];
	struct kspawn_ioc_list l;
	int err = arg_in(&l, uarg, sizeof(l));
	int n;

	if (err)
		return err;
	n = kspawn_instance_ids(ids, ARRAY_SIZE(ids));
	if (copy_to_user(u64_to_user_ptr(l.ids), ids,
			 min_t(u32, n, l.max) * sizeof(u32)))
		return -EFAULT;
	l.count = n;
	return arg_out(uarg, &l, sizeof(l));
}

enum io_kind { IO_CONSOLE_READ, IO_CONSOLE_WRITE, IO_DEBUG_READ,
	IO_DEBUG_WRITE };

static u32 io_write(struct kspawn_instance *in, struct byte_ring *h,
		    const char *buf, u32 len)
{
	u32 n = 0;

	mutex_lock(&in->ring_lock);
	if (READ_ONCE(in->state) == KSPAWN_HOST_RUNNING)
		n = byte_ring_write(h, buf, len);
	mutex_unlock(&in->ring_lock);
	return n;
}

/*
 * A read takes what is kept first, and only then looks at the guest's
 * ring: were it to drain the ring at every read, a guest that refills it
 * at once (a flood) would push out of the buffer, read by read, what the
 * same reader was about to take, and one kspawnctl console would print
 * scraps.  The monitor still drains it every few ms.
 */
static u32 io_read(struct kspawn_instance *in, struct kspawn_console *c,
		   char *buf, u32 len)
{
	if (kspawn_console_empty(c))
		kspawn_monitor_poll(in);
	return kspawn_console_take(c, buf, len);
}

static u32 io_move(struct kspawn_instance *in, enum io_kind kind, char *buf,
		   u32 len)
{
	switch (kind) {
	case IO_CONSOLE_READ:
		return io_read(in, &in->console, buf, len);
	case IO_DEBUG_READ:
		return io_read(in, &in->debug, buf, len);
	case IO_CONSOLE_WRITE:
		return io_write(in, &in->con_in, buf, len);
	case IO_DEBUG_WRITE:
		return io_write(in, &in->dbg_in, buf, len);
	}
	return 0;
}

static int ioc_io(unsigned long uarg, enum io_kind kind)
{
	bool out = kind == IO_CONSOLE_READ || kind == IO_DEBUG_READ;
	struct kspawn_instance *in;
	struct kspawn_ioc_io a;
	char *buf;
	int err = arg_in(&a, uarg, sizeof(a));

	if (err)
		return err;
	if (a.gone || a.done)
		return -EINVAL;
	a.len = min_t(u32, a.len, IO_CHUNK);
	buf = kmalloc(IO_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = -EFAULT;
	if (!out && copy_from_user(buf, u64_to_user_ptr(a.buf), a.len))
		goto free;
	in = kspawn_instance_get(a.id);
	if (in) {
		a.done = io_move(in, kind, buf, a.len);
		kspawn_instance_put(in);
	} else {
		/* A stopped guest's last words, for a reader who followed. */
		err = kind == IO_CONSOLE_READ ?
		      kspawn_epitaph_take(a.id, buf, a.len, &a.gone) : -ESRCH;
		if (err < 0)
			goto free;
		a.done = err;
	}
	err = -EFAULT;
	if (out && copy_to_user(u64_to_user_ptr(a.buf), buf, a.done))
		goto free;
	err = arg_out(uarg, &a, sizeof(a));
free:
	kfree(buf);
	return err;
}

static int ioc_cpu(unsigned long uarg, bool reserve)
{
	struct kspawn_ioc_cpu a;
	int err = arg_in(&a, uarg, sizeof(a));

	if (err)
		return err;
	if (a.flags)
		return -EINVAL;
	return reserve ? kspawn_cores_reserve(a.cpu) :
			 kspawn_cores_release(a.cpu);
}

static void mask_out(__u64 *words, const struct cpumask *m)
{
	unsigned int cpu;

	for_each_cpu(cpu, m)
		if (cpu < KSPAWN_CPU_WORDS * 64)
			words[cpu / 64] |= 1ULL << (cpu % 64);
}

static int ioc_cpus(unsigned long uarg)
{
	/* The masks are 1 KiB each with NR_CPUS 8192: not on the stack. */
	struct {
		struct kspawn_ioc_cpus a;
		struct cpumask pooled, busy, doorbells;
	} *t;
	struct kspawn_ioc_cpus *a;
	int err;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	a = &t->a;
	err = arg_in(a, uarg, sizeof(*a));
	if (!err && a->reserved)
		err = -EINVAL;
	if (err)
		goto out;
	memset(a->pooled, 0, sizeof(a->pooled));
	memset(a->busy, 0, sizeof(a->busy));
	memset(a->doorbells, 0, sizeof(a->doorbells));
	kspawn_cores_info(&t->pooled, &t->busy);
	kspawn_doorbell_cpus(&t->doorbells);
	mask_out(a->pooled, &t->pooled);
	mask_out(a->busy, &t->busy);
	mask_out(a->doorbells, &t->doorbells);
	a->nr_cpus = min_t(u32, nr_cpu_ids, KSPAWN_CPU_WORDS * 64);
	err = arg_out(uarg, a, sizeof(*a));
out:
	kfree(t);
	return err;
}

long kspawn_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case KSPAWN_IOC_VERSION:
		return ioc_version(arg);
	case KSPAWN_IOC_LOAD:
		return ioc_load(file, arg);
	case KSPAWN_IOC_START:
		return with_instance(arg, op_start);
	case KSPAWN_IOC_STOP:
		return with_instance(arg, op_stop);
	case KSPAWN_IOC_DEBUG_BREAK:
		return with_instance(arg, op_break);
	case KSPAWN_IOC_STATUS:
		return ioc_status(arg);
	case KSPAWN_IOC_LIST:
		return ioc_list(arg);
	case KSPAWN_IOC_CONSOLE_READ:
		return ioc_io(arg, IO_CONSOLE_READ);
	case KSPAWN_IOC_CONSOLE_WRITE:
		return ioc_io(arg, IO_CONSOLE_WRITE);
	case KSPAWN_IOC_DEBUG_READ:
		return ioc_io(arg, IO_DEBUG_READ);
	case KSPAWN_IOC_DEBUG_WRITE:
		return ioc_io(arg, IO_DEBUG_WRITE);
	case KSPAWN_IOC_RESERVE:
		return ioc_cpu(arg, true);
	case KSPAWN_IOC_RELEASE:
		return ioc_cpu(arg, false);
	case KSPAWN_IOC_CPUS:
		return ioc_cpus(arg);
	default:
		return -ENOTTY;
	}
}
