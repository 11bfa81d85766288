/*
 * ringbench's RINGBENCH_PHASES=1 counts: where each side's time goes in
 * sidebyside's throughput turns, in TSC cycles per message.  The driver's
 * copy-in, add, get (the virtqueues: exposing the batch, then the get)
 * and kick decision (rte_ring has none); the peer's time in takes that found
 * work, and its empty polls per such take (a peer that waits is not the
 * bottleneck).  Summed over every throughput turn of the run.
 */
#ifndef BENCH_RING_PHASES_H
#define BENCH_RING_PHASES_H

#include <stdint.h>

#define PHASES_SYS 4			/* systems, by ringbench's numbers */

/*
 * The driver's batch step of system s: n messages, and the clock at the
 * start, after copy-in, after add, after get (the end is read here).
 */
void phases_driver(int s, long n, const uint64_t t[4]);

/* One of the peer's polls of s that took n messages (0: empty), from t0. */
void phases_peer(int s, int n, uint64_t t0);

/* One line per system first..last; only once the peer stopped counting. */
void phases_print(const char *const *name, int first, int last);

#endif
