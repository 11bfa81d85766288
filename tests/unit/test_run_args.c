/*
 * kspawnctl run's command line (host/ctl/run_args.c) on its own: what the
 * options are taken to mean, and what is refused, with which words.
 * Sizes are decimal (010M is 10 MiB, not octal 8), or hex after an
 * explicit 0x, with K, M or G and an optional B or iB after it.
 *
 * unit-sources: host/ctl/run_args.c host/ctl/args.c host/ctl/cpus.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/ctl/run_args.h"
#include "tests/unit/ctl_said.h"

static struct run_args a;

/* run IMG ARGS... (NULL-terminated): run_parse_args()'s answer. */
static int parse(const char *first, ...)
{
	char *argv[16] = { "run", "img.elf" };
	int argc = 2;
	va_list ap;

	argv[argc] = (char *)first;
	va_start(ap, first);
	while (argc < 15 && argv[argc])
		argv[++argc] = va_arg(ap, char *);
	va_end(ap);
	said[0] = 0;
	return run_parse_args(&a, argc, argv);
}

#define PARSE(...) parse(__VA_ARGS__, (char *)NULL)

static void says(const char *what)
{
	if (!strstr(said, what))
		fail_msg("kspawnctl said \"%s\", which lacks \"%s\"", said, what);
}

static void never_says(const char *what)
{
	if (strstr(said, what))
		fail_msg("kspawnctl said \"%s\", with \"%s\"", said, what);
}

static void mem_is(const char *arg, uint64_t want)
{
	if (PARSE("--mem", arg))
		fail_msg("--mem %s refused: %s", arg, said);
	if (a.mem != want)
		fail_msg("--mem %s is %llu bytes, want %llu", arg,
			 (unsigned long long)a.mem, (unsigned long long)want);
}

static void mem_refused(const char *arg)
{
	if (!PARSE("--mem", arg))
		fail_msg("--mem '%s' taken as %llu bytes", arg,
			 (unsigned long long)a.mem);
	says("--mem wants a size like 16M");
}

static void sizes_are_decimal(void **state)
{
	(void)state;
	mem_is("010M", 10 << 20);
	mem_is("08M", 8 << 20);
	mem_is("16M", 16 << 20);
	mem_is("16m", 16 << 20);
	mem_is("16MiB", 16 << 20);
	mem_is("16MB", 16 << 20);
	mem_is("16mb", 16 << 20);	/* binary whatever the spelling */
	mem_is("16Mb", 16 << 20);
	mem_is("16mib", 16 << 20);
	mem_is("16MIB", 16 << 20);
	mem_is("16384K", 16 << 20);
	mem_is("16777216", 16 << 20);
	mem_is("0x1000000", 16 << 20);
	mem_is("0x10M", 16 << 20);
	assert_int_equal(PARSE("--ramdisk", "010M"), 0);
	assert_int_equal(a.ramdisk, 10 << 20);
}

static void sizes_malformed(void **state)
{
	(void)state;
	mem_refused("16iB");		/* no unit: was 16 bytes */
	mem_refused("16B");
	mem_refused("iB");
	mem_refused("M");
	mem_refused("");
	mem_refused("0x");
	mem_refused("0x0x10M");
	mem_refused(" 16M");
	mem_refused("+16M");
	mem_refused("-16M");
	mem_refused("16 M");
	mem_refused("16MiBs");
	mem_refused("16Mi");
	mem_refused("16MBB");
	mem_refused("99999999999999999999Mx");	/* too big and malformed */
	mem_refused("lots");
}

/*
 * A well-formed size past 64 bits is too big, as one that fits but is over
 * the limit is, not malformed (it was "wants a size like 16M").
 */
