/*
 * kspawnctl run's refusals (host/ctl/cmd_run.c): what the command line
 * asks for that no guest can have is a bad command line (status 2), said
 * before the module is asked; what the module refuses is worded for what
 * it is: a CPU, the instance limit, the pool, the options.  The module is
 * a stub here (dev_load() returns the errno a test sets), the image a
 * small valid one written to a file.
 *
 * unit-sources: host/ctl/cmd_run.c host/ctl/spawn.c host/ctl/run_args.c
 * unit-sources: host/ctl/image.c
 * unit-sources: host/ctl/output.c host/ctl/args.c host/loader/elf_check.c
 * unit-sources: host/ctl/json.c
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"
#include "tests/unit/ctl_said.h"
#include "tests/unit/tiny_image.h"

static int spawn_err;		/* what the module answers */
static int start_err;		/* ... to the start */
static const char *words;	/* the guest's console, read once */
static int spawns;		/* how often it was asked */
static int running;		/* instances, for dev_list */
static int running_later = -1;	/* from the second dev_list on, if set */
static int lists;
static char image_path[] = "/tmp/kspawn-test-run-XXXXXX";
static char empty_path[] = "/tmp/kspawn-test-empty-XXXXXX";
static char disk_path[] = "/tmp/kspawn-test-disk-XXXXXX";	/* 4 KiB */
static char apps_path[] = "/tmp/kspawn-test-apps-XXXXXX";	/* hello, spin */
static char *image_arg = image_path;	/* what run() runs */

void kmsg_mark(struct kmsg_mark *m)
{
	m->fd = -1;
}

void kmsg_report(struct kmsg_mark *m)
{
	(void)m;
}

void kmsg_forget(struct kmsg_mark *m)
{
	(void)m;
}

int cpus_parse(const char *p, unsigned char *set)
{
	(void)p, (void)set;
	return -1;
}

int cpus_parse_big(const char *p, unsigned char *set, const char **big)
{
	(void)big;
	return cpus_parse(p, set);
}

/* --cpu 1 as cpus.c reads it (its limit: test_ctl_usage.c). */
int cpus_number(const char *s, const char **big)
{
	unsigned long v;

	(void)big;
	return ctl_parse_uint(s, CTL_MAX_CPUS - 1, &v) ? -1 : (int)v;
}

void cpus_say_too_big(const char *what, const char *big)
{
	err_msg("%s: CPU %s is out of range", what, big);
}

int cpus_check(const struct ctl_cpus *pool, int cpu)
{
	(void)pool, (void)cpu;
	return 0;
}

int cpus_none_to_spare(const struct ctl_cpus *pool)
{
	(void)pool;
	err_msg("run: no CPU to spare");
	return EXIT_RESOURCE;
}

int cpus_check_doorbell(const struct ctl_cpus *pool, int cpu)
{
	(void)pool, (void)cpu;
	return 0;
}

int dev_cpus(int fd, struct ctl_cpus *c)
{
	(void)fd;
	memset(c, 0, sizeof(*c));
	return 0;
}

int dev_version(int fd, struct ctl_version *v)
{
	(void)fd;
	memset(v, 0, sizeof(*v));
	v->abi_major = KSPAWN_ABI_MAJOR;
	v->abi_minor = KSPAWN_ABI_MINOR;
	v->max_instances = 16;
	return 0;
}

int dev_list(int fd, uint32_t *ids, int max, int *count)
{
	(void)fd;
	if (lists++ && running_later >= 0)
		running = running_later;
	for (int i = 0; i < running && i < max; i++)
		ids[i] = (uint32_t)i + 1;
	*count = running;
	return 0;
}

int dev_load(int fd, const struct ctl_spawn *req, uint32_t *id)
{
	(void)fd, (void)req;
	spawns++;
	*id = 1;
	return spawn_err;
}

int dev_start(int fd, uint32_t id)
{
	(void)fd, (void)id;
	return start_err;
}

int dev_console_read(int fd, uint32_t id, void *buf, size_t len,
		     size_t *got, enum ctl_gone *gone)
{
	(void)fd, (void)id;
	*gone = CTL_GONE_RUNNING;
	*got = words ? strlen(words) : 0;
	if (*got > len)
		*got = len;
	memcpy(buf, words ? words : "", *got);
	words = NULL;
	return 0;
}

int dev_status(int fd, uint32_t id, struct ctl_status *st)
{
	(void)fd;
	memset(st, 0, sizeof(*st));
	st->id = id;
	st->cpu = 1;
	return 0;
}

int dev_stop(int fd, uint32_t id, int force)
{
	(void)fd, (void)id, (void)force;
	return 0;
}

