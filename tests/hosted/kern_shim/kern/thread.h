/*
 * Hosted stand-in for the guest's kern/thread.h (newlib and GS-based
 * per-CPU state do not exist in a Linux program): one thread on one CPU,
 * with the fields the virtio drivers read.
 */
#ifndef KERN_THREAD_H
#define KERN_THREAD_H

#include "kern/sched.h"
#include "kern/sync.h"

struct thread {
	int tx_hold;			/* kern/virtio_net.c's batches */
};

struct cpu {
	unsigned int index;
};

struct cpu *this_cpu(void);

#endif
