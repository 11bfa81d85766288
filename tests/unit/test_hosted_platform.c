/*
 * guest/hosted/platform_linux.c: the region the hosted tests run in.
 * Translation refuses anything outside the region, and touching the byte
 * just past either end really faults (checked in a child process).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hosted/platform.h"

#define PHYS 0x40000000ULL
#define SIZE (1UL << 20)

static void test_translation_bounds(void **state)
{
	struct plat_region r;
	char *p;

	(void)state;
	assert_int_equal(plat_region_map(&r, PHYS, SIZE), 0);
	p = plat_phys_to_virt(&r, PHYS, SIZE);
	assert_ptr_equal(p, r.base);
	p[0] = 1;
	p[SIZE - 1] = 2;
	assert_ptr_equal(plat_phys_to_virt(&r, PHYS + SIZE - 1, 1), p + SIZE - 1);
	assert_null(plat_phys_to_virt(&r, PHYS - 1, 1));
	assert_null(plat_phys_to_virt(&r, PHYS + SIZE - 1, 2));
	assert_null(plat_phys_to_virt(&r, PHYS + 8, UINT64_MAX));
	assert_null(plat_phys_to_virt(&r, UINT64_MAX, 2));
	assert_int_equal(plat_virt_to_phys(&r, p + 100), PHYS + 100);
	assert_int_equal(plat_virt_to_phys(&r, p + SIZE), ~0ULL);
	assert_int_equal(plat_virt_to_phys(&r, p - 1), ~0ULL);
	plat_region_unmap(&r);
	assert_int_equal(plat_region_map(&r, PHYS, 1000), -22);	/* not pages */
}

static int touch_faults(long offset)
{
	struct plat_region r;
	pid_t pid;
	int status;

	assert_int_equal(plat_region_map(&r, PHYS, SIZE), 0);
	pid = fork();
	if (pid == 0) {
		/* cmocka's handler would catch the fault; ASan may report it */
		signal(SIGSEGV, SIG_DFL);
		close(STDERR_FILENO);
		*((volatile char *)r.base + offset) = 1;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	plat_region_unmap(&r);
	/* killed by the fault, or ended by ASan's SEGV report: not exit 0 */
	return (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
	       (WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

static void test_guard_pages_fault(void **state)
{
	(void)state;
	assert_true(touch_faults(-1));
	assert_true(touch_faults((long)SIZE));
	assert_false(touch_faults((long)SIZE - 1));
}

static void test_time_moves(void **state)
{
	uint64_t a = plat_time_ns(), b;

	(void)state;
	usleep(2000);
	b = plat_time_ns();
	assert_true(b > a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translation_bounds),
		cmocka_unit_test(test_guard_pages_fault),
		cmocka_unit_test(test_time_moves),
	};

	return cmocka_run_group_tests_name("hosted_platform", tests, NULL, NULL);
}
