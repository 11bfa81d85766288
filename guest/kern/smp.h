/*
 * The guest's other CPUs (ABI 1.3).  The host starts every CPU of
 * kspawn_header.cpu_apic_id[] at the guest's entry; CPUs other than 0
 * wait there until CPU 0 has memory, traps and the scheduler up, then
 * smp_init lets them in one at a time.  Each sets up its own GDT, TSS,
 * local APIC and timer and becomes an idle thread of the scheduler.
 */
#ifndef KERN_SMP_H
#define KERN_SMP_H

#include <stdint.h>

#include "abi/kspawn_abi.h"

/* Fixed vectors, beside the APIC's own (arch/x86_64/apic.h). */
#define SMP_VEC_RESCHED 0xf1	/* look at your run queue */
#define SMP_VEC_HALT 0xf2	/* the guest stops: park */
#define SMP_VEC_FLUSH 0xf3	/* invalidate a page in your TLB */
#define SMP_VEC_GDB 0xf4	/* the gdb stub stops the guest: park */

/* CPU 0, after sched_init and tick_init: bring the others up. */
void smp_init(const struct kspawn_header *hdr);

/* Ask the CPU with APIC ID apic_id to reschedule (from any context). */
void smp_send_resched(uint32_t apic_id);

/*
 * va left the page tables: make every other CPU drop it from its TLB
 * (this one did already).  Interrupts on or off, but no spinlock held.
 */
void smp_flush_tlb_page(uint64_t va);

/* The guest halts or panics: park every other CPU. */
void smp_stop_others(void);

/*
 * Entry of CPU index > 0 once CPU 0 let it in (entry64.S).  It parks,
 * never joining, if CPU 0 gave up waiting for it before it got here.
 */
void smp_ap_main(unsigned int index) __attribute__((noreturn));

/*
 * Called by smp_ap_main on the host's page tables, before CPU index
 * checks in (checked_in 0) and right after it did (1): a no-op (weak) in
 * every image but the test one, whose hostile app holds a CPU back here
 * or hangs it (guest/apps/test/hostile_boot.c).
 */
void hostile_ap_arrives(unsigned int index, int checked_in);

#endif
