// SPDX-License-Identifier: GPL-2.0
/*
 * Which cores guests may have, and which they have.
 *
 * A core is either taken from Linux for one guest (remove_cpu() at start,
 * add_cpu() at stop), or it is in the pool: reserved once with
 * `kspawnctl reserve` (or the reserve= module parameter), kept offline and
 * parked between guests, and given back only on `kspawnctl release` or
 * rmmod.  Spawning on a pooled core does no CPU hotplug at all, which is
 * most of a spawn's time otherwise.  Pooled cores are guarded (cpu.c) for
 * as long as they are in the pool.
 *
 * cores_lock covers the three masks; hotplug itself runs without it, the
 * core marked as moving meanwhile so nobody else touches it.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/mutex.h>

#include "kspawn.h"

static DEFINE_MUTEX(cores_lock);
static struct cpumask claimed;		/* named by an instance */
static struct cpumask pool;		/* reserved: offline, parked, guarded */
static struct cpumask moving;		/* being reserved or released */

bool kspawn_cores_pooled(unsigned int cpu)
{
	return cpumask_test_cpu(cpu, &pool);
}

/*
 * A pooled core nobody claimed and nobody is releasing, the highest; -1 if
 * none.  A core on its way out of the pool is skipped, not chosen and then
 * refused: another free one may be right beside it.
 */
static int free_pooled(void)
{
	int cpu, best = -1;

	for_each_cpu(cpu, &pool)
		if (!cpumask_test_cpu(cpu, &claimed) &&
		    !cpumask_test_cpu(cpu, &moving))
			best = cpu;
	return best;
}

static int check_claim(int want)
{
	int err;

	if (want < 0 || want >= nr_cpu_ids) {
		pr_info_ratelimited("refused: no CPU %d\n", want);
		return -EINVAL;
	}
	if (cpumask_test_cpu(want, &claimed)) {
		pr_info_ratelimited("refused: CPU %d already belongs to an instance\n",
				    want);
		return -EBUSY;
	}
	if (cpumask_test_cpu(want, &moving)) {
		pr_info_ratelimited("refused: CPU %d is being reserved or released\n",
				    want);
		return -EBUSY;
	}
	if (cpumask_test_cpu(want, &pool))
		return 0;
	err = kspawn_cpu_check(want);
	if (!err && kspawn_doorbell_on(want)) {
		pr_info_ratelimited("refused: CPU %d takes a guest's doorbell (--doorbell-cpu): it stays with Linux until that guest stops\n",
				    want);
		err = -EBUSY;
	}
	return err;
}

/*
 * Claim a core for a new instance: want, or with KSPAWN_LOAD_CPU_ANY a
 * free pooled core, else the highest online one Linux can spare other
 * than avoid (the instance's doorbell CPU to be, or -1).
 */
int kspawn_cores_claim(int want, int avoid, unsigned int *cpu)
{
	/* cores_lock: a mask of NR_CPUS bits is 1 KiB, too big a frame. */
	static struct cpumask busy;
	int err;

	mutex_lock(&cores_lock);
	if (want == KSPAWN_LOAD_CPU_ANY) {
		cpumask_or(&busy, &claimed, &moving);
		if (avoid >= 0 && avoid < nr_cpu_ids)
			cpumask_set_cpu(avoid, &busy);
		want = free_pooled();
		if (want < 0)
			want = kspawn_cpu_pick(&busy);
		if (want < 0) {
			pr_info_ratelimited("refused: no CPU to spare (CPU 0 and the last online CPU stay with Linux)\n");
			err = -EBUSY;
			goto out;
		}
	}
	err = check_claim(want);
	if (!err) {
		cpumask_set_cpu(want, &claimed);
		*cpu = want;
	}
out:
	mutex_unlock(&cores_lock);
	return err;
}

