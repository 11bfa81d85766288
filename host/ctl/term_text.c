/*
 * A guest's console bytes made safe for the user's terminal.  The guest
 * is not trusted, and a terminal acts on what it is sent: an escape
 * sequence can clear the screen or rewrite lines already shown (a forged
 * "PASS", a panic hidden), set the title, write the clipboard (OSC 52) or
 * make the terminal answer a query as if the user had typed it, read by
 * the shell once kspawnctl exits.  So what passes is printable ASCII,
 * \n, \r, \t, \b and well-formed UTF-8 from U+00A0 on; every other byte
 * (C0 controls with ESC and BEL, DEL, C1 controls raw or UTF-8 encoded,
 * malformed UTF-8) is shown as '?'.  A UTF-8 character cut between two
 * reads is judged whole: the state carries it over.
 *
 * Only on a terminal that reads UTF-8: one that does not (a Latin-1
 * xterm, the Linux console outside UTF-8 mode) takes the bytes 0x80-0x9f
 * inside valid UTF-8 ("\xc3\x9b" is U+00DB, and 0x9b is CSI there) for
 * C1 controls, so there every byte from 0x80 on is '?'.
 *
 * \r and \b pass: they move the cursor within the guest's own line
 * (cmd_console.c starts its own words on a new line after them).
 */
#define _GNU_SOURCE		/* strcasestr */
#include <stddef.h>
#include <string.h>

#include "term_text.h"

/*
 * The bytes a lead byte starts (1 for a byte that is not a lead), and the
 * range its first continuation byte must fall in: no overlong forms, no
 * surrogates, nothing past U+10FFFF, no C1 control.
 */
static unsigned int lead(unsigned char c, unsigned char *lo,
			 unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		*lo = c == 0xc2 ? 0xa0 : 0x80;	/* U+0080-U+009F: C1 */
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return 1;
}

static int passes(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\n' || c == '\r' ||
	       c == '\t' || c == '\b';
}

int term_text_utf8(char *(*getenv_fn)(const char *))
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv_fn(vars[i]);

		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return 0;
}

void term_text_init(struct term_text *t, int utf8)
{
	memset(t, 0, sizeof(*t));
	t->utf8 = utf8;
}

size_t term_text(struct term_text *t, const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (t->have) {
			unsigned char lo = t->have == 1 ? t->lo : 0x80;
			unsigned char hi = t->have == 1 ? t->hi : 0xbf;

			if (c >= lo && c <= hi) {
				t->seq[t->have++] = c;
				if (t->have == t->want) {
					memcpy(out + o, t->seq, t->have);
					o += t->have;
					t->have = 0;
				}
				continue;
			}
			/*
			 * Cut short: one '?' for the lead and what followed
			 * it; c starts anew.
			 */
			out[o++] = '?';
			t->have = 0;
		}
		t->want = t->utf8 ? lead(c, &t->lo, &t->hi) : 1;
		if (t->want > 1) {
			t->seq[0] = c;
			t->have = 1;
		} else {
			out[o++] = passes(c) ? (char)c : '?';
		}
	}
	return o;
}

size_t term_text_end(struct term_text *t, char *out)
{
	size_t o = 0;

	if (t->have)
		out[o++] = '?';
	t->have = 0;
	return o;
}
