#ifndef KERN_MAIN_H
#define KERN_MAIN_H

#include "abi/kspawn_abi.h"

/* Where both boot paths meet: the PVH path and the kspawn.ko trampoline. */
void kmain(struct kspawn_header *hdr) __attribute__((noreturn));

/*
 * Called by kmain before anything else, while the host may still be
 * starting the other CPUs: a no-op (weak) in every image but the test
 * one, whose hostile app misbehaves here (guest/apps/test/hostile_boot.c).
 */
void hostile_at_boot(struct kspawn_header *hdr);

#endif