/* A valid image (tiny_image.h), asking for 16 MiB. */
static void write_image(int fd, struct tiny t)
{
	assert_int_equal(write(fd, &t, sizeof(t)), sizeof(t));
}

static int setup(void **state)
{
	int fd = mkstemp(image_path);

	(void)state;
	if (fd < 0)
		return -1;
	write_image(fd, good());
	close(fd);
	fd = mkstemp(apps_path);
	if (fd < 0)
		return -1;
	write_image(fd, with_apps(good()));
	close(fd);
	fd = mkstemp(empty_path);
	if (fd < 0)
		return -1;
	close(fd);
	fd = mkstemp(disk_path);
	if (fd < 0 || ftruncate(fd, 4096))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(image_path);
	unlink(apps_path);
	unlink(empty_path);
	unlink(disk_path);
	return 0;
}

/* kspawnctl run IMAGE ARGS... (NULL-terminated) with the module's errno. */
static int run(int err, ...)
{
	char *argv[16] = { "run", image_arg };
	struct ctl c = { .fd = -1 };
	int argc = 2;
	va_list ap;

	va_start(ap, err);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	said[0] = 0;
	spawns = 0;
	lists = 0;
	spawn_err = err;
	return cmd_run(&c, argc, argv);
}

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

static void spawned(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(0, "--cpu", "1", NULL), EXIT_OK);
	assert_int_equal(spawns, 1);
}

/*
 * An app the image does not have is a bad command line, said with the
 * apps it has, before the module is asked; options before the name are
 * skipped as the guest skips them; --no-verify, or an image without a
 * list, leaves it to the guest.
 */
static void app_not_in_image(void **state)
{
	(void)state;
	running = 0;
	image_arg = apps_path;
	assert_int_equal(run(0, "--cpu", "1", "--cmdline", "hell", NULL),
			 EXIT_USAGE);
	assert_int_equal(spawns, 0);
	says("has no app 'hell' (--cmdline); its apps: hello, spin");
	assert_int_equal(run(0, "--cpu", "1", "--cmdline", "a=1 spin hell",
			     NULL), EXIT_OK);
	assert_int_equal(spawns, 1);
	assert_int_equal(run(0, "--cpu", "1", NULL), EXIT_OK);	/* hello */
	assert_int_equal(run(0, "--cpu", "1", "--cmdline", "a=1 b=2", NULL),
			 EXIT_OK);
	assert_int_equal(run(0, "--cpu", "1", "--no-verify", "--cmdline",
			     "hell", NULL), EXIT_OK);
	assert_int_equal(spawns, 1);
	image_arg = image_path;
	assert_int_equal(run(0, "--cpu", "1", "--cmdline", "hell", NULL),
			 EXIT_OK);
	assert_int_equal(spawns, 1);
}

static int plain_image(void **state)
{
	(void)state;
	image_arg = image_path;
	return 0;
}

static void cpu_busy(void **state)
{
	(void)state;
	running = 1;
	assert_int_equal(run(-EBUSY, "--cpu", "1", NULL), EXIT_RESOURCE);
	says("CPU 1 is busy");
}

/* The module creates no instance while the machine suspends. */
static void suspending(void **state)
{
	(void)state;
	assert_int_equal(run(-EAGAIN, "--cpu", "1", NULL), EXIT_RESOURCE);
	says("the machine is suspending or hibernating");
}

/* The module's instance limit is not the pool. */
static void too_many_instances(void **state)
{
	(void)state;
	running = 16;
	assert_int_equal(run(-ENOSPC, "--cpu", "1", NULL), EXIT_RESOURCE);
	says("too many instances: 16 running, the module's limit is 16");
	never_says("pool is too small");
}

/* The last place taken between kspawnctl's look and its spawn. */
static void too_many_instances_raced(void **state)
{
	(void)state;
	running = 15;
	running_later = 16;
	assert_int_equal(run(-ENOSPC, "--cpu", "1", NULL), EXIT_RESOURCE);
	running_later = -1;
	assert_int_equal(spawns, 1);
	says("too many instances: 16 running, the module's limit is 16");
	never_says("pool is too small");
}

/*
 * The module's own word for its limit: no second look needed, and right
 * when others are still being created (list shows fewer than the limit).
 */
static void instance_limit_emfile(void **state)
{
	(void)state;
	running = 14;
	assert_int_equal(run(-EMFILE, "--cpu", "1", NULL), EXIT_RESOURCE);
	says("too many instances: 14 running and more being started, the module's limit is 16");
	never_says("pool is too small");
}

static void pool_too_small(void **state)
{
	(void)state;
	running = 1;
	assert_int_equal(run(-ENOSPC, "--cpu", "1", "--mem", "64M", NULL),
			 EXIT_RESOURCE);
	says("pool is too small: no free 64 MiB region");
	never_says("too many instances");
}

