// SPDX-License-Identifier: GPL-2.0
/*
 * logreplay: a power cut, replayed from a dm-log-writes log.
 *
 *   logreplay LOG IMAGE [MARK]
 *
 * LOG is the log device of a log-writes target (or a copy of it); IMAGE
 * holds what the data device held when the target was created.  The power
 * goes at the first mark entry whose text is MARK (dmctl message NAME
 * "mark MARK"), else at the end of the log.  What a drive with a volatile
 * write cache must still hold then is written onto IMAGE: every write
 * logged before the last FLUSH before the cut, and FUA writes after it
 * (they bypass the cache).  Other writes after that FLUSH are dropped: a
 * drive may lose them.  The last line says what was applied and dropped.
 *
 * The log format (Documentation/admin-guide/device-mapper/log-writes.rst
 * and the target's own comment), all little-endian: a super block in the
 * first "sectorsize" bytes (the data device's logical block size), then
 * nr_entries entries, each a header in one such sector followed by
 * nr_sectors sectors of the data written (none for a discard, a flush or a
 * mark; a mark's text follows its header in the same sector).  The target
 * logs a write only once a FLUSH after it completed, so the log is already
 * in the order the data became durable.
 *
 * Exit status 0 when the replay was done, 1 on a bad log or I/O error.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The format's own constants, from the documentation above. */
#define LW_MAGIC	0x6a736677736872ULL
#define LW_VERSION	1
#define LW_FLUSH	(1 << 0)
#define LW_FUA		(1 << 1)
#define LW_DISCARD	(1 << 2)
#define LW_MARK		(1 << 3)
#define LW_METADATA	(1 << 4)
#define LW_KNOWN	(LW_FLUSH | LW_FUA | LW_DISCARD | LW_MARK | LW_METADATA)

struct lw_entry {
	uint64_t sector, nr_sectors, flags, data_len;
};

static int logfd, imgfd;
static uint64_t log_size, img_size, sectorsize;
static char *blk;		/* one aligned log sector */
static char *data;		/* aligned, for an entry's data */
static uint64_t data_cap;

