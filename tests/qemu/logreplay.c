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
 * tests/unit/test_logreplay.c holds it to hand-made logs (LOGREPLAY_LIB:
 * lw_replay() without main()).
 */
#define _GNU_SOURCE
#include <endian.h>
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

/* One replay: the two files, their sizes, and aligned buffers. */
struct lw {
	int logfd, imgfd;
	uint64_t log_size, img_size, sectorsize;
	char *blk;		/* one log sector */
	char *data;		/* an entry's data */
	uint64_t data_cap;
};

struct lw_result {
	uint64_t entries, cut, last_flush;
	int have_flush;
	uint64_t applied, app_sec, fua, dropped, drop_sec;
};

static int lw_err(const char *fmt, const char *what)
{
	fprintf(stderr, "logreplay: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	return 1;
}

/* Read len bytes of the log at off, whole or not at all. */
static int log_read(struct lw *w, void *p, uint64_t len, uint64_t off)
{
	uint64_t done = 0;

	if (off > w->log_size || len > w->log_size - off)
		return -1;
	while (done < len) {
		ssize_t n = pread(w->logfd, (char *)p + done, len - done,
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

/* The header at off into e (its sector in w->blk); 0 if it is sound. */
static int entry_at(struct lw *w, uint64_t off, struct lw_entry *e)
{
	uint64_t ss = w->sectorsize, span;

	if (log_read(w, w->blk, ss, off))
		return -1;
	memcpy(e, w->blk, sizeof(*e));
	e->sector = le64toh(e->sector);
	e->nr_sectors = le64toh(e->nr_sectors);
	e->flags = le64toh(e->flags);
	e->data_len = le64toh(e->data_len);
	if (e->flags & ~(uint64_t)LW_KNOWN)
		return -1;
	if (e->flags & LW_MARK)
		return e->data_len <= ss - sizeof(*e) ? 0 : -1;
	/* Where it lands in the image must exist, whole. */
	if (e->nr_sectors > w->img_size / ss ||
	    e->sector > w->img_size / ss - e->nr_sectors)
		return -1;
	span = e->flags & LW_DISCARD ? 0 : e->nr_sectors;
	return span <= (w->log_size - off) / ss - 1 ? 0 : -1;
}

/* The log offset of the entry after e (at off). */
static uint64_t next_entry(struct lw *w, uint64_t off, const struct lw_entry *e)
{
	uint64_t span = e->flags & (LW_DISCARD | LW_MARK) ? 0 : e->nr_sectors;

	return off + (1 + span) * w->sectorsize;
}

/* Put entry e (at off) on the image: its data, or zeroes for a discard. */
static int apply(struct lw *w, uint64_t off, const struct lw_entry *e)
{
	uint64_t len = e->nr_sectors * w->sectorsize;

	if (len > w->data_cap) {
		free(w->data);
		w->data = NULL;
		w->data_cap = 0;
		if (posix_memalign((void **)&w->data, 4096, len))
			return -1;
		w->data_cap = len;
	}
	if (e->flags & LW_DISCARD)
		memset(w->data, 0, len);
	else if (log_read(w, w->data, len, off + w->sectorsize))
		return -1;
	return pwrite(w->imgfd, w->data, len, e->sector * w->sectorsize) ==
	       (ssize_t)len ? 0 : -1;
}

/* The super block: the entries and their sector size. */
static int read_super(struct lw *w, uint64_t *nr)
{
	uint64_t magic, version;
	uint32_t ss;

	if (log_read(w, w->blk, 512, 0))
		return -1;
	memcpy(&magic, w->blk, 8);
	memcpy(&version, w->blk + 8, 8);
	memcpy(nr, w->blk + 16, 8);
	memcpy(&ss, w->blk + 24, 4);
	*nr = le64toh(*nr);
	w->sectorsize = le32toh(ss);
	if (le64toh(magic) != LW_MAGIC || le64toh(version) != LW_VERSION)
		return -1;
	if (w->sectorsize < 512 || w->sectorsize > 4096 ||
	    (w->sectorsize & (w->sectorsize - 1)) ||
	    *nr > w->log_size / w->sectorsize)
		return -1;
	return 0;
}

/* Where the power goes (entry r->cut), and the last FLUSH before it. */
static int find_cut(struct lw *w, const char *mark, struct lw_result *r)
{
	uint64_t off = w->sectorsize;
	struct lw_entry e;

	for (r->cut = 0; r->cut < r->entries; r->cut++) {
		if (entry_at(w, off, &e))
			return lw_err("bad entry %s", "before the cut");
		if (mark && (e.flags & LW_MARK) &&
		    e.data_len == strlen(mark) &&
		    !memcmp(w->blk + sizeof(e), mark, e.data_len))
			return 0;
		if (e.flags & LW_FLUSH) {
			r->last_flush = r->cut;
			r->have_flush = 1;
		}
		off = next_entry(w, off, &e);
	}
	return mark ? lw_err("no mark '%s' in the log", mark) : 0;
}

static int replay_to_cut(struct lw *w, struct lw_result *r)
{
	uint64_t off = w->sectorsize;
	struct lw_entry e;

	for (uint64_t i = 0; i < r->cut; i++) {
		/*
		 * A FLUSH entry's own data (a PREFLUSH write) came after the
		 * cache was flushed: durable only with FUA, like the rest.
		 */
		int flushed = r->have_flush && i < r->last_flush;

		if (entry_at(w, off, &e))
			return lw_err("bad entry %s", "on replay");
		if (!(e.flags & LW_MARK) && e.nr_sectors) {
			if (!flushed && !(e.flags & LW_FUA)) {
				r->dropped++;
				r->drop_sec += e.nr_sectors;
			} else if (apply(w, off, &e)) {
				return lw_err("cannot apply an entry %s",
					    "to the image");
			} else {
				r->applied++;
				r->app_sec += e.nr_sectors;
				r->fua += !flushed;
			}
		}
		off = next_entry(w, off, &e);
	}
	return fsync(w->imgfd) ? lw_err("cannot sync the %s", "image") : 0;
}

/* The whole replay; 0 and *r filled in, or 1 (said on stderr). */
static int lw_replay(const char *log, const char *img, const char *mark,
		     struct lw_result *r)
{
	struct lw w = { .logfd = -1, .imgfd = -1 };
	struct stat st;
	int err = 1;

	memset(r, 0, sizeof(*r));
	w.logfd = open(log, O_RDONLY);
	if (w.logfd < 0) {
		lw_err("cannot open %s", log);
		goto out;
	}
	/* A log device was written by bios: read it past any page cache. */
	if (!fstat(w.logfd, &st) && S_ISBLK(st.st_mode)) {
		close(w.logfd);
		w.logfd = open(log, O_RDONLY | O_DIRECT);
		if (w.logfd < 0) {
			lw_err("cannot open %s with O_DIRECT", log);
			goto out;
		}
	}
	w.imgfd = open(img, O_RDWR);
	if (w.imgfd < 0) {
		lw_err("cannot open %s", img);
		goto out;
	}
	w.log_size = size_of(w.logfd);
	w.img_size = size_of(w.imgfd);
	if (posix_memalign((void **)&w.blk, 4096, 4096)) {
		lw_err("%s", "out of memory");
		goto out;
	}
	if (read_super(&w, &r->entries)) {
		lw_err("%s is not a sound dm-log-writes log", log);
		goto out;
	}
	if (!find_cut(&w, mark, r) && !replay_to_cut(&w, r))
		err = 0;
out:
	free(w.blk);
	free(w.data);
	if (w.logfd >= 0)
		close(w.logfd);
	if (w.imgfd >= 0)
		close(w.imgfd);
	return err;
}

#ifndef LOGREPLAY_LIB
int main(int argc, char **argv)
{
	struct lw_result r;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: logreplay LOG IMAGE [MARK]\n");
		return 1;
	}
	if (lw_replay(argv[1], argv[2], argc > 3 ? argv[3] : NULL, &r))
		return 1;
	printf("logreplay: %llu entries, cut at %s (entry %llu), ",
	       (unsigned long long)r.entries, argc > 3 ? argv[3] : "the end",
	       (unsigned long long)r.cut);
	if (r.have_flush)
		printf("last flush entry %llu; ",
		       (unsigned long long)r.last_flush);
	else
		printf("no flush before it; ");
	printf("applied %llu writes (%llu sectors, %llu FUA after the flush), dropped %llu (%llu sectors) never flushed\n",
	       (unsigned long long)r.applied, (unsigned long long)r.app_sec,
	       (unsigned long long)r.fua, (unsigned long long)r.dropped,
	       (unsigned long long)r.drop_sec);
	return 0;
}
#endif
