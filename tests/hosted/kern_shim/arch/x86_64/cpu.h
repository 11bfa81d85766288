/*
 * Hosted stand-in for the guest's arch/x86_64/cpu.h, for the kernel's
 * virtio drivers (kern_hosted.h): what they use of it, as a Linux program
 * may do it.  A hosted driver is never interrupted, so the interrupt flag
 * is nothing to save.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdint.h>

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline uint64_t irq_save(void)
{
	return 0;
}

static inline void irq_restore(uint64_t flags)
{
	(void)flags;
}

#endif
