/*
 * tests/qemu/logreplay.c, the power cut qemu/power-loss-nvme replays from
 * a dm-log-writes log, against hand-made logs: what must survive a cut
 * (writes before the last FLUSH before it, FUA writes, discards as
 * zeroes) and what must not (writes after that FLUSH, anything after the
 * cut); and broken logs are refused rather than replayed.
 */
#define LOGREPLAY_LIB
#include "tests/qemu/logreplay.c"	/* first: it defines _GNU_SOURCE */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define NSECT 8			/* sectors in the image */

static char log_path[] = "/tmp/kspawn-lw-log.XXXXXX";
static char img_path[] = "/tmp/kspawn-lw-img.XXXXXX";
static uint8_t logbuf[64 * 4096];
static size_t loglen, ss;
static uint64_t nentries;

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* A new log of sector size sz: the super is written by finish_log(). */
static void new_log(size_t sz)
{
	memset(logbuf, 0, sizeof(logbuf));
	ss = sz;
	loglen = ss;
	nentries = 0;
}

/* An entry; data fills its sectors with byte fill unless a mark/discard. */
static void entry(uint64_t sector, uint64_t n, uint64_t flags, int fill,
		  const char *mark)
{
	uint8_t *h = logbuf + loglen;
	size_t len = mark ? strlen(mark) : 0;

	put64(h, sector);
	put64(h + 8, n);
	put64(h + 16, flags);
	put64(h + 24, len);
	if (mark)
		memcpy(h + 32, mark, len);
	loglen += ss;
	if (!(flags & (LW_DISCARD | LW_MARK))) {
		memset(logbuf + loglen, fill, n * ss);
		loglen += n * ss;
	}
	nentries++;
}

static void finish_log(uint64_t claimed)
{
	uint32_t s32 = htole32(ss);
	int fd;

	put64(logbuf, LW_MAGIC);
	put64(logbuf + 8, LW_VERSION);
	put64(logbuf + 16, claimed);
	memcpy(logbuf + 24, &s32, 4);
	fd = open(log_path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, logbuf, loglen), (ssize_t)loglen);
	close(fd);
}

/* The image: every sector 'x'. */
static void fresh_image(void)
{
	static uint8_t x[NSECT * 4096];
	int fd = open(img_path, O_WRONLY | O_TRUNC);

	memset(x, 'x', sizeof(x));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, x, NSECT * ss), (ssize_t)(NSECT * ss));
	close(fd);
}

/* The first byte of each image sector, e.g. "AxC00xxx" (0 for zero). */
static void image_is(const char *want)
{
	uint8_t b[NSECT * 4096];
	char got[NSECT + 1];
	int fd = open(img_path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, b, NSECT * ss), (ssize_t)(NSECT * ss));
	close(fd);
	for (int i = 0; i < NSECT; i++) {
		/* A sector is one byte throughout, or it is torn. */
		for (size_t j = 1; j < ss; j++)
			assert_int_equal(b[i * ss + j], b[i * ss]);
		got[i] = b[i * ss] ? (char)b[i * ss] : '0';
	}
	got[NSECT] = 0;
	assert_string_equal(got, want);
}

/*
 * W0=A, discard 3-4, FLUSH, W1=B, FUA W2=C, mark "cut", W5=D, FLUSH, the
 * end mark: as the target logs them, all in one log.
 */
static void mixed_log(size_t sz)
{
	new_log(sz);
	entry(0, 1, 0, 'A', NULL);
	entry(3, 2, LW_DISCARD, 0, NULL);
	entry(0, 0, LW_FLUSH, 0, NULL);
	entry(1, 1, 0, 'B', NULL);
	entry(2, 1, LW_FUA, 'C', NULL);
	entry(0, 0, LW_MARK, 0, "cut");
	entry(5, 1, LW_METADATA, 'D', NULL);
	entry(0, 0, LW_FLUSH, 0, NULL);
	entry(0, 0, LW_MARK, 0, "dm-log-writes-end");
	finish_log(nentries);
	fresh_image();
}

