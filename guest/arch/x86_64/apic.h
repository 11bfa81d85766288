/*
 * The local APIC of this CPU: x2APIC (MSRs) when CPUID offers it, else
 * xAPIC (MMIO).  It delivers the timer tick and inter-processor interrupts,
 * which is also how the host notifies the guest and the guest the host.
 */
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include <stdint.h>
#include "abi/kspawn_abi.h"

/* Fixed vectors, above the range irq_alloc_vector hands out (48..239). */
#define APIC_VEC_TIMER 0xf0
#define APIC_VEC_ERROR 0xfe
#define APIC_VEC_SPURIOUS 0xff

/*
 * Enable this CPU's local APIC from whatever state it is in (the host has
 * just INIT-ed the core; firmware may have left anything), mask every local
 * interrupt source, and install the spurious and error handlers.  When the
 * guest booted alone it also masks the legacy 8259 PIC.
 */
void apic_init(const struct kspawn_header *hdr);

int apic_is_x2apic(void);

/* This CPU's APIC ID (32 bits in x2APIC mode, 8 in xAPIC mode). */
uint32_t apic_id(void);

/* Acknowledge the interrupt being serviced.  Interrupt handlers only. */
void apic_eoi(void);

/*
 * Send a fixed interrupt with vector (32..255) to the CPU with APIC ID
 * dest (physical destination; may be this CPU).  Safe from any context.
 * Returns 0, or -1 if the vector or destination cannot be encoded.
 */
int apic_send_ipi(uint32_t dest, unsigned int vector);

/*
 * Start the timer in periodic mode at hz interrupts per second on vector.
 * The timer's input clock is input_khz (before the divider) if the host
 * knew it, else (0) it is calibrated against the TSC (time_init must have
 * run).  Returns 0, or -1 if the timer is too slow or too fast for hz.
 */
int apic_timer_start(unsigned int hz, unsigned int vector,
		     uint64_t input_khz);
void apic_timer_stop(void);

/* The timer's input clock after the divider, in Hz (0 before start). */
uint64_t apic_timer_hz(void);

/* The timer's input clock before the divider, in kHz (0 before start). */
uint64_t apic_timer_input_khz(void);

#endif
