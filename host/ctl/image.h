/* A guest image read into memory and checked before the module sees it. */
#ifndef KSPAWNCTL_IMAGE_H
#define KSPAWNCTL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Why an image was refused; each maps to its own exit status and message. */
enum image_error {
	IMAGE_OK = 0,
	IMAGE_ERR_IO,		/* cannot open or read the file */
	IMAGE_ERR_FORMAT,	/* not an x86-64 ELF executable */
	IMAGE_ERR_TRUNCATED,	/* headers or segments past the end of the file */
	IMAGE_ERR_LAYOUT,	/* segments or entry not where a guest must be */
	IMAGE_ERR_NOTE,		/* no usable .note.kspawn */
	IMAGE_ERR_ABI,		/* ABI major version differs */
	IMAGE_ERR_REGION,	/* does not fit in the region asked for */
};

struct image {
	uint8_t *data;		/* the whole file */
	size_t size;
	uint64_t entry;
	uint64_t load_end;	/* highest p_paddr + p_memsz: bytes of region */
	uint16_t abi_major;	/* from .note.kspawn */
	uint16_t abi_minor;
	uint32_t min_region_mib;
	char error[256];	/* what was wrong, for the user */
};

/*
 * Read path and check it as far as can be done without the module: an ELF64
 * x86-64 executable whose PT_LOAD segments lie inside the file and inside a
 * region of region_size bytes, with the entry in an executable segment and
 * a .note.kspawn whose ABI major is ours.  A *region_size of 0 becomes
 * the size the image's note asks for.  image_free() in every case.
 */
enum image_error image_load(struct image *img, const char *path,
			    uint64_t *region_size);
void image_free(struct image *img);

#endif