static void test_cut_at_mark(void **state)
{
	struct lw_result r;

	(void)state;
	mixed_log(512);
	assert_int_equal(lw_replay(log_path, img_path, "cut", &r), 0);
	/* B came after the last FLUSH and is not FUA: lost. */
	image_is("AxC00xxx");
	assert_int_equal(r.cut, 5);
	assert_int_equal(r.last_flush, 2);
	assert_int_equal(r.applied, 3);
	assert_int_equal(r.fua, 1);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(r.drop_sec, 1);
}

static void test_cut_at_end(void **state)
{
	struct lw_result r;

	(void)state;
	mixed_log(4096);
	assert_int_equal(lw_replay(log_path, img_path, NULL, &r), 0);
	image_is("ABC00Dxx");
	assert_int_equal(r.cut, 9);
	assert_int_equal(r.last_flush, 7);
	assert_int_equal(r.dropped, 0);
}

/* The negative control's log: writes, never a FLUSH before the cut. */
static void test_no_flush_loses_all(void **state)
{
	struct lw_result r;

	(void)state;
	new_log(512);
	entry(0, 0, LW_MARK, 0, "cut");
	entry(0, 4, 0, 'A', NULL);
	entry(0, 0, LW_FLUSH, 0, NULL);
	finish_log(nentries);
	fresh_image();
	assert_int_equal(lw_replay(log_path, img_path, "cut", &r), 0);
	image_is("xxxxxxxx");
	assert_false(r.have_flush);
	assert_int_equal(r.applied, 0);

	new_log(512);
	entry(0, 4, 0, 'A', NULL);
	entry(0, 0, LW_MARK, 0, "cut");
	finish_log(nentries);
	fresh_image();
	assert_int_equal(lw_replay(log_path, img_path, "cut", &r), 0);
	image_is("xxxxxxxx");
	assert_int_equal(r.dropped, 1);
}

/* Broken logs are refused and the image is left alone. */
static void test_refused(void **state)
{
	struct lw_result r;

	(void)state;
	mixed_log(512);
	assert_int_equal(lw_replay(log_path, img_path, "nomark", &r), 1);

	new_log(512);
	entry(NSECT - 1, 2, 0, 'A', NULL);		/* past the image */
	finish_log(nentries);
	assert_int_equal(lw_replay(log_path, img_path, NULL, &r), 1);

	new_log(512);
	entry(0, 1, 1 << 9, 'A', NULL);			/* unknown flag */
	finish_log(nentries);
	assert_int_equal(lw_replay(log_path, img_path, NULL, &r), 1);

	new_log(512);
	entry(0, 1, 0, 'A', NULL);
	loglen -= 512;					/* data cut short */
	finish_log(nentries);
	assert_int_equal(lw_replay(log_path, img_path, NULL, &r), 1);

	new_log(512);
	entry(0, 1, 0, 'A', NULL);
	finish_log(1000);				/* more than it holds */
	assert_int_equal(lw_replay(log_path, img_path, NULL, &r), 1);

	new_log(512);
	entry(0, 0, LW_MARK, 0, "cut");
	put64(logbuf + 512 + 24, 600);			/* mark longer than a sector */
	finish_log(nentries);
	assert_int_equal(lw_replay(log_path, img_path, "cut", &r), 1);

	new_log(512);
	finish_log(0);
	put64(logbuf, LW_MAGIC + 1);
	{
		int fd = open(log_path, O_WRONLY);

		assert_int_equal(pwrite(fd, logbuf, 8, 0), 8);
		close(fd);
	}
	assert_int_equal(lw_replay(log_path, img_path, NULL, &r), 1);
	image_is("xxxxxxxx");
}

static int setup(void **state)
{
	int a = mkstemp(log_path), b = mkstemp(img_path);

	(void)state;
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return a < 0 || b < 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(log_path);
	unlink(img_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_at_mark),
		cmocka_unit_test(test_cut_at_end),
		cmocka_unit_test(test_no_flush_loses_all),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
