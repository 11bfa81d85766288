/*
 * The periodic timer tick (HZ per second) and what rides on it: the clock's
 * tick count, the scheduler's time slices and sleepers, and the liveness
 * protocol with the host (heartbeat, polite stop requests).
 */
#ifndef KERN_TICK_H
#define KERN_TICK_H

/* Exit status when the host asked the guest to stop (KSPAWN_REQ_STOP). */
#define GUEST_EXIT_STOPPED 0x71

/*
 * Start the tick on this CPU (after apic_init and sched_init), offer the
 * host a stop vector, and mark the guest RUNNING in the state record.
 */
void tick_init(void);

#endif
