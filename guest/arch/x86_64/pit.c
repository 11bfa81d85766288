/*
 * PIT channel 2 as a stopwatch.  Channel 2 drives the PC speaker and is
 * the one channel nobody else relies on after boot: its gate and output
 * are visible in port 0x61, so we can count without any interrupt.
 */
#include "arch/x86_64/pit.h"
#include "arch/x86_64/cpu.h"

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xb0	/* channel 2, lo/hi, mode 0, binary */
#define PIT_CMD_CH2_LATCH 0x80	/* channel 2, latch its count */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

void pit_start(void)
{
	/* Gate high, speaker off; mode 0 output stays low until count is 0. */
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);	/* counting starts with this write */
}

void pit_read(struct pit_reading *r)
{
	uint64_t t0 = rdtsc(), t1;
	uint8_t lo, hi;

	outb(PIT_CMD, PIT_CMD_CH2_LATCH);
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	r->done = !!(inb(PORT_B) & PORT_B_OUT2);
	t1 = rdtsc();
	r->count = (uint16_t)(lo | hi << 8);
	r->tsc = t0 + (t1 - t0) / 2;
	r->spread = t1 - t0;
}

void pic_mask_all(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
