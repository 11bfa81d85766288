/*
 * 16550 UART on COM1: the console when the guest boots alone under QEMU.
 * Polled, 115200 8N1; nothing here sleeps or takes interrupts, so it is safe
 * to call from a panic.
 */
#include "arch/x86_64/uart.h"
#include "arch/x86_64/cpu.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void uart_init(void)
{
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x80);	/* DLAB: set the divisor */
	outb(COM1 + REG_DATA, 1);	/* 115200 baud */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03);	/* 8N1 */
	outb(COM1 + REG_FCR, 0xc7);	/* FIFOs on and cleared */
	outb(COM1 + REG_MCR, 0x03);
}

static void uart_putc(char c)
{
	unsigned int spins = 100000;

	while (!(inb(COM1 + REG_LSR) & LSR_THR_EMPTY) && --spins)
		cpu_relax();
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

int uart_getc(void)
{
	if (!(inb(COM1 + REG_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + REG_DATA);
}
