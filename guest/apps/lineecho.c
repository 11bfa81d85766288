/*
 * lineecho: the console's input side.  Each line typed into (or piped
 * into) `kspawnctl console ID --input` comes to the app's stdin and is
 * printed back.  A line "end" ends it with how many lines and bytes came
 * before that line and their FNV-1a 64 digest, which a test compares with
 * the digest of what it sent (tests/qemu/fnv64sum).
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "kspawn.h"

#define ECHO_MAX 256		/* a longer line is echoed in pieces */

static int lineecho_main(int argc, char **argv)
{
	uint64_t digest = 0xcbf29ce484222325ULL;	/* FNV-1a offset basis */
	unsigned long lines = 0, bytes = 0;
	char line[ECHO_MAX];
	size_t len = 0;
	int whole = 1;		/* line[] starts a line: it may be "end" */

	(void)argc, (void)argv;
	kprintf("lineecho: ready (a line \"end\" ends)\n");
	for (;;) {
		char c;

		/* read() polls the console ring; it returns one byte here. */
		if (read(STDIN_FILENO, &c, 1) != 1)
			continue;
		line[len++] = c;
		if (c != '\n' && len < sizeof(line))
			continue;
		if (whole && len == 4 && !memcmp(line, "end\n", 4))
			break;
		for (size_t i = 0; i < len; i++)
			digest = (digest ^ (uint8_t)line[i]) *
				 0x100000001b3ULL;	/* FNV-1a prime */
		bytes += len;
		lines += c == '\n';
		kprintf("lineecho: %.*s%s", (int)len, line,
			c == '\n' ? "" : "\n");
		whole = c == '\n';
		len = 0;
	}
	kprintf("lineecho: %lu lines, %lu bytes, digest %016llx\n", lines,
		bytes, (unsigned long long)digest);
	return 0;
}
APP(lineecho, lineecho_main,
    "print back each line of console input (kspawnctl console --input); \"end\" ends");
