/*
 * 16550 UARTs: the console (COM1) and the gdb line (COM2) when the guest
 * boots alone under QEMU.  Polled, 115200 8N1; nothing here sleeps or takes interrupts, so it is safe
 * to call from a panic.
 */
#include "arch/x86_64/uart.h"
#include "arch/x86_64/cpu.h"

#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void uart_init(uint16_t port)
{
	outb(port + REG_IER, 0x00);
	outb(port + REG_LCR, 0x80);	/* DLAB: set the divisor */
	outb(port + REG_DATA, 1);	/* 115200 baud */
	outb(port + REG_IER, 0);
	outb(port + REG_LCR, 0x03);	/* 8N1 */
	outb(port + REG_FCR, 0xc7);	/* FIFOs on and cleared */
	outb(port + REG_MCR, 0x03);
}

static void uart_putc(uint16_t port, char c)
{
	unsigned int spins = 100000;

	while (!(inb(port + REG_LSR) & LSR_THR_EMPTY) && --spins)
		cpu_relax();
	outb(port + REG_DATA, (uint8_t)c);
}

void uart_write(uint16_t port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(port, '\r');
		uart_putc(port, s[i]);
	}
}

void uart_write_raw(uint16_t port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(port, s[i]);
}

int uart_getc(uint16_t port)
{
	if (!(inb(port + REG_LSR) & LSR_DATA_READY))
		return -1;
	return inb(port + REG_DATA);
}
