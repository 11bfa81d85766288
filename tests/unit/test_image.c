/*
 * kspawnctl's image checks (host/ctl/image.c): the module's checker
 * (host/loader/elf_check.c) decides, kspawnctl words the refusal.  A
 * small image built here, broken one way per case, written to a file.
 *
 * unit-sources: host/ctl/image.c host/loader/elf_check.c
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/kspawn_abi.h"
#include "host/ctl/image.h"

#include "tests/unit/tiny_image.h"

/* Write len bytes of t to a file, load it with --mem mem; the verdict. */
static enum image_error load(const struct tiny *t, size_t len, uint64_t *mem,
			     struct image *img)
{
	char path[] = "/tmp/kspawn-test-image.XXXXXX";
	int fd = mkstemp(path);
	enum image_error e;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, t, len), (ssize_t)len);
	close(fd);
	e = image_load(img, path, mem);
	unlink(path);
	return e;
}

/* The verdict and the message for t (len bytes) with --mem mem. */
static void refused(const struct tiny *t, size_t len, uint64_t mem,
		    enum image_error want, const char *says)
{
	struct image img;
	enum image_error e = load(t, len, &mem, &img);

	if (e != want || !strstr(img.error, says))
		fail_msg("got %d '%s', want %d '...%s...'", e, img.error, want,
			 says);
	image_free(&img);
}

/* t (len bytes) is accepted with the region its note asks. */
static void accepted(const struct tiny *t, size_t len)
{
	struct image img;
	uint64_t mem = 0;
	enum image_error e = load(t, len, &mem, &img);

	if (e != IMAGE_OK)
		fail_msg("refused: %s", img.error);
	image_free(&img);
}

static void test_good_image_gets_its_minimum(void **state)
{
	struct tiny t = good();
	struct image img;
	uint64_t mem = 0;

	(void)state;
	assert_int_equal(load(&t, sizeof(t), &mem, &img), IMAGE_OK);
	assert_int_equal(mem, (uint64_t)MIN_MIB << 20);
	assert_int_equal(img.size, TINY_END);
	image_free(&img);
}

/*
 * Symbols, debug sections and section headers after the segments are not
 * the module's business: they are not sent to it (copied at every spawn).
 */
static void test_tail_not_sent(void **state)
{
	struct {
		struct tiny t;
		uint8_t symbols[8192];
	} f;
	struct image img;
	uint64_t mem = 0;

	(void)state;
	f.t = good();
	memset(f.symbols, 0xee, sizeof(f.symbols));
	assert_int_equal(load(&f.t, sizeof(f), &mem, &img), IMAGE_OK);
	assert_int_equal(img.size, TINY_END);
	assert_memory_equal(img.data, &f.t, TINY_END);
	image_free(&img);
}

/*
 * len bytes of t, then zeros up to file_len (a sparse file), loaded with
 * the region its note asks: the verdict.
 */
static enum image_error load_long(const struct tiny *t, size_t len,
				  uint64_t file_len, struct image *img)
{
	char path[] = "/tmp/kspawn-test-image.XXXXXX";
	int fd = mkstemp(path);
	uint64_t mem = 0;
	enum image_error e;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, t, len), (ssize_t)len);
	assert_int_equal(ftruncate(fd, (off_t)file_len), 0);
	close(fd);
	e = image_load(img, path, &mem);
	unlink(path);
	return e;
}

/*
 * The module takes at most KSPAWN_IMAGE_MAX_BYTES of headers and
 * segments: kspawnctl refuses more itself, saying how much and the
 * limit, not the module's bare E2BIG.  A bigger file whose tail is only
 * symbols is fine: the tail is not sent.
 */
