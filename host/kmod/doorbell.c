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
 * cannot move once published; it lives on CPU 0, which Linux never gives
 * to a guest.
 *
 * Linux programs the APIC in its own destination mode (logical, with the
 * flat driver QEMU's small machines get), so the guest is told the
 * physical APIC ID of the CPU in the interrupt's effective affinity, not
 * irqd_cfg()'s dest_apicid.
 */
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <asm/hw_irq.h>
#include <asm/irqdomain.h>
#include <asm/smp.h>

#include "kspawn.h"

#define DOORBELL_CPU 0

static struct fwnode_handle *fwnode;
static struct irq_domain *domain;

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

int kspawn_doorbell_init(void)
{
	fwnode = irq_domain_alloc_named_fwnode("kspawn-doorbell");
	if (!fwnode)
		return -ENOMEM;
	domain = irq_domain_create_hierarchy(x86_vector_domain, 0, 0, fwnode,
					     &doorbell_domain_ops, NULL);
	if (!domain) {
		irq_domain_free_fwnode(fwnode);
		return -ENOMEM;
	}
	return 0;
}

void kspawn_doorbell_exit(void)
{
	irq_domain_remove(domain);
	irq_domain_free_fwnode(fwnode);
}

/*
 * An interrupt that runs handler(ctx) in hard-irq context when the guest
 * sends db->vector to db->apic_id.  0, or a negative errno (the guest then
 * has no doorbell and the host polls, as before ABI 1.2).
 */
int kspawn_doorbell_create(struct kspawn_doorbell *db, const char *name,
			   irqreturn_t (*handler)(int irq, void *ctx),
			   void *ctx)
{
	struct irq_alloc_info info = { .mask = cpumask_of(DOORBELL_CPU) };
	struct irq_data *irqd;
	int irq, err;
	unsigned int cpu;

	irq = __irq_domain_alloc_irqs(domain, -1, 1, NUMA_NO_NODE, &info,
				      false, NULL);
	if (irq < 0)
		return irq;
	irqd = irq_get_irq_data(irq);
	/* Activation must keep it where it was allocated. */
	irq_data_update_affinity(irqd, cpumask_of(DOORBELL_CPU));
	err = request_irq(irq, handler, IRQF_NOBALANCING, name, ctx);
	if (err) {
		irq_dispose_mapping(irq);
		return err;
	}
	cpu = cpumask_first(irq_data_get_effective_affinity_mask(irqd));
	if (cpu >= nr_cpu_ids || irqd_cfg(irqd)->vector < FIRST_EXTERNAL_VECTOR) {
		pr_err("%s: no usable vector (CPU %u)\n", name, cpu);
		free_irq(irq, ctx);
		irq_dispose_mapping(irq);
		return -ENXIO;
	}
	db->irq = irq;
	db->ctx = ctx;
	db->vector = irqd_cfg(irqd)->vector;
	db->apic_id = per_cpu(x86_cpu_to_apicid, cpu);
	return 0;
}

void kspawn_doorbell_destroy(struct kspawn_doorbell *db)
{
	if (!db->irq)
		return;
	free_irq(db->irq, db->ctx);
	irq_dispose_mapping(db->irq);
	db->irq = 0;
}
