/*
 * JSON for scripts (--json).  Keys are NULL inside arrays.  Numbers that
 * are addresses go out as "0x..." strings: JSON numbers lose precision
 * above 2^53 in most readers.
 */
#include <inttypes.h>

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first = 1;
}

/*
 * The length of the well-formed UTF-8 sequence at s (at most n bytes), or
 * 0 if there is none there: no overlong forms, no surrogates, nothing
 * above U+10FFFF (RFC 3629).  Guest text is any bytes; JSON is Unicode.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * A JSON string of the first n bytes of s (up to a NUL).  Control bytes
 * are escaped; a byte that does not start well-formed UTF-8 becomes
 * U+FFFD, so the output is always valid JSON whatever the guest wrote.
 */
static void put_escaped(FILE *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end = 0;

	while (end < n && u[end])
		end++;
	fputc('"', out);
	for (size_t i = 0; i < end; i++) {
		unsigned char c = u[i];
		size_t len;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, out);
		} else if ((len = utf8_len(u + i, end - i))) {
			fwrite(u + i, 1, len, out);
			i += len - 1;
		} else {
			fputs("\\ufffd", out);
		}
	}
	fputc('"', out);
}

static void member(struct json *j, const char *key)
{
	if (!j->first)
		fputc(',', j->out);
	j->first = 0;
	if (j->depth) {
		fputc('\n', j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	if (key) {
		put_escaped(j->out, key, (size_t)-1);
		fputs(": ", j->out);
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	member(j, key);
	fputc(bracket, j->out);
	j->depth++;
	j->first = 1;
}

void json_close(struct json *j, char bracket)
{
	j->depth--;
	if (!j->first) {
		fputc('\n', j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	fputc(bracket, j->out);
	j->first = 0;
}

void json_strn(struct json *j, const char *key, const char *val, size_t n)
{
	member(j, key);
	put_escaped(j->out, val, n);
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_strn(j, key, val, (size_t)-1);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->out, "%" PRIu64, val);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
	member(j, key);
	fprintf(j->out, "%" PRId64, val);
}

void json_hex(struct json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->out, "\"0x%" PRIx64 "\"", val);
}

void json_bool(struct json *j, const char *key, int val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

/* The value's end; the caller flushes (for stdout, ctl_flush() at exit). */
void json_end(struct json *j)
{
	fputc('\n', j->out);
}
