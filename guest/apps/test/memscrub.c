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
 *
 *   mark   write 0xa5 over a page of this image's constants, through a
 *          writable alias (the pool keeps an image's read-only pages for
 *          the next guest of that image instead of scrubbing them)
 *   verify count the bytes of that page that are not what the image says
 *
 * Run mark, stop it, then verify on the same region: "memscrub: marker
 * page, 0 bytes changed" (the host found the page changed and copied the
 * image's bytes back).
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

/* A page of constants of its own: whole, so the host keeps it. */
#define MARKER 0x5a
static const uint8_t marker[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE))) = {
	[0 ... PAGE_SIZE - 1] = MARKER
};

static int mark(void)
{
	uint64_t pa = kspawn_hdr->region_base +
		      ((uintptr_t)marker - KSPAWN_VA_REGION);
	volatile uint8_t *w = mmio_map(pa, PAGE_SIZE);

	if (!w) {
		printf("memscrub: cannot map the marker page\n");
		return 1;
	}
	for (size_t i = 0; i < PAGE_SIZE; i++)
		w[i] = 0xa5;
	printf("memscrub: marker page at 0x%llx overwritten with 0x%x\n",
	       (unsigned long long)pa, w[PAGE_SIZE - 1]);
	return 0;
}

static int verify(void)
{
	const volatile uint8_t *m = marker;
	size_t bad = 0;

	for (size_t i = 0; i < PAGE_SIZE; i++)
		bad += m[i] != MARKER;
	printf("memscrub: marker page, %lu bytes changed\n",
	       (unsigned long)bad);
	return bad ? 1 : 0;
}

static int memscrub_main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "fill") || !strcmp(argv[1], "check")))
		return memscrub(!strcmp(argv[1], "fill"));
	if (argc == 2 && !strcmp(argv[1], "mark"))
		return mark();
	if (argc == 2 && !strcmp(argv[1], "verify"))
		return verify();
	printf("usage: memscrub fill|check|mark|verify\n");
	return 2;
}
APP(memscrub, memscrub_main, "fill free memory, or check that it is zero");
