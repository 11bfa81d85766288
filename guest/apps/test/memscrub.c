/*
 * memscrub fill|check: whether a guest can see what the one before it left
 * in memory.  The host scrubs a region when a guest frees it, and the guest
 * trusts that: page_alloc() does not zero a page it has never handed out.
 *
 *   fill   take every free page and write a pattern over it
 *   check  take every free page (none zeroed by us: none handed out yet)
 *          and count the bytes that are not zero
 *
 * Run fill, stop it, then check on the same region (the pool hands out
 * the same chunks first): "memscrub: N KiB checked, 0 nonzero".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"

#define BATCH 16	/* pages a page_alloc() call asks for */

/*
 * Take every free page, BATCH at a time then fewer, and fill each batch
 * with the pattern or count its nonzero bytes.  The pages are kept: the
 * app exits right after.
 */
static int memscrub(int fill)
{
	size_t n = BATCH, pages = 0, bad = 0;

	while (n) {
		uint8_t *p = page_alloc(n);

		if (!p) {
			n /= 2;
			continue;
		}
		if (fill)
			memset(p, 0xa5, n * PAGE_SIZE);
		else
			for (size_t i = 0; i < n * PAGE_SIZE; i++)
				bad += p[i] != 0;
		pages += n;
	}
	if (fill)
		printf("memscrub: %lu KiB filled with 0xa5\n",
		       (unsigned long)(pages * (PAGE_SIZE >> 10)));
	else
		printf("memscrub: %lu KiB checked, %lu nonzero\n",
		       (unsigned long)(pages * (PAGE_SIZE >> 10)),
		       (unsigned long)bad);
	return bad ? 1 : 0;
}

static int memscrub_main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "fill") || !strcmp(argv[1], "check")))
		return memscrub(!strcmp(argv[1], "fill"));
	printf("usage: memscrub fill|check\n");
	return 2;
}
APP(memscrub, memscrub_main, "fill free memory, or check that it is zero");
