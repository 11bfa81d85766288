/*
 * kspawnctl's names for an instance's state (host/ctl/states.c), as list
 * and status print them: the module's view wins where the guest's own
 * record no longer says what the instance is (a DEAD instance's guest
 * may still say "running").  And the names of the exception vectors a
 * guest's panic record gives, whatever number it wrote.
 *
 * unit-sources: host/ctl/states.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/ctl/ctl.h"

static const char *name(enum ctl_host_state host, uint32_t guest, int hung)
{
	struct ctl_status st = { .host_state = host, .guest_state = guest,
				 .hung = hung };

	return instance_state_name(&st);
}

static void running_guest_is_running(void **state)
{
	(void)state;
	assert_string_equal(name(CTL_HOST_RUNNING, KSPAWN_GUEST_RUNNING, 0),
			    "running");
	assert_string_equal(name(CTL_HOST_RUNNING, KSPAWN_GUEST_RUNNING, 1),
			    "hung");
	assert_string_equal(name(CTL_HOST_RUNNING, KSPAWN_GUEST_PANICKED, 1),
			    "panicked");
}

/* The core could not be given back: whatever the guest last wrote. */
static void dead_is_dead(void **state)
{
	(void)state;
	assert_string_equal(name(CTL_HOST_DEAD, KSPAWN_GUEST_RUNNING, 0),
			    "dead");
	assert_string_equal(name(CTL_HOST_DEAD, KSPAWN_GUEST_BOOTING, 0),
			    "dead");
	assert_string_equal(name(CTL_HOST_DEAD, KSPAWN_GUEST_RUNNING, 1),
			    "dead");
	assert_string_equal(name(CTL_HOST_DEAD, KSPAWN_GUEST_HALTED, 0),
			    "dead");
	assert_string_equal(name(CTL_HOST_DEAD, KSPAWN_GUEST_PANICKED, 0),
			    "dead");
}

static void host_states_win(void **state)
{
	(void)state;
	assert_string_equal(name(CTL_HOST_LOADED, KSPAWN_GUEST_RUNNING, 0),
			    "loaded");
	assert_string_equal(name(CTL_HOST_STOPPING, KSPAWN_GUEST_RUNNING, 0),
			    "stopping");
	assert_string_equal(name(CTL_HOST_UNKNOWN, KSPAWN_GUEST_RUNNING, 0),
			    "unknown");
}

/*
 * The panic record's vector is the guest's to write: every value gets a
 * name, the last named exception (21) and the first past it included.
 */
static void vector_names(void **state)
{
	(void)state;
	assert_string_equal(vector_name(0), "#DE divide error");
	assert_string_equal(vector_name(14), "#PF page fault");
	assert_string_equal(vector_name(21), "#CP control protection");
	assert_string_equal(vector_name(22), "reserved exception");
	assert_string_equal(vector_name(31), "reserved exception");
	assert_string_equal(vector_name(32), "interrupt");
	assert_string_equal(vector_name(1ULL << 40), "interrupt");
	assert_string_equal(vector_name(~0ULL), "panic() called");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(running_guest_is_running),
		cmocka_unit_test(dead_is_dead),
		cmocka_unit_test(host_states_win),
		cmocka_unit_test(vector_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