static void sizes_too_big(void **state)
{
	static const char *const big[] = {
		"99999999999999999999M",	/* digits past 64 bits */
		"18446744073709551616",		/* 2^64 */
		"0x10000000000000000",
		"17179869184G",			/* 2^34 GiB: the unit's shift */
		"18446744073709551615",		/* UINT64_MAX itself fits */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		assert_int_equal(PARSE("--mem", big[i]), -1);
		says("run: --mem ");
		says(big[i]);
		says(": a guest's region is at most 1024 MiB");
		never_says("wants a size like");
		assert_int_equal(PARSE("--ramdisk", big[i]), -1);
		says(": a RAM disk is at most");
		never_says("wants a size like");
		never_says("512-byte sectors");
	}
}

/* Two options that cannot both be: refused, neither silently dropped. */
static void conflicts(void **state)
{
	char disk[] = "/tmp/kspawn-test-disk-XXXXXX";
	int fd = mkstemp(disk);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(PARSE("--cpu", "5", "--cpus", "2-3"), -1);
	says("run: --cpu or --cpus, not both");
	assert_int_equal(PARSE("--cpus", "2-3", "--cpu", "5"), -1);
	says("run: --cpu or --cpus, not both");
	assert_int_equal(PARSE("--cache", "writeback"), -1);
	says("run: --cache is how a --disk is read and written: there is no --disk");
	assert_int_equal(PARSE("--ramdisk", "16M", "--cache", "none"), -1);
	says("there is no --disk");
	/* What goes together still does. */
	assert_int_equal(PARSE("--disk", disk, "--cache", "writeback"), 0);
	assert_true(a.writeback);
	assert_int_equal(PARSE("--cpus", "2-3"), 0);
	assert_int_equal(a.ncpus, 2);
	/* As many CPUs as a guest may have; one more is refused. */
	assert_int_equal(PARSE("--cpus", "0-15"), 0);
	assert_int_equal(a.ncpus, KSPAWN_MAX_CPUS);
	assert_int_equal(PARSE("--cpus", "0-16"), -1);
	says("(at most 16 CPUs), not '0-16'");
	assert_int_equal(PARSE("--cpu", "3"), 0);
	assert_int_equal(a.cpu, 3);
	unlink(disk);
}

/* Each refusal gives the real reason. */
static void reasons(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--ramdisk", "100"), -1);
	says("run: --ramdisk 100: a disk is whole 512-byte sectors");
	never_says("wants a size like");
	assert_int_equal(PARSE("--ramdisk", "lots"), -1);
	says("run: --ramdisk wants a size like 16M");
	/* 0 is a size, too small (was "wants a size like 16M") */
	assert_int_equal(PARSE("--mem", "0"), -1);
	says("run: --mem 0: a guest's region is at least");
	never_says("wants a size like");
	assert_int_equal(PARSE("--mem", "0x0M"), -1);
	says("run: --mem 0x0M: a guest's region is at least");
	assert_int_equal(PARSE("--ramdisk", "0"), -1);
	says("run: --ramdisk 0: a disk needs at least one 512-byte sector");
	never_says("wants a size like");
	/* An option not known is that, last or not. */
	assert_int_equal(PARSE("--bogus"), -1);
	says("run: unknown option '--bogus'");
	never_says("needs a value");
	assert_int_equal(PARSE("--bogus", "1"), -1);
	says("run: unknown option '--bogus'");
	assert_int_equal(PARSE("--mem"), -1);
	says("run: --mem needs a value");
}

/*
 * A --disk that is neither a file nor a block device (a directory, a
 * character device, a FIFO) is no disk: said as the option, before the
 * module is asked (the load would fail, or a FIFO wait).
 */
static void disk_kinds(void **state)
{
	char fifo[] = "/tmp/kspawn-test-fifo-XXXXXX";
	int fd = mkstemp(fifo);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(PARSE("--disk", "/tmp"), -1);
	says("run: --disk /tmp: not a regular file or block device");
	assert_int_equal(PARSE("--disk", "/dev/null"), -1);
	says("run: --disk /dev/null: not a regular file or block device");
	assert_int_equal(PARSE("--disk", fifo), -1);
	says(": not a regular file or block device");
	unlink(fifo);
}

/*
 * An empty word where a path goes ("$img" or "$disk" unset in a script)
 * is a bad command line said as that, not a file "" that cannot be
 * opened (run: : cannot open, status 1).
 */
