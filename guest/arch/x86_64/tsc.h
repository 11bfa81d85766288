/* The TSC's frequency: the one number the guest's clocks are built on. */
#ifndef ARCH_X86_64_TSC_H
#define ARCH_X86_64_TSC_H

#include <stdint.h>
#include "abi/kspawn_abi.h"

/*
 * Find the TSC frequency in kHz: from the ABI header when the host filled
 * it in, else from CPUID leaf 0x15 (exact), else measured against the PIT,
 * else CPUID leaf 0x16 (nominal).  *source says which; 0 if none worked.
 */
uint64_t tsc_find_khz(const struct kspawn_header *hdr, const char **source);

/* The TSC's kHz timed against the PIT; 0 if the PIT did not count. */
uint64_t tsc_pit_khz(void);

#endif
