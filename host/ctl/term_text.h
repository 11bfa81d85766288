/* A guest's console bytes made safe for a terminal (term_text.c). */
#ifndef KSPAWNCTL_TERM_TEXT_H
#define KSPAWNCTL_TERM_TEXT_H

#include <stddef.h>

struct term_text {
	int utf8;			/* the terminal reads UTF-8 */
	unsigned char seq[4];		/* a UTF-8 character so far */
	unsigned char lo, hi;		/* its second byte's range */
	unsigned int have, want;
};

/*
 * Does the user's terminal read UTF-8, by the locale's variables
 * (LC_ALL, then LC_CTYPE, then LANG: the first one set)?  getenv_fn is
 * getenv, or a test's.
 */
int term_text_utf8(char *(*getenv_fn)(const char *));

/* Start with nothing carried over; utf8 as term_text_utf8() says. */
void term_text_init(struct term_text *t, int utf8);

/*
 * The n bytes at in for the terminal, every byte that could make it act
 * shown as '?', into out: at most n + 3 bytes, how many returned.  A
 * UTF-8 character cut between two calls is carried in t.
 */
size_t term_text(struct term_text *t, const char *in, size_t n, char *out);

/* What t still holds at the end (a character never finished): 0 or 1. */
size_t term_text_end(struct term_text *t, char *out);

/*
 * One byte of text a guest or an image wrote, for a message: printable
 * ASCII as it is, anything else '?', whatever the terminal reads.
 */
static inline char term_ascii(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e ? (char)c : '?';
}

#endif