static void test_too_big(void **state)
{
	struct tiny t = good();
	char error[sizeof(((struct image *)0)->error)];
	struct image img;
	enum image_error e;
	size_t sent;

	(void)state;
	t.abi.desc.min_region_mib = 128;
	t.data.p_filesz = KSPAWN_IMAGE_MAX_BYTES - t.data.p_offset;
	t.data.p_memsz = t.data.p_filesz;
	e = load_long(&t, sizeof(t), KSPAWN_IMAGE_MAX_BYTES, &img);
	memcpy(error, img.error, sizeof(error));
	sent = img.size;
	image_free(&img);
	if (e != IMAGE_OK)
		fail_msg("refused at the limit: %s", error);
	assert_int_equal(sent, KSPAWN_IMAGE_MAX_BYTES);

	t.data.p_filesz++;
	t.data.p_memsz++;
	e = load_long(&t, sizeof(t), KSPAWN_IMAGE_MAX_BYTES + 1, &img);
	memcpy(error, img.error, sizeof(error));
	image_free(&img);
	if (e != IMAGE_ERR_FORMAT ||
	    !strstr(error, "67108865 bytes of headers and segments, more than the 67108864 (64 MiB) a guest image may have"))
		fail_msg("got %d '%s'", e, error);

	t = good();
	e = load_long(&t, sizeof(t), KSPAWN_IMAGE_MAX_BYTES + 1, &img);
	memcpy(error, img.error, sizeof(error));
	sent = img.size;
	image_free(&img);
	if (e != IMAGE_OK)
		fail_msg("a long tail of symbols refused: %s", error);
	assert_int_equal(sent, TINY_END);
}

static void test_not_elf(void **state)
{
	struct tiny t = good();

	(void)state;
	t.eh.e_ident[1] = 'X';
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT, "bad magic");
	refused(&t, 3, 0, IMAGE_ERR_FORMAT, "bad magic");
}

/* An empty file is said as empty, not as an ELF file with a bad magic. */
static void test_empty(void **state)
{
	(void)state;
	refused(&(struct tiny){ 0 }, 0, 0, IMAGE_ERR_FORMAT,
		"empty file (0 bytes), not a kspawn guest image");
}

/*
 * An ELF file of another type says what it is (a PIE such as /bin/ls,
 * an object file not linked), not only its number.
 */
static void test_other_elf_types(void **state)
{
	struct tiny t = good();

	(void)state;
	t.eh.e_type = ET_DYN;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"a position-independent executable or shared object (e_type 3), not a kspawn guest image");
	t.eh.e_type = ET_REL;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"a relocatable object file (e_type 1), not a kspawn guest image");
	t.eh.e_type = ET_CORE;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"a core dump (e_type 4), not a kspawn guest image");
	t.eh.e_type = 0x1234;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"not an ELF executable (e_type 4660)");
}

static void test_truncated(void **state)
{
	struct tiny t = good();

	(void)state;
	refused(&t, 40, 0, IMAGE_ERR_FORMAT,
		"truncated: 40 bytes, shorter than an ELF header");
	refused(&t, offsetof(struct tiny, data), 0, IMAGE_ERR_FORMAT,
		"truncated: the program headers end past the file's");
	refused(&t, offsetof(struct tiny, bytes) + 10, 0, IMAGE_ERR_FORMAT,
		"truncated: segment 1 needs bytes up to");
}

static void test_other_abi(void **state)
{
	struct tiny t = good();

	(void)state;
	t.abi.desc.abi_major = KSPAWN_ABI_MAJOR + 1;
	/* laid out wrongly too: the ABI is what the user must hear about */
	t.eh.e_entry = 0;
	refused(&t, sizeof(t), 0, IMAGE_ERR_ABI,
		"this kspawnctl speaks ABI 2.x");
	t.abi.nh.n_type = 99;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT, "no .note.kspawn");
}

static void test_region(void **state)
{
	struct tiny t = good();

	(void)state;
	refused(&t, sizeof(t), 8ULL << 20, IMAGE_ERR_REGION,
		"region of at least 16 MiB, not 8 MiB (--mem)");
	t.data.p_paddr = 64ULL << 20;
	t.data.p_vaddr = KSPAWN_VA_REGION + t.data.p_paddr;
	refused(&t, sizeof(t), 0, IMAGE_ERR_REGION,
		"segment 1 ends at offset 0x4001000, outside a region of 16 MiB (--mem)");
	t.data.p_vaddr += 0x1000;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"is not linked for a guest region");
	/* A note asking more than any guest gets: the image's fault. */
	t = good();
	t.abi.desc.min_region_mib = 2048;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"asks for a region of at least 2048 MiB, more than the 1024 MiB a guest may have");
	refused(&t, sizeof(t), 64ULL << 20, IMAGE_ERR_FORMAT,
		"asks for a region of at least 2048 MiB");
}