static void empty_paths(void **state)
{
	char *argv[] = { "run", "", NULL };

	(void)state;
	said[0] = 0;
	assert_int_equal(run_parse_args(&a, 2, argv), -1);
	says("run: the IMAGE path is an empty word");
	assert_int_equal(PARSE("--disk", ""), -1);
	says("run: --disk needs a path, not an empty word");
	assert_int_equal(PARSE("--disk="), -1);
	says("run: --disk needs a path, not an empty word");
}

/* After "--" every word is the image, one that starts with '-' too. */
static void end_of_options(void **state)
{
	char *dash[] = { "run", "--mem", "16M", "--", "-guest.elf", NULL };
	char *help[] = { "run", "--", "--help", NULL };
	char *two[] = { "run", "--", "a.elf", "--mem", NULL };

	(void)state;
	assert_int_equal(run_parse_args(&a, 5, dash), 0);
	assert_string_equal(a.image, "-guest.elf");
	assert_int_equal(run_parse_args(&a, 3, help), 0);
	assert_string_equal(a.image, "--help");
	said[0] = 0;
	assert_int_equal(run_parse_args(&a, 4, two), -1);
	says("run: one image only ('a.elf' and '--mem')");
}

/*
 * An option with one value, given twice: refused, not the last one
 * silently taken (--mem 16M ... --mem 2G).  A flag twice is the flag.
 */
static void given_twice(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--net", "loopback", "--net", "netdev"), -1);
	says("run: --net given twice");
	assert_int_equal(PARSE("--mem", "16M", "--mem=2G"), -1);
	says("run: --mem given twice");
	assert_int_equal(PARSE("--cpus", "2-3", "--cpus", "4-5"), -1);
	says("run: --cpus given twice");
	assert_int_equal(PARSE("--cmdline", "a", "--cmdline", "a"), -1);
	says("run: --cmdline given twice");
	assert_int_equal(PARSE("--no-verify", "--no-verify"), 0);
}

/* --opt=value is --opt value. */
static void equals_form(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--mem=16M", "--cmdline=hello a=b"), 0);
	assert_int_equal(a.mem, 16 << 20);
	assert_string_equal(a.cmdline, "hello a=b");
	assert_int_equal(PARSE("--cpus=2-3"), 0);
	assert_int_equal(a.ncpus, 2);
	assert_int_equal(PARSE("--mem="), -1);
	says("run: --mem wants a size like 16M or 64M, not ''");
	assert_int_equal(PARSE("--memory=16M"), -1);
	says("run: unknown option '--memory=16M'");
}

/*
 * A --cmdline with more words than the guest keeps (its own parser,
 * guest/lib/cmdline.c: 16 KEY=VALUE options, then 16 words from the
 * app's name on) is refused: the guest would drop the rest, run the app
 * without them, and only its console would say so.
 */
static void cmdline_words(void **state)
{
	char line[512];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "hello");
	for (int i = 1; i < 16; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " a%d", i);
	assert_int_equal(PARSE("--cmdline", line), 0);	/* 16: all kept */
	snprintf(line + n, sizeof(line) - n, " a16");
	assert_int_not_equal(PARSE("--cmdline", line), 0);
	says("run: --cmdline has more words than the guest keeps");
	n = 0;
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "k%d=v ", i);
	snprintf(line + n, sizeof(line) - n, "hello");
	assert_int_not_equal(PARSE("--cmdline", line), 0);
	says("run: --cmdline has more words than the guest keeps");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_are_decimal),
		cmocka_unit_test(sizes_malformed),
		cmocka_unit_test(sizes_too_big),
		cmocka_unit_test(conflicts),
		cmocka_unit_test(reasons),
		cmocka_unit_test(equals_form),
		cmocka_unit_test(disk_kinds),
		cmocka_unit_test(empty_paths),
		cmocka_unit_test(end_of_options),
		cmocka_unit_test(given_twice),
		cmocka_unit_test(cmdline_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
