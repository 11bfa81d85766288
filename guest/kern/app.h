/*
 * Apps are linked into the image and chosen by name on the command line.
 * Each registers itself with APP(); the linker gathers the records.
 */
#ifndef KERN_APP_H
#define KERN_APP_H

struct app {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
};

/*
 * The name is kept in the image's KSPAWN_NOTE_APPS note (note.c, the
 * linker script), for kspawnctl run to check --cmdline against; the
 * record points there.
 */
#define APP(id, fn, text)                                                     \
	static const char kspawn_appname_##id[]                               \
		__attribute__((used, section(".kspawn_app_names"),            \
			       aligned(1))) = #id;                            \
	static const struct app app_##id                                      \
		__attribute__((used, section(".kspawn_apps"), aligned(8))) = {  \
			.name = kspawn_appname_##id, .main = fn,              \
			.help = text                                          \
		}

const struct app *app_find(const char *name);
void app_list(void);

/* The value of a KEY=VALUE argument, or def when there is none. */
const char *app_opt(int argc, char **argv, const char *key, const char *def);

#endif
