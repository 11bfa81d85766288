#include "lib/format.h"

#include <stdint.h>

struct spec {
	int alt;		/* '#': 0x before hex, 0 before octal */
	int left;
	int zero;
	char sign;		/* '+', ' ' or 0 */
	int width;
	int prec;		/* -1: none */
	int size;		/* 'H' hh, 'h', 0 int, 'l', 'L' ll/j/z/t */
};

static void pad(format_sink sink, void *ctx, char c, int n)
{
	char buf[16];
	int i;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = c;
	while (n > 0) {
		int k = n < (int)sizeof(buf) ? n : (int)sizeof(buf);

		sink(ctx, buf, (size_t)k);
		n -= k;
	}
}

/* Emit body with prefix, honouring width, precision zeros and '-'. */
static int emit(format_sink sink, void *ctx, const struct spec *sp,
		const char *prefix, int plen, const char *body, int blen,
		int zeros)
{
	int total = plen + zeros + blen;
	int fill = sp->width > total ? sp->width - total : 0;

	if (!sp->left && !(sp->zero && sp->prec < 0))
		pad(sink, ctx, ' ', fill);
	if (plen)
		sink(ctx, prefix, (size_t)plen);
	if (!sp->left && sp->zero && sp->prec < 0)
		pad(sink, ctx, '0', fill);
	pad(sink, ctx, '0', zeros);
	sink(ctx, body, (size_t)blen);
	if (sp->left)
		pad(sink, ctx, ' ', fill);
	return total + fill;
}

static int emit_number(format_sink sink, void *ctx, const struct spec *sp,
		       uint64_t v, int neg, unsigned int base, int upper,
		       const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	char pre[4];
	int n = 0, plen = 0, zeros;

	while (v) {
		buf[sizeof(buf) - 1 - n++] = digits[v % base];
		v /= base;
	}
	if (n == 0 && sp->prec != 0)
		buf[sizeof(buf) - 1 - n++] = '0';
	zeros = sp->prec > n ? sp->prec - n : 0;
	if (neg)
		pre[plen++] = '-';
	else if (sp->sign)
		pre[plen++] = sp->sign;
	while (prefix && *prefix)
		pre[plen++] = *prefix++;
	/*
	 * '#' with 'o': a 0 first, unless precision zeros or the digit 0
	 * already are; as a prefix, so that the '0' flag still pads (a
	 * larger precision would turn the padding off).
	 */
	if (base == 8 && sp->alt && !zeros &&
	    (n == 0 || buf[sizeof(buf) - n] != '0'))
		pre[plen++] = '0';
	return emit(sink, ctx, sp, pre, plen, buf + sizeof(buf) - n, n, zeros);
}

static uint64_t get_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int64_t get_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	default:
		return va_arg(*ap, int);
	}
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '#')
			sp->alt = 1;
		else if (*f == '0')
			sp->zero = 1;
		else if (*f == '+')
			sp->sign = '+';
		else if (*f == ' ' && !sp->sign)
			sp->sign = ' ';
		else if (*f != ' ')	/* a ' ' after '+' is a flag too */
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = 1;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	if (f[0] == 'h' && f[1] == 'h') {
		sp->size = 'H';
		f += 2;
	} else if (f[0] == 'l' && f[1] == 'l') {
		sp->size = 'L';
		f += 2;
	} else if (*f == 'h' || *f == 'l') {
		sp->size = *f++;
	} else if (*f == 'z' || *f == 't' || *f == 'j') {
		sp->size = 'L';
		f++;
	}
	return f;
}

static int emit_string(format_sink sink, void *ctx, const struct spec *sp,
		       const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < sp->prec))
		n++;
	return emit(sink, ctx, sp, "", 0, s, n, 0);
}

static int convert(format_sink sink, void *ctx, char c, struct spec *sp,
		   va_list *ap)
{
	char ch;
	int64_t sv;
	uint64_t uv;

	switch (c) {
	case 'd':
	case 'i':
		sv = get_signed(sp, ap);
		return emit_number(sink, ctx, sp,
				   sv < 0 ? -(uint64_t)sv : (uint64_t)sv,
				   sv < 0, 10, 0, NULL);
	case 'u':
		sp->sign = 0;	/* '+' and ' ' are for signed conversions */
		return emit_number(sink, ctx, sp, get_unsigned(sp, ap), 0, 10,
				   0, NULL);
	case 'x':
	case 'X':
		sp->sign = 0;
		uv = get_unsigned(sp, ap);
		return emit_number(sink, ctx, sp, uv, 0, 16, c == 'X',
				   sp->alt && uv ? (c == 'X' ? "0X" : "0x") :
						   NULL);
	case 'o':
		sp->sign = 0;
		return emit_number(sink, ctx, sp, get_unsigned(sp, ap), 0, 8, 0,
				   NULL);
	case 'p':
		sp->sign = 0;
		return emit_number(sink, ctx, sp,
				   (uintptr_t)va_arg(*ap, void *), 0, 16, 0,
				   "0x");
	case 's':
		return emit_string(sink, ctx, sp, va_arg(*ap, const char *));
	case 'c':
		ch = (char)va_arg(*ap, int);
		return emit(sink, ctx, sp, "", 0, &ch, 1, 0);
	default:
		/* %% and unknown conversions are printed as they stand. */
		sink(ctx, &c, 1);
		return 1;
	}
}

int format(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
	va_list args;
	struct spec sp;
	int total = 0;

	va_copy(args, ap);
	while (*fmt) {
		const char *lit = fmt;

		while (*fmt && *fmt != '%')
			fmt++;
		if (fmt != lit) {
			sink(ctx, lit, (size_t)(fmt - lit));
			total += (int)(fmt - lit);
		}
		if (!*fmt)
			break;
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!*fmt)
			break;
		total += convert(sink, ctx, *fmt++, &sp, &args);
	}
	va_end(args);
	return total;
}

struct buf_sink {
	char *buf;
	size_t size;
	size_t len;
};

static void buf_write(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;

	for (size_t i = 0; i < n; i++, b->len++)
		if (b->len + 1 < b->size)
			b->buf[b->len] = s[i];
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { buf, size, 0 };
	int n = format(buf_write, &b, fmt, ap);

	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
