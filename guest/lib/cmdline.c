#include "lib/cmdline.h"

#include <string.h>

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char *next_word(char **pos)
{
	char *p = *pos, *w;

	while (*p && is_space(*p))
		p++;
	if (!*p)
		return NULL;
	w = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*pos = p;
	return w;
}

int cmdline_parse(struct cmdline *c, const char *src, size_t max)
{
	size_t n = 0;
	int cut = 0;
	char *pos, *w, *eq;

	memset(c, 0, sizeof(*c));
	while (n < max && n + 1 < sizeof(c->buf) && src[n]) {
		c->buf[n] = src[n];
		n++;
	}
	if (n < max && src[n] && n + 1 >= sizeof(c->buf))
		cut = 1;
	c->buf[n] = '\0';
	pos = c->buf;
	while ((w = next_word(&pos)) != NULL) {
		eq = strchr(w, '=');
		if (c->argc == 0 && eq && eq != w) {
			if (c->nopts == CMDLINE_MAX_OPTS) {
				cut = 1;
				continue;
			}
			*eq = '\0';
			c->opt_key[c->nopts] = w;
			c->opt_val[c->nopts++] = eq + 1;
		} else if (c->argc < CMDLINE_MAX_ARGS) {
			c->argv[c->argc++] = w;
		} else {
			cut = 1;
		}
	}
	c->argv[c->argc] = NULL;
	return cut ? -1 : 0;
}

const char *cmdline_opt(const struct cmdline *c, const char *key)
{
	for (int i = c->nopts - 1; i >= 0; i--)
		if (strcmp(c->opt_key[i], key) == 0)
			return c->opt_val[i];
	return NULL;
}
