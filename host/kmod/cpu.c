// SPDX-License-Identifier: GPL-2.0
/*
 * Cores for guests: taken from Linux with remove_cpu(), started with
 * INIT-SIPI-SIPI, given back with add_cpu() (whose own INIT-SIPI takes the
 * core back even from code that never cooperates).  CPU 0 and the last
 * online CPU always stay with Linux.
 *
 * While a guest owns a core, the core is guarded: a CPU hotplug state of
 * ours, early in bringup, refuses to let Linux online it (root writing 1
 * to .../cpuN/online would otherwise start Linux on the guest's core), and
 * INIT is sent only to a core Linux does not run.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <asm/apic.h>
#include <asm/processor.h>
#include <asm/smp.h>

#include "kspawn.h"

static struct cpumask guarded;		/* cores guests own now */
static int guard_state;			/* our dynamic hotplug state */

/* 0, or why cpu cannot be given to a guest. */
int kspawn_cpu_check(int cpu)
{
	if (cpu <= 0 || cpu >= nr_cpu_ids || !cpu_present(cpu)) {
		pr_info_ratelimited("CPU %d: not a CPU a guest may have (CPU 0 stays with Linux)\n",
				    cpu);
		return -EINVAL;
	}
	if (!cpu_online(cpu)) {
		pr_info_ratelimited("CPU %d is offline: busy with another guest or taken by someone else\n",
				    cpu);
		return -EBUSY;
	}
	if (num_online_cpus() <= 1) {
		pr_info_ratelimited("CPU %d is the last online CPU\n", cpu);
		return -EBUSY;
	}
	return 0;
}

/*
 * The highest online CPU other than 0, not claimed and without a guest's
 * doorbell, if Linux keeps one.
 */
int kspawn_cpu_pick(const struct cpumask *claimed)
{
	int cpu, best = -1;

	if (num_online_cpus() <= 1)
		return -EBUSY;
	for_each_online_cpu(cpu)
		if (cpu > 0 && !cpumask_test_cpu(cpu, claimed) &&
		    !kspawn_doorbell_on(cpu))
			best = cpu;
	return best > 0 ? best : -EBUSY;
}

/* Bringup of a core, on the CPU asking for it: refuse the guests' cores. */
static int guard_prepare(unsigned int cpu)
{
	if (!cpumask_test_cpu(cpu, &guarded))
		return 0;
	pr_info_ratelimited("CPU %u runs a guest: it stays offline until the guest stops\n",
			    cpu);
	return -EBUSY;
}

int kspawn_cpu_guard_init(void)
{
	int state = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					      "kspawn/guard:prepare",
					      guard_prepare, NULL);

	if (state < 0)
		return state;
	guard_state = state;
	return 0;
}

void kspawn_cpu_guard_exit(void)
{
	cpuhp_remove_state_nocalls(guard_state);
}

void kspawn_cpu_guard(unsigned int cpu)
{
	cpumask_set_cpu(cpu, &guarded);
}

void kspawn_cpu_unguard(unsigned int cpu)
{
	cpumask_clear_cpu(cpu, &guarded);
}

/*
 * Take cpu from Linux, guarded from the start: root writing to its
 * online file between remove_cpu() and a later guard would hand it back
 * to Linux under a guest.  Guarded if and only if it returns 0.
 */
int kspawn_cpu_take(unsigned int cpu)
{
	int err;

	kspawn_cpu_guard(cpu);
	err = remove_cpu(cpu);
	/*
	 * 1: offline already (root took it since kspawn_cpu_check()), not
	 * ours to use, and to our callers' callers a positive return is
	 * success: an ioctl that said 1 for START was taken as started.
	 */
	if (err > 0)
		err = -EBUSY;
	if (err) {
		kspawn_cpu_unguard(cpu);
		pr_warn_ratelimited("CPU %u: Linux would not take it offline (%d)\n",
				    cpu, err);
	}
	return err;
}

