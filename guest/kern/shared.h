/*
 * Access to the shared area described by the ABI header: the guest's view
 * of the structures the host set up (or that pvh.c built locally).
 */
#ifndef KERN_SHARED_H
#define KERN_SHARED_H

#include "abi/kspawn_abi.h"
#include "abi/byte_ring.h"

/* The header this guest booted with; set once by kmain. */
extern struct kspawn_header *kspawn_hdr;

/* Validate the header; returns NULL if fine, else what is wrong. */
const char *shared_check(const struct kspawn_header *hdr);

/*
 * Attach br to the ring at offset off of the shared area: -1 (br detached)
 * if off is 0 or the ring would not fit in the shared area.
 */
int shared_ring(struct kspawn_header *hdr, uint32_t off, struct byte_ring *br);

/* The state record. */
struct kspawn_state *shared_state(void);

/* Guest physical <-> kernel virtual for addresses inside the region. */
uint64_t virt_to_phys(const void *va);
void *phys_to_virt(uint64_t pa);

#endif
