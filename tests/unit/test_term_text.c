/*
 * kspawnctl console's filter for a terminal (host/ctl/term_text.c): text,
 * UTF-8 and line control pass; escape sequences, other control bytes, C1
 * controls raw or in UTF-8, overlong forms, surrogates, code points past
 * U+10FFFF and stray or cut UTF-8 bytes become '?'; a character split
 * between two reads passes whole, one cut by the end shows as '?'.  On
 * a terminal that does not read UTF-8 every byte from 0x80 on is '?';
 * which one does is the locale's variables' word.
 *
 * unit-sources: host/ctl/term_text.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/ctl/term_text.h"

static int utf8 = 1;		/* the terminal's, for shown() */

/* in through a fresh filter in pieces of at most step bytes, and its end. */
static const char *shown(const char *in, size_t n, size_t step)
{
	static char out[256];
	struct term_text t;
	size_t o = 0;

	term_text_init(&t, utf8);
	assert_true(n + 4 < sizeof(out));
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		size_t w = term_text(&t, in + i, k, out + o);

		assert_true(w <= k + 3);
		o += w;
	}
	o += term_text_end(&t, out + o);
	out[o] = 0;
	return out;
}

#define SHOWN(lit, step) shown(lit, sizeof(lit) - 1, step)

static void test_text_passes(void **state)
{
	(void)state;
	assert_string_equal(SHOWN("hello, world\r\n\ta\bb ~", 64),
			    "hello, world\r\n\ta\bb ~");
	/* é, €, 😀, U+00A0, U+FFFD, U+10FFFF */
	assert_string_equal(SHOWN("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 64),
			    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(SHOWN("\xc2\xa0\xef\xbf\xbd\xf4\x8f\xbf\xbf", 64),
			    "\xc2\xa0\xef\xbf\xbd\xf4\x8f\xbf\xbf");
}

static void test_controls_shown_as_question_marks(void **state)
{
	(void)state;
	/* Clear screen, title, clipboard, cursor query, bell, DEL, NUL. */
	assert_string_equal(SHOWN("\x1b[2J\x1b]0;owned\x07", 64),
			    "?[2J?]0;owned?");
	assert_string_equal(SHOWN("\x1b]52;c;aGk=\x1b\\", 64),
			    "?]52;c;aGk=?\\");
	assert_string_equal(SHOWN("\x1b[6n\x7f\x01\x0b\x0c", 64), "?[6n????");
	assert_string_equal(shown("a\0b", 3, 64), "a?b");
	/* C1: 8-bit CSI raw, and U+009B as UTF-8 (the terminal's too). */
	assert_string_equal(SHOWN("\x9b" "2J", 64), "?2J");
	assert_string_equal(SHOWN("\xc2\x9b" "2J", 64), "??2J");
}

static void test_malformed_utf8(void **state)
{
	(void)state;
	assert_string_equal(SHOWN("\xe9t\xe9", 64), "?t?");	/* Latin-1 */
	assert_string_equal(SHOWN("\xc0\xaf", 64), "??");	/* overlong / */
	assert_string_equal(SHOWN("\xe0\x80\xaf", 64), "???");
	assert_string_equal(SHOWN("\xf0\x80\x80\xaf", 64), "????");
	assert_string_equal(SHOWN("\xed\xa0\x80", 64), "???");	/* surrogate */
	assert_string_equal(SHOWN("\xf4\x90\x80\x80", 64), "????");
	assert_string_equal(SHOWN("\xf5\x80", 64), "??");
	assert_string_equal(SHOWN("\x80\xbf", 64), "??");	/* stray */
	/* Cut by another lead or by ESC: the start is '?', the rest judged. */
	assert_string_equal(SHOWN("\xe2\x82\xc3\xa9", 64), "?\xc3\xa9");
	assert_string_equal(SHOWN("\xe2\x1b[2J", 64), "??[2J");
	/* The edges: U+009F no, U+00A0 and U+D7FF yes, overlong U+FFFF no. */
	assert_string_equal(SHOWN("\xc2\x9f\xc2\xa0", 64), "??\xc2\xa0");
	assert_string_equal(SHOWN("\xed\x9f\xbf\x1f\x20", 64),
			    "\xed\x9f\xbf? ");
	assert_string_equal(SHOWN("\xf0\x8f\xbf\xbf", 64), "????");
}

/* Not a UTF-8 terminal: valid UTF-8 may hold C1 bytes for it. */
static void test_not_utf8(void **state)
{
	(void)state;
	utf8 = 0;
	assert_string_equal(SHOWN("\xc3\x9b" "2J ok \xc3\xa9", 64), "??2J ok ??");
	utf8 = 1;
	assert_string_equal(SHOWN("\xc3\x9b" "2J", 64), "\xc3\x9b" "2J");
}

static int utf8_again(void **state)
{
	(void)state;
	utf8 = 1;
	return 0;
}

static const char *env[3][2];	/* the fake environment, for fake_getenv */

static char *fake_getenv(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (env[i][0] && !strcmp(env[i][0], name))
			return (char *)env[i][1];
	return NULL;
}

static void set_env(const char *all, const char *ctype, const char *lang)
{
	env[0][0] = "LC_ALL", env[0][1] = all;
	env[1][0] = "LC_CTYPE", env[1][1] = ctype;
	env[2][0] = "LANG", env[2][1] = lang;
}

/* LC_ALL, then LC_CTYPE, then LANG: the first one set decides. */
static void test_locale_says(void **state)
{
	(void)state;
	set_env(NULL, NULL, NULL);
	assert_false(term_text_utf8(fake_getenv));		/* C */
	set_env(NULL, NULL, "en_US.UTF-8");
	assert_true(term_text_utf8(fake_getenv));
	set_env(NULL, NULL, "C.utf8");
	assert_true(term_text_utf8(fake_getenv));
	set_env(NULL, "de_DE.ISO-8859-1", "en_US.UTF-8");
	assert_false(term_text_utf8(fake_getenv));
	set_env("POSIX", "en_US.UTF-8", "en_US.UTF-8");
	assert_false(term_text_utf8(fake_getenv));
	set_env("", "C.UTF-8", NULL);				/* "" is unset */
	assert_true(term_text_utf8(fake_getenv));
}

static void test_split_between_reads(void **state)
{
	static const char s[] = "a\xf0\x9f\x98\x80" "b\xe2\x82\xac";

	(void)state;
	for (size_t step = 1; step < sizeof(s); step++)
		assert_string_equal(shown(s, sizeof(s) - 1, step), s);
	/* Cut by the end: one '?' for what never finished. */
	assert_string_equal(SHOWN("ok\xf0\x9f\x98", 1), "ok?");
	assert_string_equal(SHOWN("ok\xf0\x9f\x98", 64), "ok?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_passes),
		cmocka_unit_test(test_controls_shown_as_question_marks),
		cmocka_unit_test(test_malformed_utf8),
		cmocka_unit_test(test_split_between_reads),
		cmocka_unit_test_teardown(test_not_utf8, utf8_again),
		cmocka_unit_test(test_locale_says),
	};

	return cmocka_run_group_tests_name("term_text", tests, NULL, NULL);
}