int kspawn_cpu_give_back(unsigned int cpu)
{
	int err = add_cpu(cpu);

	/* 1, or online anyway: Linux has it, which is all we wanted. */
	if (err > 0 || cpu_online(cpu))
		return 0;
	/* Rate-limited: a RELEASE or STOP loop may ask again and again. */
	if (err)
		pr_err_ratelimited("CPU %u: add_cpu failed (%d); it stays offline\n",
				   cpu, err);
	return err;
}

u32 kspawn_cpu_apic_id(unsigned int cpu)
{
	return per_cpu(x86_cpu_to_apicid, cpu);
}

/*
 * Linux 6.6 turned the apic callbacks into static calls that modules cannot
 * reach; the apic structure itself stays exported.  Kbuild tests the
 * headers for this (KSPAWN_APIC_STATIC_CALLS), not the version number, so
 * that backports are handled too.
 */
#ifdef KSPAWN_APIC_STATIC_CALLS
static void icr_wait(void)
{
	if (apic->wait_icr_idle)
		apic->wait_icr_idle();
}

static void icr_write(u32 low, u32 apic_id)
{
	apic->icr_write(low, apic_id);
}
#else
static void icr_wait(void)
{
	apic_wait_icr_idle();
}

static void icr_write(u32 low, u32 apic_id)
{
	apic_icr_write(low, apic_id);
}
#endif

/*
 * One ICR write.  Interrupts off: an IPI sent by an interrupt handler on
 * this CPU between our two ICR halves would corrupt both.  In x2APIC mode
 * the write is a WRMSR that need not wait for earlier stores, so the
 * fence Linux's own IPIs take: a guest must not take the interrupt before
 * it can see the used ring entry it announces.
 */
static void icr_send(u32 low, u32 apic_id)
{
	unsigned long flags;

	weak_wrmsr_fence();
	local_irq_save(flags);
	icr_wait();
	icr_write(low, apic_id);
	icr_wait();
	local_irq_restore(flags);
}

/*
 * INIT a guarded core, unless Linux runs it.  The hotplug read lock keeps
 * any bringup from running between the check and the IPI; later ones meet
 * the guard.  -EBUSY if the core is Linux's.
 */
int kspawn_cpu_reset(unsigned int cpu, u32 apic_id)
{
	int err = 0;

	cpus_read_lock();
	if (cpu_online(cpu)) {
		pr_err("CPU %u is online: no INIT to a core Linux runs\n", cpu);
		err = -EBUSY;
	} else {
		icr_send(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT,
			 apic_id);
		icr_send(APIC_INT_LEVELTRIG | APIC_DM_INIT, apic_id);
	}
	cpus_read_unlock();
	return err;
}

/*
 * The MP specification has software wait 10 ms after INIT; Linux skips the
 * wait on the processors that do not need it (Intel family 6 and later,
 * AMD and Hygon family 0xF and later) when it starts its own CPUs, and so
 * does kspawn: on those it is a tenth of a spawn for nothing.
 */
void kspawn_init_settle(void)
{
	const struct cpuinfo_x86 *c = &boot_cpu_data;

	if (c->x86_vendor == X86_VENDOR_INTEL && c->x86 >= 6)
		return;
	if ((c->x86_vendor == X86_VENDOR_AMD ||
	     c->x86_vendor == X86_VENDOR_HYGON) && c->x86 >= 0xF)
		return;
	usleep_range(10000, 11000);
}

void kspawn_send_sipi(u32 apic_id, u64 trampoline_phys)
{
	icr_send(APIC_DM_STARTUP | (trampoline_phys >> PAGE_SHIFT), apic_id);
}

void kspawn_send_ipi(u32 apic_id, u32 vector)
{
	icr_send(APIC_DM_FIXED | APIC_DEST_PHYSICAL | (vector & 0xff),
		 apic_id);
}
