// SPDX-License-Identifier: GPL-2.0
/*
 * kspawn.ko: spawn a small kernel on a core and memory Linux set aside.
 *
 * The module claims the memory pool and the trampoline page named by its
 * parameters (both reserved on the kernel command line with memmap=),
 * offers /dev/kspawn (ioctl.c) and watches the guests (monitor.c).
 * Unloading stops every guest and gives every core back, and so does a
 * reboot, power-off or kexec; a suspend is refused while guests exist.
 */
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/suspend.h>

#include "kspawn.h"

static char *pool_base = "0";
module_param(pool_base, charp, 0444);
MODULE_PARM_DESC(pool_base, "physical base of the memory pool (memmap=SIZE$BASE), 2 MiB aligned; the pool ends below 4 GiB");

static char *pool_size = "0";
module_param(pool_size, charp, 0444);
MODULE_PARM_DESC(pool_size, "size of the memory pool, e.g. 64M, a multiple of 2 MiB");

static char *trampoline = "0x70000";
module_param(trampoline, charp, 0444);
MODULE_PARM_DESC(trampoline, "physical address of the reserved trampoline page below 1 MiB (memmap=4K$ADDR)");

static char *reserve = "";
module_param(reserve, charp, 0444);
MODULE_PARM_DESC(reserve, "CPUs to reserve for guests at load, e.g. 2-3 (kspawnctl reserve does it later)");

unsigned int kspawn_apic_timer_khz;
module_param_named(apic_timer_khz, kspawn_apic_timer_khz, uint, 0644);
MODULE_PARM_DESC(apic_timer_khz, "local APIC timer input clock passed to guests so they skip calibrating it; 0: learnt once two guests measure the same");

unsigned int kspawn_hang_timeout_ms = 2000;
module_param_named(hang_timeout_ms, kspawn_hang_timeout_ms, uint, 0644);
MODULE_PARM_DESC(hang_timeout_ms, "a booting guest, or a running one that accepted the heartbeat, whose heartbeat stops this long is reported hung");

unsigned int kspawn_stop_timeout_ms = 1000;
module_param_named(stop_timeout_ms, kspawn_stop_timeout_ms, uint, 0644);
MODULE_PARM_DESC(stop_timeout_ms, "how long a polite stop waits for the guest to halt before INIT");

unsigned int kspawn_bounce_budget_kib = 8192;
module_param_named(bounce_budget_kib, kspawn_bounce_budget_kib, uint, 0444);
MODULE_PARM_DESC(bounce_budget_kib, "host memory one disk may hold to bounce a guest's I/O, beyond 128 KiB per request slot; a request bigger than this waits to go alone");

/* Test only: lets tests/qemu/power-loss show that without FLUSH data is lost. */
bool kspawn_test_no_flush;
module_param_named(test_no_flush, kspawn_test_no_flush, bool, 0444);
MODULE_PARM_DESC(test_no_flush, "TEST ONLY: complete FLUSH without syncing the disk (loses data on power loss)");

/* Test only: a start that fails after its guest ran (lifecycle.c). */
unsigned int kspawn_test_fail_starts;
module_param_named(test_fail_starts, kspawn_test_fail_starts, uint, 0644);
MODULE_PARM_DESC(test_fail_starts, "TEST ONLY: this many next starts fail as if the guest's CPU had not reached long mode, after it did and the guest left its boot (2 s at most)");

/* Test only: the pool's scrub thread does nothing (pool.c), as if never run. */
bool kspawn_test_no_scrub_thread;
module_param_named(test_no_scrub_thread, kspawn_test_no_scrub_thread, bool, 0644);
MODULE_PARM_DESC(test_no_scrub_thread, "TEST ONLY: the pool's kspawn-scrub thread scrubs nothing, as if it were never scheduled");

/* Test only: the guest runs before its I/O thread does (io_thread.c). */
unsigned int kspawn_test_io_start_delay_ms;
module_param_named(test_io_start_delay_ms, kspawn_test_io_start_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_io_start_delay_ms, "TEST ONLY: a start wakes the instance's I/O thread (made at load) this many ms after it publishes it, its guest already running (a ring from the guest wakes it sooner)");

/* Test only: a release keeps its core marked moving longer (cores.c). */
unsigned int kspawn_test_release_delay_ms;
module_param_named(test_release_delay_ms, kspawn_test_release_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_release_delay_ms, "TEST ONLY: a pooled core being released stays on its way out of the pool this many ms longer (at most 10 s)");

static int kspawn_release(struct inode *inode, struct file *file)
{
	kspawn_instance_release_owner(file);
	return 0;
}

static const struct file_operations kspawn_fops = {
	.owner = THIS_MODULE,
	.release = kspawn_release,
	.unlocked_ioctl = kspawn_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kspawn_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kspawn",
	.fops = &kspawn_fops,
	.mode = 0600,
	.groups = kspawn_sysfs_groups,
};

static int parse_param(const char *name, const char *val, u64 *out)
{
	char *end;

	*out = memparse(val, &end);
	if (end == val || *end) {
		pr_err("%s=%s: not an address or size\n", name, val);
		return -EINVAL;
	}
	return 0;
}

