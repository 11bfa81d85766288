/*
 * The legacy 8254 PIT, used only as a reference clock to measure the TSC
 * when nobody told us its frequency, and the 8259 PIC, silenced when we
 * own the machine so that its interrupts cannot arrive as exceptions.
 */
#ifndef ARCH_X86_64_PIT_H
#define ARCH_X86_64_PIT_H

#include <stdint.h>

/*
 * TSC ticks during ms milliseconds of PIT channel 2 (gated, speaker off),
 * or 0 if the PIT never finished counting (no PIT on this machine).
 */
uint64_t pit_measure_tsc(unsigned int ms);

/* Mask every line of both 8259 PICs (standalone boot only). */
void pic_mask_all(void);

#endif