static int fail(const char *fmt, const char *what)
{
	fprintf(stderr, "logreplay: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	return 1;
}

/* Read len bytes of the log at off, whole or not at all. */
static int log_read(void *p, uint64_t len, uint64_t off)
{
	uint64_t done = 0;

	if (off > log_size || len > log_size - off)
		return -1;
	while (done < len) {
		ssize_t n = pread(logfd, (char *)p + done, len - done,
				  off + done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static uint64_t size_of(int fd)
{
	struct stat st;
	off_t end;

	if (fstat(fd, &st))
		return 0;
	if (S_ISREG(st.st_mode))
		return st.st_size;
	end = lseek(fd, 0, SEEK_END);
	return end < 0 ? 0 : end;
}

/* The header at off; 0 if it is sound for a log of this size. */
static int entry_at(uint64_t off, struct lw_entry *e)
{
	uint64_t span;

	if (log_read(blk, sectorsize, off))
		return -1;
	memcpy(e, blk, sizeof(*e));
	e->sector = le64toh(e->sector);
	e->nr_sectors = le64toh(e->nr_sectors);
	e->flags = le64toh(e->flags);
	e->data_len = le64toh(e->data_len);
	if (e->flags & ~(uint64_t)LW_KNOWN)
		return -1;
	if (e->flags & LW_MARK)
		return e->data_len <= sectorsize - sizeof(*e) ? 0 : -1;
	/* Where it lands in the image must exist, whole. */
	if (e->nr_sectors > img_size / sectorsize ||
	    e->sector > img_size / sectorsize - e->nr_sectors)
		return -1;
	span = e->flags & LW_DISCARD ? 0 : e->nr_sectors;
	return span <= (log_size - off) / sectorsize - 1 ? 0 : -1;
}

/* The log offset of the entry after e (at off). */
static uint64_t next_entry(uint64_t off, const struct lw_entry *e)
{
	uint64_t span = e->flags & (LW_DISCARD | LW_MARK) ? 0 : e->nr_sectors;

	return off + (1 + span) * sectorsize;
}

/* Put entry e (at off) on the image: its data, or zeroes for a discard. */
static int apply(uint64_t off, const struct lw_entry *e)
{
	uint64_t len = e->nr_sectors * sectorsize;

	if (!len)
		return 0;
	if (len > data_cap) {
		free(data);
		data = NULL;
		if (posix_memalign((void **)&data, 4096, len))
			return -1;
		data_cap = len;
	}
	if (e->flags & LW_DISCARD)
		memset(data, 0, len);
	else if (log_read(data, len, off + sectorsize))
		return -1;
	return pwrite(imgfd, data, len, e->sector * sectorsize) ==
	       (ssize_t)len ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *mark = argc > 3 ? argv[3] : NULL;
	uint64_t nr, off, cut, last_flush = 0, have_flush = 0;
	uint64_t applied = 0, app_sec = 0, fua = 0, dropped = 0, drop_sec = 0;
	struct lw_entry e;
	uint64_t magic, version;
	uint32_t ss;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: logreplay LOG IMAGE [MARK]\n");
		return 1;
	}
	/* The log is a block device written by bios: past any page cache. */
	logfd = open(argv[1], O_RDONLY | O_DIRECT);
	if (logfd < 0 && errno == EINVAL)
		logfd = open(argv[1], O_RDONLY);
	if (logfd < 0)
		return fail("cannot open %s", argv[1]);
	imgfd = open(argv[2], O_RDWR);
	if (imgfd < 0)
		return fail("cannot open %s", argv[2]);
	log_size = size_of(logfd);
	img_size = size_of(imgfd);
	if (posix_memalign((void **)&blk, 4096, 4096) || log_read(blk, 512, 0))
		return fail("cannot read the super block of %s", argv[1]);
	memcpy(&magic, blk, 8);
	memcpy(&version, blk + 8, 8);
	memcpy(&nr, blk + 16, 8);
	memcpy(&ss, blk + 24, 4);
	nr = le64toh(nr);
	sectorsize = le32toh(ss);
	if (le64toh(magic) != LW_MAGIC || le64toh(version) != LW_VERSION)
		return fail("%s is not a dm-log-writes log", argv[1]);
	if (sectorsize < 512 || sectorsize > 4096 ||
	    (sectorsize & (sectorsize - 1)) || nr > log_size / sectorsize)
		return fail("%s has a bad super block", argv[1]);

	/* Where the power goes, and the last FLUSH before it. */
	off = sectorsize;
	for (cut = 0; cut < nr; cut++) {
		if (entry_at(off, &e))
			return fail("bad entry in %s", argv[1]);
		if (mark && (e.flags & LW_MARK) &&
		    e.data_len == strlen(mark) &&
		    !memcmp(blk + sizeof(e), mark, e.data_len))
			break;
		if (e.flags & LW_FLUSH) {
			last_flush = cut;
			have_flush = 1;
		}
		off = next_entry(off, &e);
	}
	if (mark && cut == nr)
		return fail("no mark '%s' in the log", mark);

	off = sectorsize;
	for (uint64_t i = 0; i < cut; i++) {
		int keep;

		if (entry_at(off, &e))
			return fail("bad entry in %s", argv[1]);
		/*
		 * A FLUSH entry's own data (a PREFLUSH write) came after the
		 * cache was flushed: durable only with FUA, like the rest.
		 */
		keep = (have_flush && i < last_flush) || (e.flags & LW_FUA);
		if (!(e.flags & LW_MARK) && e.nr_sectors) {
			if (!keep) {
				dropped++;
				drop_sec += e.nr_sectors;
			} else if (apply(off, &e)) {
				return fail("cannot apply an entry to %s",
					    argv[2]);
			} else {
				applied++;
				app_sec += e.nr_sectors;
				fua += !(have_flush && i < last_flush);
			}
		}
		off = next_entry(off, &e);
	}
	if (fsync(imgfd))
		return fail("cannot sync %s", argv[2]);
	printf("logreplay: %llu entries of %llu bytes, cut at %s (entry %llu), ",
	       (unsigned long long)nr, (unsigned long long)sectorsize,
	       mark ? mark : "the end", (unsigned long long)cut);
	if (have_flush)
		printf("last flush entry %llu; ", (unsigned long long)last_flush);
	else
		printf("no flush before it; ");
	printf("applied %llu writes (%llu sectors, %llu FUA after the flush), dropped %llu (%llu sectors) never flushed\n",
	       (unsigned long long)applied, (unsigned long long)app_sec,
	       (unsigned long long)fua, (unsigned long long)dropped,
	       (unsigned long long)drop_sec);
	return 0;
}
