/*
 * kspawnctl --json status and list: every field the text shows is there
 * for a script too (an SMP guest's CPUs, the heartbeat's age, console
 * bytes lost), and run's object in the same words; and list's text, its
 * CPUs and its command lines, against the fake device (ctl_fake.h).
 *
 * unit-sources: host/ctl/cli.c host/ctl/errors.c host/ctl/args.c
 * unit-sources: host/ctl/output.c host/ctl/usage.c host/ctl/run_args.c
 * unit-sources: host/ctl/cmd_run.c host/ctl/spawn.c host/ctl/cmd_status.c host/ctl/cmd_stop.c
 * unit-sources: host/ctl/cmd_console.c host/ctl/cmd_gdb.c host/ctl/cmd_reserve.c
 * unit-sources: host/ctl/term_text.c
 * unit-sources: host/ctl/cpus.c host/ctl/image.c host/ctl/json.c
 * unit-sources: host/ctl/states.c host/ctl/kmsg.c host/ctl/gdb_break.c
 * unit-sources: host/loader/elf_check.c guest/gdbstub/rsp.c
 * unit-sources: host/ctl/peer_uid.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/ctl_fake.h"

static char flat[sizeof(out)];	/* out[] without its spaces and newlines */

static int reset(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* out[] without its spaces and newlines, into flat[]. */
static void flatten(void)
{
	size_t n = 0;

	for (const char *p = out; *p; p++)
		if (*p != ' ' && *p != '\n')
			flat[n++] = *p;
	flat[n] = 0;
}

/* kspawnctl --json CMD [ID], its output flattened into flat[]. */
static void json_of(const char *cmd, const char *id)
{
	assert_int_equal(ctl("--json", cmd, id), EXIT_OK);
	flatten();
}

/*
 * An SMP guest: its CPUs as the text's "cpus:" line lists them, and as
 * list's CPU column does.
 */
static void smp_cpus(void **state)
{
	(void)state;
	fake.cpu = 2;
	fake.ncpus = 3;
	fake.cpus[0] = 2;
	fake.cpus[1] = 3;
	fake.cpus[2] = 5;
	json_of("status", "7");
	has(flat, "\"cpu\":2,");
	has(flat, "\"ncpus\":3,");
	has(flat, "\"cpus\":[2,3,5],");
	json_of("list", NULL);
	has(flat, "\"cpus\":[2,3,5],");
	/* The text's list too: every CPU, not the first alone. */
	assert_int_equal(ctl("list"), EXIT_OK);
	has(out, "\n7    2-3,5 running ");
	/* One CPU: a list of one, so a script needs no second case. */
	fake.ncpus = 0;
	json_of("status", "7");
	has(flat, "\"cpus\":[2],");
}

/* The heartbeat's age (null: never seen one) and console bytes lost. */
static void heartbeat_age_and_console_dropped(void **state)
{
	(void)state;
	json_of("status", "7");
	has(flat, "\"heartbeat_age_ms\":null,");
	has(flat, "\"console_dropped\":0,");
	fake.heartbeat_age_ms = 120;
	fake.console_dropped = 4096;
	json_of("status", "7");
	has(flat, "\"heartbeat_age_ms\":120,");
	has(flat, "\"console_dropped\":4096,");
	json_of("list", NULL);
	has(flat, "\"heartbeat_age_ms\":120,");
	has(flat, "\"console_dropped\":4096,");
	/* What the text says of the same. */
	assert_int_equal(ctl("status", "7"), EXIT_OK);
	has(out, "last change 120 ms ago");
	has(out, "console:    4096 bytes lost");
}

/*
 * run --json: its object in status's words, so that a script reads the
 * new instance as it reads status: cpus a list (an SMP guest's every
 * CPU, not only its first), region_size the region (mem, its old name,
 * kept), written as status writes its object.
 */
static void run_as_status(void **state)
{
	(void)state;
	fake.pooled[2] = 1;
	fake.pooled[3] = 1;
	assert_int_equal(ctl("--json", "run", image_path, "--cpus", "2-3",
			     "--mem", "17M"), EXIT_OK);
	has(out, "{\n  \"id\": 7,\n");
	flatten();
	has(flat, "\"cpu\":2,");
	has(flat, "\"ncpus\":2,");
	has(flat, "\"cpus\":[2,3],");
	has(flat, "\"region_size\":18874368,");
	has(flat, "\"mem\":18874368}");
	/* The module's choice: a list of one. */
	json_of("run", image_path);
	has(flat, "\"cpu\":1,");
	has(flat, "\"ncpus\":1,");
	has(flat, "\"cpus\":[1],");
}

/*
 * Spawn latency from stamps the guest wrote far apart: 2^64 / 1000 + 1
 * cycles at 1 GHz is 18446744073709 us, which cycles * 1000 wrapped to
 * 0; a gap no int64_t of microseconds holds is unknown.
 */
static void latency_far_apart(void **state)
{
	(void)state;
	fake.tsc_khz = 1000000;
	fake.boot_tsc[KSPAWN_STAMP_IOCTL] = 1000;
	fake.boot_tsc[KSPAWN_STAMP_SIPI] = 2000;	/* 1 us */
	fake.boot_tsc[KSPAWN_STAMP_TRAMPOLINE] = 2000 + UINT64_MAX / 1000 + 1;
	fake.boot_tsc[KSPAWN_STAMP_KMAIN] =
		fake.boot_tsc[KSPAWN_STAMP_TRAMPOLINE] + 1;	/* 1 ns */
	fake.boot_tsc[KSPAWN_STAMP_APP_MAIN] =
		fake.boot_tsc[KSPAWN_STAMP_KMAIN] + 1000;	/* 1 us */
	json_of("status", "7");
	has(flat, "\"ioctl_to_sipi\":1,");
	has(flat, "\"sipi_to_trampoline\":18446744073709,");
	has(flat, "\"trampoline_to_kmain\":0,");
	has(flat, "\"kmain_to_app_main\":1}");
	assert_int_equal(ctl("status", "7"), EXIT_OK);
	has(out, "sipi       -> trampoline  18446744073709\n");
	has(out, "total                    18446744073711\n");
	/* At 1 kHz the same gap is past int64_t's microseconds: unknown. */
	fake.tsc_khz = 1;
	json_of("status", "7");
	has(flat, "\"sipi_to_trampoline\":null,");
	assert_int_equal(ctl("status", "7"), EXIT_OK);
	has(out, "sipi       -> trampoline  -\n");
	if (strstr(out, "total"))
		fail_msg("a total of an unknown gap: %s", out);
}

/*
 * list's command-line column shows 60 bytes: one longer is marked cut
 * ("..."), not shown as if it were the whole of it; status and --json
 * give it whole.
 */
static void list_cmdline_cut(void **state)
{
	static const char *const line =
		"netbench ip=169.254.1.2 peer=169.254.1.1 port=7 count=100000 sizes=64,512,1472";

	(void)state;
	fake.cmdline = line;
	assert_int_equal(ctl("list"), EXIT_OK);
	has(out, "netbench ip=169.254.1.2 peer=169.254.1.1 port=7 count=100000...\n");
	assert_int_equal(ctl("status", "7"), EXIT_OK);
	has(out, line);
	fake.cmdline = "hello a b";
	assert_int_equal(ctl("list"), EXIT_OK);
	has(out, " hello a b\n");
	/* Each row's columns start where the header's do. */
	assert_int_equal(strstr(out, "CMDLINE") - out,
			 strstr(out, "hello a b") - strchr(out, '\n') - 1);
	assert_int_equal(strstr(out, "REGION") - out,
			 strstr(out, "0x") - strchr(out, '\n') - 1);
	has(out, "+16MiB ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(smp_cpus, reset),
		cmocka_unit_test_setup(heartbeat_age_and_console_dropped, reset),
		cmocka_unit_test_setup(latency_far_apart, reset),
		cmocka_unit_test_setup(run_as_status, reset),
		cmocka_unit_test_setup(list_cmdline_cut, reset),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
