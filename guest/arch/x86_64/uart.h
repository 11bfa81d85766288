#ifndef ARCH_X86_64_UART_H
#define ARCH_X86_64_UART_H

#include <stddef.h>
#include <stdint.h>

/* 16550 UARTs at their legacy I/O ports. */
#define COM1 0x3f8	/* the console when booted alone */
#define COM2 0x2f8	/* the gdb stub's line when booted alone */

void uart_init(uint16_t port);
void uart_write(uint16_t port, const char *s, size_t n);	/* \n -> \r\n */
void uart_write_raw(uint16_t port, const char *s, size_t n);
int uart_getc(uint16_t port);	/* -1 when no byte is waiting */

#endif
