/*
 * printf-style formatting for the kernel, independent of newlib so that it
 * is safe in interrupt handlers and panics (no SSE, no locks, no malloc).
 * Portable: also built and tested on Linux (guest/hosted).
 */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink)(void *ctx, const char *s, size_t n);

/*
 * Supports %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#', width and
 * precision (also '*'), and the length modifiers hh h l ll z t j.
 * Returns the number of characters produced.
 */
int format(format_sink sink, void *ctx, const char *fmt, va_list ap);

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