static void test_entry_outside_text(void **state)
{
	struct tiny t = good();

	(void)state;
	t.eh.e_entry = KSPAWN_VA_REGION + DATA_AT;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"entry point 0xffffffff80101000 is not inside an executable segment");
	/* The text's last file byte is in it; the byte after is not. */
	t = good();
	t.eh.e_entry = KSPAWN_VA_REGION + TEXT_AT + t.text.p_filesz - 1;
	accepted(&t, sizeof(t));
	t.eh.e_entry++;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"is not inside an executable segment");
}

/*
 * Offsets and sizes near 2^64, where a sum wraps to something small that
 * looks inside the file or the region: every one refused.
 */
static void test_wrapping_sizes(void **state)
{
	struct tiny t = good();

	(void)state;
	t.eh.e_phoff = UINT64_MAX - 8;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"the program headers end past the file's");
	t = good();
	t.text.p_offset = UINT64_MAX - 16;
	/* not "needs bytes up to 47": the sum wrapped */
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"truncated: segment 0 at offset 18446744073709551599 with 64 bytes ends at or past 2^64");
	t.text.p_filesz = 16;			/* ends at 2^64 - 1: no wrap */
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"truncated: segment 0 needs bytes up to 18446744073709551615, the file has");
	t = good();
	t.note.p_offset = UINT64_MAX - 16;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"truncated: note segment 2 ends past the file's");
	t = good();
	t.data.p_memsz = 0 - t.data.p_paddr;		/* ends at 2^64 = 0 */
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"segment 1 at 0xffffffff80101000 (load 0x101000) is not linked for a guest region");
	t = good();
	t.data.p_paddr = 0 - KSPAWN_VA_REGION + DATA_AT;	/* vaddr wraps */
	t.data.p_vaddr = KSPAWN_VA_REGION + t.data.p_paddr;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"is not linked for a guest region");
	t = good();
	t.abi.nh.n_namesz = UINT32_MAX;		/* 0 if rounded up in 32 bits */
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT, "malformed note at offset");
	t = good();
	t.abi.nh.n_descsz = UINT32_MAX - 2;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT, "malformed note at offset");
	/* An app list a reader could run off the end of. */
	t = with_apps(good());
	accepted(&t, sizeof(t));
	t.apps.desc[sizeof("hello\0spin") - 1] = 'x';
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT, "malformed note at offset");
}

/*
 * The notes are walked one by one, so their number is bounded, not only
 * the file's size: ELF_CHECK_MAX_NOTES of them pass, one more is refused.
 * (Without the bound, 32 PT_NOTE headers over 64 MiB of empty notes kept
 * the module's ioctl on a CPU for seconds.)
 */
static void test_notes_bounded(void **state)
{
	struct {
		struct tiny t;
		Elf64_Nhdr empty[ELF_CHECK_MAX_NOTES];
		typeof(((struct tiny *)0)->abi) abi;
	} f;
	size_t len = offsetof(typeof(f), abi) + sizeof(f.abi);

	(void)state;
	memset(&f, 0, sizeof(f));
	f.t = good();
	f.abi = f.t.abi;
	/* 63 empty notes and the ABI note */
	f.t.note.p_offset = offsetof(typeof(f), empty[1]);
	f.t.note.p_filesz = len - f.t.note.p_offset;
	accepted(&f.t, len);
	f.t.note.p_offset = offsetof(typeof(f), empty[0]);
	f.t.note.p_filesz = len - f.t.note.p_offset;
	refused(&f.t, len, 0, IMAGE_ERR_FORMAT, "more than 64 notes");
}

/*
 * The app list (KSPAWN_NOTE_APPS): a name on it, one not on it with the
 * list said (cut to the buffer), and an image with no list checks nothing.
 */
