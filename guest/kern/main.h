#ifndef KERN_MAIN_H
#define KERN_MAIN_H

#include "abi/kspawn_abi.h"

/* Where both boot paths meet: the PVH path and the kspawn.ko trampoline. */
void kmain(struct kspawn_header *hdr) __attribute__((noreturn));

#endif
