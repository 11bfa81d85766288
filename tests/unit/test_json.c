/*
 * kspawnctl's JSON writer (host/ctl/json.c) on guest text: a guest writes
 * its command line and panic message as any bytes it likes, and --json
 * must still be valid JSON, which is UTF-8.  Well-formed UTF-8 passes as
 * it is; everything else is escaped or becomes U+FFFD.
 *
 * unit-sources: host/ctl/json.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/ctl/json.h"

/* What json_strn makes of the first n bytes of s, as one JSON value. */
static char *render(const char *s, size_t n)
{
	static char buf[512];
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	struct json j;

	assert_non_null(out);
	json_init(&j, out);
	json_strn(&j, NULL, s, n);
	fputc('\0', out);
	fclose(out);
	return buf;
}

#define SAME(in, want) assert_string_equal(render(in, sizeof(in) - 1), want)

static void test_ascii_and_controls(void **state)
{
	(void)state;
	SAME("plain text", "\"plain text\"");
	SAME("q\"b\\", "\"q\\\"b\\\\\"");
	SAME("a\nb\tc", "\"a\\nb\\tc\"");
	SAME("\x1b[2J\x07\x7f", "\"\\u001b[2J\\u0007\\u007f\"");
	/* Up to the NUL, or n bytes, whichever comes first. */
	assert_string_equal(render("ab\0cd", 5), "\"ab\"");
	assert_string_equal(render("abcd", 2), "\"ab\"");
}

static void test_wellformed_utf8_kept(void **state)
{
	(void)state;
	SAME("caf\xc3\xa9", "\"caf\xc3\xa9\"");			/* U+00E9 */
	SAME("\xe2\x82\xac", "\"\xe2\x82\xac\"");			/* U+20AC */
	SAME("\xf0\x9f\x90\xa7", "\"\xf0\x9f\x90\xa7\"");		/* U+1F427 */
	SAME("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"");		/* ends of 2 */
	SAME("\xe0\xa0\x80\xef\xbf\xbf", "\"\xe0\xa0\x80\xef\xbf\xbf\"");
	SAME("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");		/* U+10FFFF */
}

static void test_malformed_replaced(void **state)
{
	(void)state;
	/* Lone bytes: a continuation, bytes UTF-8 never uses. */
	SAME("a\x80z", "\"a\\ufffdz\"");
	SAME("\xff\xfe", "\"\\ufffd\\ufffd\"");
	/* Overlong forms of '/' and of U+07FF, U+FFFF. */
	SAME("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	SAME("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	SAME("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* A surrogate, and beyond U+10FFFF. */
	SAME("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	SAME("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	SAME("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* A sequence cut short by the text's end, by a NUL, by n. */
	SAME("x\xe2\x82", "\"x\\ufffd\\ufffd\"");
	assert_string_equal(render("\xe2\x82\0\xac", 4), "\"\\ufffd\\ufffd\"");
	assert_string_equal(render("\xe2\x82\xac", 2), "\"\\ufffd\\ufffd\"");
	/* A good start with a bad continuation: the ASCII after it stays. */
	SAME("\xc3" "A", "\"\\ufffdA\"");
}

/*
 * Any bytes at all: the output holds no byte below 0x20 and decodes as
 * UTF-8 by a second, independent reading (the decoder's rules).
 */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned int cp, len;

		if (*s < 0x80) {
			s++;
			continue;
		}
		len = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc0 ? 2 : 0;
		if (!len || *s >= 0xf8)
			return 0;
		cp = *s & (0x7f >> len);
		for (unsigned int i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += len;
	}
	return 1;
}

static void test_random_bytes_valid(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 20000; round++) {
		unsigned char in[24];
		const unsigned char *out;

		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (unsigned char)(rand() % 3 ? 0x80 + rand() % 0x80 :
						 1 + rand() % 0x7f);
		out = (const unsigned char *)render((const char *)in, sizeof(in));
		for (const unsigned char *p = out; *p; p++)
			assert_true(*p >= 0x20);
		assert_true(valid_utf8(out));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_and_controls),
		cmocka_unit_test(test_wellformed_utf8_kept),
		cmocka_unit_test(test_malformed_replaced),
		cmocka_unit_test(test_random_bytes_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