/* The reserve= parameter: a CPU that cannot be reserved is logged, not fatal. */
static void reserve_at_load(void)
{
	cpumask_var_t want;
	unsigned int cpu;

	if (!*reserve || !zalloc_cpumask_var(&want, GFP_KERNEL))
		return;
	if (cpulist_parse(reserve, want))
		pr_err("reserve=%s: not a CPU list (like 2-3,5)\n", reserve);
	else
		for_each_cpu(cpu, want)
			if (kspawn_cores_reserve(cpu))
				pr_err("reserve=%s: CPU %u stays with Linux\n",
				       reserve, cpu);
	free_cpumask_var(want);
}

bool kspawn_going_down;

/*
 * Reboot, power-off and kexec: a guest's core is offline to Linux, so
 * nothing else stops it.  It would run on through the reboot of a
 * machine that does not reset its cores (kexec above all), writing
 * memory the next kernel may hand out and ringing a vector that means
 * something else there.  Every guest is stopped as at unload (asked,
 * then INIT), and none starts after.
 */
static int kspawn_reboot(struct notifier_block *nb, unsigned long action,
			 void *cmd)
{
	WRITE_ONCE(kspawn_going_down, true);
	pr_notice("going down: stopping every guest\n");
	kspawn_instance_stop_all();
	return NOTIFY_DONE;
}

static struct notifier_block kspawn_reboot_nb = {
	.notifier_call = kspawn_reboot,
};

/*
 * Suspend and hibernation: a guest's cores are offline to Linux, which
 * neither asks them nor waits for them and powers them down under the
 * guest (its device threads are not frozen either).  Refused while any
 * instance exists; none is created until the machine is back.  A restore
 * refused (a boot kernel with guests) loses the image: Linux has reset
 * its signature by then; not a case that arises, as guests start late.
 */
static int kspawn_pm(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	int err;

	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		err = kspawn_instance_suspend(true);
		if (err) {
			pr_notice_ratelimited("suspend refused: guests would lose their cores' power under them; stop them first (kspawnctl list)\n");
			/* EBUSY to the writer of /sys/power/state, not EPERM */
			return notifier_from_errno(err);
		}
		return NOTIFY_OK;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		kspawn_instance_suspend(false);
		return NOTIFY_OK;
	}
	return NOTIFY_DONE;
}

static struct notifier_block kspawn_pm_nb = {
	.notifier_call = kspawn_pm,
};

static int __init kspawn_init(void)
{
	u64 base, size, tramp;
	int err;

	err = parse_param("pool_base", pool_base, &base) ?:
	      parse_param("pool_size", pool_size, &size) ?:
	      parse_param("trampoline", trampoline, &tramp);
	if (err)
		return err;
	err = kspawn_pool_init(base, size);
	if (err)
		return err;
	err = kspawn_trampoline_init(tramp);
	if (err)
		goto err_pool;
	err = kspawn_cpu_guard_init();
	if (err)
		goto err_tramp;
	err = kspawn_doorbell_init();
	if (err)
		goto err_guard;
	err = kspawn_monitor_start();
	if (err)
		goto err_doorbell;
	err = register_reboot_notifier(&kspawn_reboot_nb);
	if (err)
		goto err_monitor;
	err = register_pm_notifier(&kspawn_pm_nb);
	if (err)
		goto err_reboot;
	err = misc_register(&kspawn_misc);
	if (err)
		goto err_pm;
	pr_info("ready: /dev/kspawn, trampoline at %#llx, ABI %u.%u\n", tramp,
		KSPAWN_ABI_MAJOR, KSPAWN_ABI_MINOR);
	reserve_at_load();
	return 0;

err_pm:
	unregister_pm_notifier(&kspawn_pm_nb);
err_reboot:
	unregister_reboot_notifier(&kspawn_reboot_nb);
err_monitor:
	kspawn_monitor_stop();
err_doorbell:
	kspawn_doorbell_exit();
err_guard:
	kspawn_cpu_guard_exit();
err_tramp:
	kspawn_trampoline_exit();
err_pool:
	kspawn_pool_exit();
	return err;
}

static void __exit kspawn_exit(void)
{
	misc_deregister(&kspawn_misc);
	kspawn_monitor_stop();
	/*
	 * The reboot notifier stays until every guest is stopped: a reboot
	 * (a kexec) while a guest takes its stop_timeout_ms must still stop
	 * those not yet stopped.
	 */
	kspawn_instance_stop_all();
	unregister_reboot_notifier(&kspawn_reboot_nb);
	unregister_pm_notifier(&kspawn_pm_nb);
	kspawn_epitaphs_free();
	kspawn_cores_release_all();
	kspawn_doorbell_exit();
	kspawn_cpu_guard_exit();
	kspawn_trampoline_exit();
	kspawn_pool_exit();
}

module_init(kspawn_init);
module_exit(kspawn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Spawn a small kernel on reserved cores and memory, with virtio I/O");
MODULE_AUTHOR("kspawn developers");
