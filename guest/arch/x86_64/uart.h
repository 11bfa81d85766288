#ifndef ARCH_X86_64_UART_H
#define ARCH_X86_64_UART_H

#include <stddef.h>

void uart_init(void);
void uart_write(const char *s, size_t n);
int uart_getc(void);	/* -1 when no byte is waiting */

#endif
