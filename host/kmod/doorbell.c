// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's doorbell into the host: an interrupt vector on a host CPU
 * that the guest rings with a fixed IPI (physical destination, the CPU's
 * APIC ID), so that a sleeping device thread wakes within microseconds
 * instead of polling.
 *
 * A module cannot claim an IDT vector, but it can allocate an interrupt
 * from x86's vector domain through a child domain of its own (as
 * drivers/pci/controller/vmd.c does for its MSIs): the vector domain picks
 * a free vector on the CPU we ask for, and acks the local APIC for us.
 * The interrupt is not balanced and our chip has no affinity setter, so it
 * cannot move once published.  It lives on CPU 0 (which Linux never
 * gives to a guest) unless the user names another online CPU at load
 * (kspawnctl run --doorbell-cpu): the doorbell's handler, and ksnetN's
 * NAPI with it, then run there.  Such a CPU must stay online while a
 * doorbell lives on it, or the guest's IPIs would go to a dead CPU and
 * its device would sleep for good: a hotplug state of ours refuses to
 * take it offline, as Hyper-V's does for the CPUs its channels interrupt.
 *
 * Linux programs the APIC in its own destination mode (logical, with the
 * flat driver QEMU's small machines get), so the guest is told the
 * physical APIC ID of the CPU in the interrupt's effective affinity, not
 * irqd_cfg()'s dest_apicid.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <asm/hw_irq.h>
#include <asm/irqdomain.h>
#include <asm/smp.h>

#include "kspawn.h"

static struct fwnode_handle *fwnode;
static struct irq_domain *domain;
static int hotplug_state;
/* Doorbells on each CPU; written under doorbells_lock. */
static DEFINE_PER_CPU(unsigned int, doorbells_here);
static DEFINE_MUTEX(doorbells_lock);

/* Teardown of a CPU going offline, on that CPU: refused while it rings. */
static int doorbell_cpu_offline(unsigned int cpu)
{
	unsigned int n = READ_ONCE(per_cpu(doorbells_here, cpu));

	if (!n)
		return 0;
	pr_info_ratelimited("CPU %u takes the doorbell of %u guest(s): it stays online until they stop\n",
			    cpu, n);
	return -EBUSY;
}

static struct irq_chip doorbell_chip = {
	.name = "kspawn-doorbell",
	.irq_ack = irq_chip_ack_parent,
};

static int doorbell_alloc(struct irq_domain *d, unsigned int virq,
			  unsigned int nr, void *arg)
{
	int err = irq_domain_alloc_irqs_parent(d, virq, nr, arg);

	if (err)
		return err;
	for (unsigned int i = 0; i < nr; i++)
		irq_domain_set_info(d, virq + i, virq + i, &doorbell_chip, NULL,
				    handle_edge_irq, NULL, "edge");
	return 0;
}

static const struct irq_domain_ops doorbell_domain_ops = {
	.alloc = doorbell_alloc,
	.free = irq_domain_free_irqs_common,
};

/*
 * Without a hotplug state of our own (the kernel has a few dozen for all
 * modules) nothing would keep a CPU other than 0 online under a doorbell:
 * then every doorbell is on CPU 0, which x86 does not take offline.
 */
int kspawn_doorbell_init(void)
{
	hotplug_state = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
						  "kspawn/doorbell:online",
						  NULL, doorbell_cpu_offline);
	if (hotplug_state < 0) {
		pr_warn("no CPU hotplug state for the doorbells (%d): all on CPU 0\n",
			hotplug_state);
		hotplug_state = 0;
	}
	fwnode = irq_domain_alloc_named_fwnode("kspawn-doorbell");
	if (!fwnode)
		goto err_state;
	domain = irq_domain_create_hierarchy(x86_vector_domain, 0, 0, fwnode,
					     &doorbell_domain_ops, NULL);
	if (!domain)
		goto err_fwnode;
	return 0;

err_fwnode:
	irq_domain_free_fwnode(fwnode);
err_state:
	if (hotplug_state)
		cpuhp_remove_state_nocalls(hotplug_state);
	return -ENOMEM;
}

void kspawn_doorbell_exit(void)
{
	irq_domain_remove(domain);
	irq_domain_free_fwnode(fwnode);
	if (hotplug_state)
		cpuhp_remove_state_nocalls(hotplug_state);
}

/* A guest's doorbell is on cpu (read without a lock: a hint, or rechecked). */
bool kspawn_doorbell_on(unsigned int cpu)
{
	return cpu < nr_cpu_ids && READ_ONCE(per_cpu(doorbells_here, cpu));
}

