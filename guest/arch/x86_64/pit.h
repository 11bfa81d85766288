/*
 * The legacy 8254 PIT, used only as a reference clock to measure the TSC
 * when nobody told us its frequency, and the 8259 PIC, silenced when we
 * own the machine so that its interrupts cannot arrive as exceptions.
 */
#ifndef ARCH_X86_64_PIT_H
#define ARCH_X86_64_PIT_H

#include <stdint.h>

#define PIT_HZ 1193182		/* the PIT's input clock */

/* A reading of channel 2's count, the TSC read right before and after. */
struct pit_reading {
	uint64_t tsc;		/* midway between the two TSC reads */
	uint64_t spread;	/* TSC ticks between them: the reading's error */
	uint16_t count;		/* down from 0xffff, PIT_HZ a second */
	int done;		/* the count ran out (OUT2 high): it wrapped */
};

/* Channel 2 counting down from 0xffff (55 ms), gated, speaker off. */
void pit_start(void);
void pit_read(struct pit_reading *r);

/* Mask every line of both 8259 PICs (standalone boot only). */
void pic_mask_all(void);

#endif