void kspawn_cores_unclaim(unsigned int cpu)
{
	mutex_lock(&cores_lock);
	cpumask_clear_cpu(cpu, &claimed);
	mutex_unlock(&cores_lock);
}

/* Mark cpu moving if it is in the state want_pooled and unclaimed. */
static int start_move(unsigned int cpu, bool want_pooled)
{
	int err = 0;

	if (cpu >= nr_cpu_ids || !cpu_present(cpu))
		return -EINVAL;
	mutex_lock(&cores_lock);
	if (cpumask_test_cpu(cpu, &claimed) || cpumask_test_cpu(cpu, &moving))
		err = -EBUSY;
	else if (cpumask_test_cpu(cpu, &pool) != want_pooled)
		err = want_pooled ? -ENOENT : -EALREADY;
	else
		cpumask_set_cpu(cpu, &moving);
	mutex_unlock(&cores_lock);
	return err;
}

static void end_move(unsigned int cpu, bool pooled)
{
	mutex_lock(&cores_lock);
	cpumask_clear_cpu(cpu, &moving);
	if (pooled)
		cpumask_set_cpu(cpu, &pool);
	else
		cpumask_clear_cpu(cpu, &pool);
	mutex_unlock(&cores_lock);
}

int kspawn_cores_reserve(unsigned int cpu)
{
	int err;

	/*
	 * Its offline would be refused (doorbell_cpu_offline()) only after
	 * Linux tore down and rebuilt the CPU's every hotplug state: refused
	 * here, before any of that, however often it is asked.
	 */
	if (kspawn_doorbell_on(cpu)) {
		pr_info_ratelimited("reserve CPU %u: it takes a guest's doorbell (--doorbell-cpu)\n",
				    cpu);
		return -EBUSY;
	}
	err = start_move(cpu, false);
	if (err) {
		pr_info_ratelimited("reserve CPU %u: %s\n", cpu,
				    err == -EALREADY ? "already reserved" :
				    err == -EBUSY ? "an instance has it" : "no such CPU");
		return err;
	}
	err = kspawn_cpu_check(cpu) ?: kspawn_cpu_take(cpu);
	if (!err)
		pr_info("CPU %u reserved for guests\n", cpu);
	end_move(cpu, !err);
	return err;
}

int kspawn_cores_release(unsigned int cpu)
{
	int err = start_move(cpu, true);

	if (err) {
		pr_info_ratelimited("release CPU %u: %s\n", cpu,
				    err == -ENOENT ? "not reserved" :
				    err == -EBUSY ? "an instance has it" : "no such CPU");
		return err;
	}
	if (kspawn_test_release_delay_ms)
		msleep(min(kspawn_test_release_delay_ms, 10000U));
	kspawn_cpu_unguard(cpu);
	err = kspawn_cpu_give_back(cpu);
	if (err)
		kspawn_cpu_guard(cpu);
	else
		pr_info("CPU %u released to Linux\n", cpu);
	end_move(cpu, err != 0);
	return err;
}

/* rmmod, after every instance stopped: the pool goes back to Linux. */
void kspawn_cores_release_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (kspawn_cores_pooled(cpu))
			kspawn_cores_release(cpu);
}

/* busy: claimed, or on its way into or out of the pool (no spawn takes it). */
void kspawn_cores_info(struct cpumask *pooled, struct cpumask *busy)
{
	mutex_lock(&cores_lock);
	cpumask_copy(pooled, &pool);
	cpumask_or(busy, &claimed, &moving);
	mutex_unlock(&cores_lock);
}

/* cpu belongs to an instance, or is in the pool or on its way there. */
bool kspawn_cores_claimed(unsigned int cpu)
{
	bool ours;

	mutex_lock(&cores_lock);
	ours = cpumask_test_cpu(cpu, &claimed) || cpumask_test_cpu(cpu, &pool) ||
	       cpumask_test_cpu(cpu, &moving);
	mutex_unlock(&cores_lock);
	return ours;
}