/* The CPUs with a guest's doorbell now. */
void kspawn_doorbell_cpus(struct cpumask *m)
{
	unsigned int cpu;

	cpumask_clear(m);
	for_each_possible_cpu(cpu)
		if (kspawn_doorbell_on(cpu))
			cpumask_set_cpu(cpu, m);
}

static void release_cpu(unsigned int cpu)
{
	mutex_lock(&doorbells_lock);
	WRITE_ONCE(per_cpu(doorbells_here, cpu),
		   per_cpu(doorbells_here, cpu) - 1);
	mutex_unlock(&doorbells_lock);
}

/*
 * Count a doorbell on cpu if it is online, and keep it if no guest has
 * cpu: from then on cpu stays online (doorbell_cpu_offline() refuses),
 * so the interrupt can be put there without holding the hotplug lock
 * across request_irq().  Counted first, then the guests' CPUs looked at
 * under cores_lock, under which check_claim() looks at the count: of a
 * doorbell and a guest going for the same CPU at once, one sees the
 * other and is refused.  -ENODEV: not online; -EADDRINUSE: a guest's.
 */
static int hold_cpu(unsigned int cpu)
{
	int err = 0;

	if (cpu && !hotplug_state) {
		pr_info_ratelimited("no doorbell on CPU %u: nothing would keep it online (no hotplug state)\n",
				    cpu);
		return -EOPNOTSUPP;
	}
	mutex_lock(&doorbells_lock);
	cpus_read_lock();
	if (cpu < nr_cpu_ids && cpu_online(cpu))
		WRITE_ONCE(per_cpu(doorbells_here, cpu),
			   per_cpu(doorbells_here, cpu) + 1);
	else
		err = -ENODEV;
	cpus_read_unlock();
	mutex_unlock(&doorbells_lock);
	if (err)
		return err;
	if (kspawn_cores_claimed(cpu)) {
		release_cpu(cpu);
		pr_info_ratelimited("CPU %u is a guest's or the pool's: a doorbell needs one Linux keeps\n",
				    cpu);
		return -EADDRINUSE;
	}
	return 0;
}

/*
 * An interrupt on host CPU cpu that runs handler(ctx) in hard-irq context
 * when the guest sends db->vector to db->apic_id.  0, or a negative errno
 * (-ENODEV: cpu is not online; -EADDRINUSE: a guest's; -ENOSPC: no
 * vector free there); the guest then has no doorbell and the host polls, as
 * before ABI 1.2.
 */
int kspawn_doorbell_create(struct kspawn_doorbell *db, const char *name,
			   unsigned int cpu,
			   irqreturn_t (*handler)(int irq, void *ctx),
			   void *ctx)
{
	struct irq_alloc_info info = { .mask = cpumask_of(cpu) };
	struct irq_data *irqd;
	unsigned int where;
	int irq, err;

	err = hold_cpu(cpu);
	if (err)
		return err;
	irq = __irq_domain_alloc_irqs(domain, -1, 1, NUMA_NO_NODE, &info,
				      false, NULL);
	if (irq < 0) {
		release_cpu(cpu);
		return irq;
	}
	irqd = irq_get_irq_data(irq);
	/* Activation must keep it where it was allocated. */
	irq_data_update_affinity(irqd, cpumask_of(cpu));
	err = request_irq(irq, handler, IRQF_NOBALANCING, name, ctx);
	if (err)
		goto err_irq;
	where = cpumask_first(irq_data_get_effective_affinity_mask(irqd));
	if (where != cpu || irqd_cfg(irqd)->vector < FIRST_EXTERNAL_VECTOR) {
		pr_err("%s: no usable vector on CPU %u (got CPU %u)\n", name,
		       cpu, where);
		free_irq(irq, ctx);
		err = -ENXIO;
		goto err_irq;
	}
	db->irq = irq;
	db->ctx = ctx;
	db->cpu = cpu;
	db->vector = irqd_cfg(irqd)->vector;
	db->apic_id = per_cpu(x86_cpu_to_apicid, cpu);
	return 0;

err_irq:
	irq_dispose_mapping(irq);
	release_cpu(cpu);
	return err;
}

void kspawn_doorbell_destroy(struct kspawn_doorbell *db)
{
	if (!db->irq)
		return;
	free_irq(db->irq, db->ctx);
	irq_dispose_mapping(db->irq);
	release_cpu(db->cpu);
	db->irq = 0;
}
