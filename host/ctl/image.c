/*
 * Guest image checks done by kspawnctl before it calls the module, so that
 * a wrong image gets a message that says what is wrong with it.  The checks
 * are the module's own (host/loader/elf_check.c, which the module runs
 * again: it trusts no caller); here the file is read and the refusal
 * worded for the command line.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/kspawn_abi.h"
#include "image.h"
#include "term_text.h"

/*
 * What the module takes is bounded by KSPAWN_IMAGE_MAX_BYTES (headers and
 * segments, checked in image_load()); the file may be bigger by its
 * symbols and debug sections, which are not sent.  Reading it is bounded
 * all the same.
 */
#define IMAGE_FILE_MAX (4 * KSPAWN_IMAGE_MAX_BYTES)

static enum image_error fail(struct image *img, enum image_error e,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(img->error, sizeof(img->error), fmt, ap);
	va_end(ap);
	return e;
}

static enum image_error read_file(struct image *img, const char *path)
{
	enum image_error e;
	struct stat st;
	size_t done = 0;
	ssize_t n;
	/*
	 * Nonblocking: a FIFO would block the open until a writer came;
	 * it is refused by fstat() below, as a directory is.  (A stat()
	 * before a blocking open could look at another file than it opens.)
	 * A regular file's reads do not heed O_NONBLOCK.
	 */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return fail(img, IMAGE_ERR_IO, "cannot open: %s",
			    strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return fail(img, IMAGE_ERR_IO, "cannot read: %s",
			    strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {	/* a directory, a FIFO: no image */
		close(fd);
		return fail(img, IMAGE_ERR_FORMAT, "not a regular file");
	}
	if ((uint64_t)st.st_size > IMAGE_FILE_MAX) {
		close(fd);
		return fail(img, IMAGE_ERR_FORMAT,
			    "%lld bytes, more than kspawnctl reads of an image file (%llu MiB)",
			    (long long)st.st_size,
			    (unsigned long long)(IMAGE_FILE_MAX >> 20));
	}
	img->size = (size_t)st.st_size;
	/*
	 * A byte more than its size is asked for: a file that holds more (a
	 * /proc file says 0 bytes whatever it has; one still being written
	 * has grown) is refused, as one that ends short (a /sys file says
	 * 4096) is, not taken as empty or cut at the size it said.
	 */
	img->data = malloc(img->size + 1);
	if (!img->data) {
		close(fd);
		return fail(img, IMAGE_ERR_IO, "out of memory to read it");
	}
	do {
		n = read(fd, img->data + done, img->size + 1 - done);
		if (n > 0)
			done += (size_t)n;
	} while ((n > 0 && done <= img->size) || (n < 0 && errno == EINTR));
	if (n || done != img->size) {
		if (n > 0)
			e = fail(img, IMAGE_ERR_IO,
				 "cannot read: it holds more than the %zu bytes its size says (a file of /proc or /sys, or one still being written)",
				 img->size);
		else
			e = fail(img, IMAGE_ERR_IO, "cannot read: %s",
				 n ? strerror(errno) : "short read");
		close(fd);
		/* Not a half-read buffer for anyone to send. */
		image_free(img);
		return e;
	}
	close(fd);
	return IMAGE_OK;
}

/* The checker's reason, worded for the command line. */
static enum image_error refused(struct image *img, int err, const char *why)
{
	const struct elf_check_info *info = &img->info;

	switch (-err) {
	case EPROTO:
		return fail(img, IMAGE_ERR_ABI,
			    "image built for kspawn ABI %u.%u; this kspawnctl speaks ABI %u.x (%u.%u): rebuild the image or use a matching kspawn",
			    info->abi_major, info->abi_minor, KSPAWN_ABI_MAJOR,
			    KSPAWN_ABI_MAJOR, KSPAWN_ABI_MINOR);
	case E2BIG:
		return fail(img, IMAGE_ERR_REGION, "%s (--mem)", why);
	default:
		return fail(img, IMAGE_ERR_FORMAT, "%s", why);
	}
}

/*
 * The file's bytes anything in it points at: the headers and every
 * segment.  What follows (symbols, debug sections, section headers) is
 * of no use to the module, yet would be copied into the kernel at every
 * spawn: several times the loaded image for a guest built with symbols.
 */
static size_t used_size(const struct image *img)
{
	Elf64_Ehdr eh;
	uint64_t end;

	memcpy(&eh, img->data, sizeof(eh));
	end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img->data + eh.e_phoff + i * sizeof(ph),
		       sizeof(ph));
		if (ph.p_offset + ph.p_filesz > end)
			end = ph.p_offset + ph.p_filesz;
	}
	if (end < sizeof(eh))
		end = sizeof(eh);
	return end < img->size ? (size_t)end : img->size;
}

