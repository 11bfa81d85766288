/*
 * PIT channel 2 as a stopwatch.  Channel 2 drives the PC speaker and is
 * the one channel nobody else relies on after boot: its gate and output
 * are visible in port 0x61, so we can count without any interrupt.
 */
#include "arch/x86_64/pit.h"
#include "arch/x86_64/cpu.h"

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xb0	/* channel 2, lo/hi, mode 0, binary */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

/* Enough polls for far more than 50 ms of port reads on any machine. */
#define PIT_POLL_LIMIT 50000000UL

uint64_t pit_measure_tsc(unsigned int ms)
{
	uint32_t count = PIT_HZ / 1000 * ms;
	uint64_t start, end;
	unsigned long polls = 0;

	if (!ms || count > 0xffff)
		return 0;
	/* Gate high, speaker off; mode 0 output stays low until count is 0. */
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);	/* counting starts with this write */
	start = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2)) {
		if (++polls > PIT_POLL_LIMIT)
			return 0;
	}
	end = rdtsc();
	return end - start;
}

void pic_mask_all(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
