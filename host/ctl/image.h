/* A guest image read into memory and checked before the module sees it. */
#ifndef KSPAWNCTL_IMAGE_H
#define KSPAWNCTL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "host/loader/elf_check.h"

/* Why an image was refused; each maps to its own exit status and message. */
enum image_error {
	IMAGE_OK = 0,
	IMAGE_ERR_IO,		/* cannot open or read the file */
	IMAGE_ERR_FORMAT,	/* not a guest image (no file, format, layout,
				 * note) */
	IMAGE_ERR_ABI,		/* ABI major version differs */
	IMAGE_ERR_REGION,	/* does not fit in the region asked for */
};

struct image {
	uint8_t *data;		/* the file */
	size_t size;		/* up to the last byte a header points at */
	struct elf_check_info info;	/* entry, segments, the note's fields */
	char error[256];	/* what was wrong, for the user (after the path) */
};

/*
 * Read path and check it with the module's own checker
 * (host/loader/elf_check.c) for a region of *region_size bytes: a *region_size
 * of 0 becomes the size the image's note asks for.  image_free() in every
 * case.  After IMAGE_ERR_IO, data is NULL: nothing half-read to send.
 */
enum image_error image_load(struct image *img, const char *path,
			    uint64_t *region_size);
void image_free(struct image *img);

/*
 * After IMAGE_OK: does the image's app list (KSPAWN_NOTE_APPS) name app?
 * 1 also for an image without a list (nothing to check against); 0 with
 * the apps it has, ", " between them ("none" if none), in apps (size
 * bytes, at least 5; cut short, it ends in "...").
 */
int image_has_app(const struct image *img, const char *app, char *apps,
		  size_t size);

#endif
