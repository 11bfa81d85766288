/* Idle in MWAIT where the host can wake us with a write (kern/wake.c). */
#ifndef KERN_WAKE_H
#define KERN_WAKE_H

struct cmdline;

/* Take the MWAIT wake if the host offers it and the CPU can (mwait=off: no). */
void wake_init(const struct cmdline *c);

/*
 * Wait for something to do: called with interrupts disabled once the
 * caller found nothing ready; returns with them enabled, after the
 * handlers of whatever woke us ran.
 */
void wake_idle(void);

/* One console line of what the wake line did, if it was used. */
void wake_report(void);

#endif
