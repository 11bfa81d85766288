#include <string.h>

#include "kern/app.h"
#include "kern/console.h"

extern const struct app __apps_start[], __apps_end[];

const struct app *app_find(const char *name)
{
	for (const struct app *a = __apps_start; a < __apps_end; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

void app_list(void)
{
	for (const struct app *a = __apps_start; a < __apps_end; a++)
		kprintf("  %-12s %s\n", a->name, a->help);
}

const char *app_opt(int argc, char **argv, const char *key, const char *def)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return def;
}
