#ifndef KERN_POWER_H
#define KERN_POWER_H

/* Exit status reported when the guest panics (apps return 0..63). */
#define GUEST_EXIT_PANIC 0x70

/*
 * Stop the guest for good with an exit status: record it in the state
 * record for the host, end QEMU (isa-debug-exit) when booted alone, halt.
 */
void guest_exit(int code) __attribute__((noreturn));

/* Park this CPU forever with interrupts off. */
void cpu_park(void) __attribute__((noreturn));

#endif