enum image_error image_load(struct image *img, const char *path,
			    uint64_t *region_size)
{
	char why[ELF_CHECK_WHY_MAX];
	enum image_error e;
	size_t used;
	int err;

	memset(img, 0, sizeof(*img));
	e = read_file(img, path);
	if (e)
		return e;
	/*
	 * Said as what it is: "bad magic" would have the user look for
	 * wrong bytes in a file that has none (a build or copy cut short).
	 * The buffer stays, for --no-verify to send to the module.
	 */
	if (!img->size)
		return fail(img, IMAGE_ERR_FORMAT,
			    "empty file (0 bytes), not a kspawn guest image");
	/* The image alone first: the region it gets may follow from its note. */
	err = elf_check(img->data, img->size, 0, &img->info, why, sizeof(why));
	if (err)
		return refused(img, err, why);
	/* Before the region: no --mem would help. */
	used = used_size(img);
	if (used > KSPAWN_IMAGE_MAX_BYTES)
		return fail(img, IMAGE_ERR_FORMAT,
			    "%zu bytes of headers and segments, more than the %llu (%llu MiB) a guest image may have",
			    used,
			    (unsigned long long)KSPAWN_IMAGE_MAX_BYTES,
			    (unsigned long long)(KSPAWN_IMAGE_MAX_BYTES >> 20));
	if (!*region_size)
		*region_size = elf_check_region(0, &img->info);
	/* Then for the region the module will give it. */
	err = elf_check(img->data, img->size,
			elf_check_region(*region_size, &img->info), &img->info,
			why, sizeof(why));
	if (err)
		return refused(img, err, why);
	/* Checked whole: the headers and segments are inside the file. */
	img->size = used;
	err = elf_check(img->data, img->size,
			elf_check_region(*region_size, &img->info), &img->info,
			why, sizeof(why));
	return err ? refused(img, err, why) : IMAGE_OK;
}

void image_free(struct image *img)
{
	free(img->data);
	img->data = NULL;
}

/*
 * name at out (size bytes, at least 1), for a message: an image's bytes,
 * so only printable ASCII.  Its length; *cut set if it did not fit.
 */
static size_t put_name(char *out, size_t size, const char *name, int *cut)
{
	size_t n = 0;

	for (; *name && n + 1 < size; name++)
		out[n++] = term_ascii((unsigned char)*name);
	out[n] = 0;
	*cut |= *name != 0;
	return n;
}

int image_has_app(const struct image *img, const char *app, char *apps,
		  size_t size)
{
	const char *name = (const char *)img->data + img->info.apps_off;
	const char *end = name + img->info.apps_size;
	size_t used = 0;
	int cut = 0;

	if (!img->info.apps_off)
		return 1;
	/* elf_check() saw the list end in a NUL: each name is a string. */
	for (const char *n = name; n < end; n += strlen(n) + 1)
		if (!strcmp(n, app))
			return 1;
	if (!size)
		return 0;
	snprintf(apps, size, "none");
	for (const char *n = name; n < end && !cut; n += strlen(n) + 1) {
		if (n != name)
			used += put_name(apps + used, size - used, ", ", &cut);
		used += put_name(apps + used, size - used, n, &cut);
	}
	/* Said, not a last name that looks whole. */
	if (cut && size > 4)
		memcpy(apps + size - 4, "...", 4);
	return 0;
}