/* The host short of memory is not the pool: a RAM disk comes from RAM. */
static void host_out_of_memory(void **state)
{
	(void)state;
	running = 1;
	assert_int_equal(run(-ENOMEM, "--cpu", "1", "--ramdisk", "1G", NULL),
			 EXIT_RESOURCE);
	says("the host is short of memory");
	says("--ramdisk 1024 MiB");
	never_says("pool is too small");
}

/* Sizes no guest can have: said before the module is asked. */
static void mem_too_big(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-E2BIG, "--mem", "2G", NULL), EXIT_USAGE);
	says("--mem 2G");
	says("at most 1024 MiB");
	never_says("module refused");
	assert_int_equal(spawns, 0);
}

static void mem_too_small(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-EINVAL, "--mem", "3M", NULL), EXIT_USAGE);
	says("--mem 3M");
	says("at least 8 MiB");
	never_says("module refused");
	assert_int_equal(spawns, 0);
}

static void ramdisk_too_big(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-E2BIG, "--ramdisk", "8G", NULL), EXIT_USAGE);
	says("--ramdisk 8G");
	says("at most 4096 MiB");
	never_says("module refused");
	assert_int_equal(spawns, 0);
}

static void empty_disk(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-EINVAL, "--disk", empty_path, NULL), EXIT_USAGE);
	says("--disk");
	says("is empty");
	never_says("module refused");
	assert_int_equal(spawns, 0);
}

/* A block device set read-only, or a read-only mount: said, not EROFS alone. */
static void disk_read_only(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-EROFS, "--disk", disk_path, NULL), EXIT_FAIL);
	says("--disk");
	says("is read-only");
	assert_int_equal(spawns, 1);
}

/*
 * The image passed the module's own checker here already: what the
 * module still refuses is the request's options, not the image.
 */
static void module_refuses_options(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-EINVAL, "--ramdisk", "16M", NULL), EXIT_USAGE);
	says("the module refused the options");
	says("--ramdisk 16 MiB");
	never_says("module refused /tmp");
}

/* --no-verify: the module is the image's only checker. */
static void module_refuses_unverified_image(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-ENOEXEC, "--no-verify", NULL), EXIT_IMAGE);
	says("the module refused /tmp/kspawn-test-run-");
	/* An EINVAL is the image's too when nothing else checked it. */
	assert_int_equal(run(-EINVAL, "--no-verify", NULL), EXIT_IMAGE);
	says("the module refused /tmp/kspawn-test-run-");
	never_says("the options");
}

/*
 * ESTALE: the instance's start had failed already, after its CPU had the
 * STARTUP IPI (docs/design.md), so the module will not start it again.
 */
static void start_failed_before(void **state)
{
	(void)state;
	running = 0;
	assert_int_equal(run(-ESTALE, "--cpu", "1", NULL), EXIT_FAIL);
	says("cannot be started again");
	never_says("Stale file handle");
}

/*
 * ETIMEDOUT from the start, after the guest ran: what it wrote, which
 * the module kept, follows run's word on stderr, a prefix on each line
 * and a guest's escape byte shown as '?' (ESC must not reach a terminal).
 */
static void start_timed_out(void **state)
{
	int saved = dup(2), rc;
	FILE *f = tmpfile();
	char out[1024];
	size_t n;

	(void)state;
	running = 0;
	assert_non_null(f);
	start_err = -ETIMEDOUT;
	words = "cmdline: hello\n\x1b[31mred\nno newline";
	fflush(stderr);
	dup2(fileno(f), 2);
	rc = run(0, "--cpu", "1", NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	start_err = 0;
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	assert_int_equal(rc, EXIT_FAIL);
	says("did not start");
	assert_string_equal(out, "  guest console: cmdline: hello\n"
			    "  guest console: ?[31mred\n"
			    "  guest console: no newline\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spawned),
		cmocka_unit_test_teardown(app_not_in_image, plain_image),
		cmocka_unit_test(cpu_busy),
		cmocka_unit_test(suspending),
		cmocka_unit_test(too_many_instances),
		cmocka_unit_test(too_many_instances_raced),
		cmocka_unit_test(instance_limit_emfile),
		cmocka_unit_test(pool_too_small),
		cmocka_unit_test(host_out_of_memory),
		cmocka_unit_test(mem_too_big),
		cmocka_unit_test(mem_too_small),
		cmocka_unit_test(ramdisk_too_big),
		cmocka_unit_test(empty_disk),
		cmocka_unit_test(disk_read_only),
		cmocka_unit_test(module_refuses_options),
		cmocka_unit_test(module_refuses_unverified_image),
		cmocka_unit_test(start_failed_before),
		cmocka_unit_test(start_timed_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