static void test_app_list(void **state)
{
	struct tiny t = with_apps(good());
	struct image img;
	uint64_t mem = 0;
	char apps[64];

	(void)state;
	assert_int_equal(load(&t, sizeof(t), &mem, &img), IMAGE_OK);
	assert_int_equal(img.info.apps_size, sizeof("hello\0spin"));
	assert_int_equal(image_has_app(&img, "spin", apps, sizeof(apps)), 1);
	assert_int_equal(image_has_app(&img, "hello", apps, sizeof(apps)), 1);
	assert_int_equal(image_has_app(&img, "hell", apps, sizeof(apps)), 0);
	assert_string_equal(apps, "hello, spin");
	/* Cut short: said so, not a name that looks whole. */
	assert_int_equal(image_has_app(&img, "spinx", apps, 10), 0);
	assert_string_equal(apps, "hello,...");
	assert_int_equal(image_has_app(&img, "spinx", apps, 11), 0);
	assert_string_equal(apps, "hello, ...");
	assert_int_equal(image_has_app(&img, "spinx", apps, 12), 0);
	assert_string_equal(apps, "hello, spin");	/* just fits */
	assert_int_equal(image_has_app(&img, "", apps, sizeof(apps)), 0);
	image_free(&img);
	/* The image's bytes are said as printable ASCII only. */
	t = with_apps(good());
	t.apps.desc[1] = 0x1b;
	assert_int_equal(load(&t, sizeof(t), &mem, &img), IMAGE_OK);
	assert_int_equal(image_has_app(&img, "x", apps, sizeof(apps)), 0);
	assert_string_equal(apps, "h?llo, spin");
	image_free(&img);
	/* An image that says it has no apps: none fits. */
	t = with_apps(good());
	t.apps.nh.n_descsz = 0;
	t.note.p_filesz -= sizeof(t.apps.desc);
	assert_int_equal(load(&t, sizeof(t), &mem, &img), IMAGE_OK);
	assert_int_equal(image_has_app(&img, "hello", apps, sizeof(apps)), 0);
	assert_string_equal(apps, "none");
	image_free(&img);
	/* No list: nothing to check against. */
	t = good();
	assert_int_equal(load(&t, sizeof(t), &mem, &img), IMAGE_OK);
	assert_int_equal(image_has_app(&img, "typo", apps, sizeof(apps)), 1);
	image_free(&img);
}

/* What only the module used to refuse: kspawnctl now says so itself. */
static void test_module_rules(void **state)
{
	struct tiny t = good();

	(void)state;
	t.data.p_paddr = TEXT_AT + 32;
	t.data.p_vaddr = KSPAWN_VA_REGION + t.data.p_paddr;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"segment 1 overlaps an earlier one");
	t = good();
	t.note.p_type = PT_INTERP;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT, "a guest must be static");
	t = good();
	t.eh.e_version = 2;
	refused(&t, sizeof(t), 0, IMAGE_ERR_FORMAT,
		"not a 64-bit little-endian x86-64 ELF file");
}

/*
 * The fuzzer's seeds (tests/fuzz/gen_elf_check_seeds.py) are images the
 * checker accepts: else fuzz_elf_check starts from refusals only and its
 * assertions on accepted images wait for a lucky mutation.
 */
static void seed_accepted(const char *dir, const char *name)
{
	char path[128], error[sizeof(((struct image *)0)->error)];
	enum image_error e;
	struct image img;
	uint64_t mem = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	e = image_load(&img, path, &mem);
	memcpy(error, img.error, sizeof(error));
	image_free(&img);
	unlink(path);
	if (e != IMAGE_OK)
		fail_msg("the fuzzer's seed %s is refused: %s", name, error);
}

static void test_fuzz_seeds_accepted(void **state)
{
	char dir[] = "/tmp/kspawn-test-seeds.XXXXXX", cmd[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "python3 tests/fuzz/gen_elf_check_seeds.py %s", dir);
	assert_int_equal(system(cmd), 0);
	seed_accepted(dir, "tiny.elf");
	seed_accepted(dir, "two-loads.elf");
	seed_accepted(dir, "apps.elf");
	rmdir(dir);
}

static void test_no_file(void **state)
{
	struct image img;
	uint64_t mem = 0;

	(void)state;
	assert_int_equal(image_load(&img, "/no/such/image.elf", &mem),
			 IMAGE_ERR_IO);
	assert_non_null(strstr(img.error, "cannot open: No such file or directory"));
	image_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_image_gets_its_minimum),
		cmocka_unit_test(test_tail_not_sent),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_other_elf_types),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_other_abi),
		cmocka_unit_test(test_region),
		cmocka_unit_test(test_entry_outside_text),
		cmocka_unit_test(test_wrapping_sizes),
		cmocka_unit_test(test_notes_bounded),
		cmocka_unit_test(test_app_list),
		cmocka_unit_test(test_module_rules),
		cmocka_unit_test(test_fuzz_seeds_accepted),
		cmocka_unit_test(test_no_file),
	};

	return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
