/*
 * The periodic timer tick (HZ per second) and what rides on it: the clock's
 * tick count, the scheduler's time slices and sleepers, and the liveness
 * protocol with the host (heartbeat, polite stop requests).
 */
#ifndef KERN_TICK_H
#define KERN_TICK_H

/* Exit status when the host asked the guest to stop (KSPAWN_REQ_STOP). */
#define GUEST_EXIT_STOPPED 0x71

struct cmdline;

/*
 * Start the tick on this CPU (after apic_init and sched_init), offer the
 * host a stop vector, accept the heartbeat unless the command line says
 * heartbeat=off, and mark the guest RUNNING in the state record.
 */
void tick_init(const struct cmdline *c);

#endif
