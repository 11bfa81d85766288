/* kspawnctl status ID, kspawnctl list */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "term_text.h"

#define LIST_MAX 64
#define LIST_CMDLINE 60	/* list's command-line column, in bytes */

static const char *const stamp_names[] = {
	[KSPAWN_STAMP_IOCTL] = "ioctl",
	[KSPAWN_STAMP_SIPI] = "sipi",
	[KSPAWN_STAMP_TRAMPOLINE] = "trampoline",
	[KSPAWN_STAMP_KMAIN] = "kmain",
	[KSPAWN_STAMP_APP_MAIN] = "app_main",
};
#define NSTAMPS (KSPAWN_STAMP_APP_MAIN + 1)

/*
 * Microseconds from stamp a to stamp b, or -1 if either is missing or they
 * are out of order: the guest writes some of them, so they are untrusted.
 * Stamps any distance apart: cycles * 1000 would wrap past 1.8e16 cycles
 * into a small, wrong figure, so the whole kHz periods are divided out
 * first; a figure past int64_t's range is -1, unknown, too.
 */
static int64_t stamp_us(const struct ctl_status *st, int a, int b)
{
	uint64_t ta = st->boot_tsc[a], tb = st->boot_tsc[b];
	uint64_t khz = st->tsc_khz, d, ms, rest;

	if (!ta || !tb || tb < ta || !khz)
		return -1;
	d = tb - ta;
	ms = d / khz;
	rest = d % khz;
	/* rest < khz: rest * 1000 fits for any clock below 2^64 / 1000 kHz. */
	if (ms >= (uint64_t)INT64_MAX / 1000 || khz > UINT64_MAX / 1000)
		return -1;
	return (int64_t)(ms * 1000 + rest * 1000 / khz);
}

static void print_latency(const struct ctl_status *st)
{
	int64_t total = stamp_us(st, KSPAWN_STAMP_IOCTL, KSPAWN_STAMP_APP_MAIN);

	printf("spawn latency (us, TSC at %" PRIu64 " kHz):\n", st->tsc_khz);
	for (int i = 1; i < NSTAMPS; i++) {
		int64_t us = stamp_us(st, i - 1, i);

		if (us < 0)
			printf("  %-10s -> %-10s  -\n", stamp_names[i - 1],
			       stamp_names[i]);
		else
			printf("  %-10s -> %-10s  %" PRId64 "\n",
			       stamp_names[i - 1], stamp_names[i], us);
	}
	if (total >= 0)
		printf("  total                    %" PRId64 "\n", total);
}

/*
 * Text the guest wrote (its command line in the shared header, its panic
 * message), up to N bytes or its NUL, for a terminal: anything but
 * printable ASCII comes out as '?', as in the module's own log line, so a
 * guest cannot send the admin's terminal escapes.  (--json escapes them.)
 */
static void put_guest_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++)
		putchar(term_ascii((unsigned char)s[i]));
}

static void print_panic(const struct kspawn_panic *p)
{
	if (p->vector == ~0ULL)
		printf("panic:      %s (no exception)\n", vector_name(p->vector));
	else
		printf("panic:      vector %" PRIu64 " (%s), error code 0x%"
		       PRIx64 "\n", p->vector, vector_name(p->vector),
		       p->error_code);
	printf("            RIP 0x%016" PRIx64 "  RSP 0x%016" PRIx64
	       "  CR2 0x%" PRIx64 "\n", p->rip, p->rsp, p->cr2);
	printf("            message: ");
	put_guest_text(p->message, KSPAWN_PANIC_MSG_MAX);
	printf("\n");
}

static void print_status(const struct ctl_status *st)
{
	printf("instance:   %u\n", st->id);
	printf("state:      %s (module: %s, guest: %s)\n",
	       instance_state_name(st), host_state_name(st->host_state),
	       guest_state_name(st->guest_state));
	printf("cpu:        %u (APIC ID %u)\n", st->cpu, st->apic_id);
	if (st->ncpus > 1) {
		printf("cpus:       %u:", st->ncpus);
		for (uint32_t i = 0; i < st->ncpus; i++)
			printf(" %u", st->cpus[i]);
		printf("\n");
	}
	if (st->doorbell_cpu < 0)
		printf("doorbell:   none (the host polls)\n");
	else
		printf("doorbell:   CPU %d, vector %u\n", st->doorbell_cpu,
		       st->doorbell_vector);
	printf("region:     0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " MiB)\n",
	       st->region_base, st->region_base + st->region_size - 1,
	       st->region_size >> 20);
	printf("shared:     0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " KiB)\n",
	       st->shared_base, st->shared_base + st->shared_size - 1,
	       st->shared_size >> 10);
	printf("cmdline:    ");
	put_guest_text(st->cmdline, KSPAWN_CMDLINE_MAX);
	printf("\n");
	if (st->heartbeat_age_ms == UINT64_MAX)
		printf("heartbeat:  %" PRIu64 "%s\n", st->heartbeat,
		       st->hung ? " (stopped: guest hung)" : "");
	else
		printf("heartbeat:  %" PRIu64 ", last change %" PRIu64
		       " ms ago%s\n", st->heartbeat, st->heartbeat_age_ms,
		       st->hung ? " (stopped: guest hung)" : "");
	if (st->guest_state == KSPAWN_GUEST_HALTED)
		printf("exit code:  %u\n", st->exit_code);
	if (st->guest_state == KSPAWN_GUEST_PANICKED)
		print_panic(&st->panic);
	if (st->console_dropped)
		printf("console:    %" PRIu64 " bytes lost to a full ring\n",
		       st->console_dropped);
	if (st->stray_irqs) {
		/* The module knows its kernel's vectors: docs/design.md 4. */
		const char *why = st->stray_host_broadcast ?
			"; the host's IPI broadcasts: no_ipi_broadcast=1 on its command line stops them" :
			"";

		printf("stray irqs: %" PRIu64 ", the last on vector %u (ignored by the guest%s)\n",
		       st->stray_irqs, st->stray_vector, why);
	}
	print_latency(st);
}

static void json_status(struct json *j, const char *key,
			const struct ctl_status *st)
{
	json_open(j, key, '{');
	json_u64(j, "id", st->id);
	json_str(j, "state", instance_state_name(st));
	json_str(j, "host_state", host_state_name(st->host_state));
	json_str(j, "guest_state", guest_state_name(st->guest_state));
	json_bool(j, "hung", st->hung);
	json_u64(j, "cpu", st->cpu);
	json_u64(j, "ncpus", st->ncpus ? st->ncpus : 1);
	/* Always a list, one CPU or more: a script needs no second case. */
	json_open(j, "cpus", '[');
	if (st->ncpus > 1)
		for (uint32_t i = 0; i < st->ncpus; i++)
			json_u64(j, NULL, st->cpus[i]);
	else
		json_u64(j, NULL, st->cpu);
	json_close(j, ']');
	json_u64(j, "apic_id", st->apic_id);
	if (st->doorbell_cpu < 0) {
		json_null(j, "doorbell_cpu");
		json_null(j, "doorbell_vector");
	} else {
		json_i64(j, "doorbell_cpu", st->doorbell_cpu);
		json_u64(j, "doorbell_vector", st->doorbell_vector);
	}
	json_hex(j, "region_base", st->region_base);
	json_u64(j, "region_size", st->region_size);
	json_hex(j, "shared_base", st->shared_base);
	json_u64(j, "shared_size", st->shared_size);
	json_strn(j, "cmdline", st->cmdline, KSPAWN_CMDLINE_MAX);
	json_u64(j, "heartbeat", st->heartbeat);
	if (st->heartbeat_age_ms == UINT64_MAX)	/* never seen one */
		json_null(j, "heartbeat_age_ms");
	else
		json_u64(j, "heartbeat_age_ms", st->heartbeat_age_ms);
	json_u64(j, "console_dropped", st->console_dropped);
	json_u64(j, "stray_irqs", st->stray_irqs);
	if (st->stray_irqs) {
		json_u64(j, "stray_vector", st->stray_vector);
		json_bool(j, "stray_host_broadcast", st->stray_host_broadcast);
	} else {
		json_null(j, "stray_vector");
		json_null(j, "stray_host_broadcast");
	}
	if (st->guest_state == KSPAWN_GUEST_HALTED)
		json_u64(j, "exit_code", st->exit_code);
	else
		json_null(j, "exit_code");
	if (st->guest_state == KSPAWN_GUEST_PANICKED) {
		json_open(j, "panic", '{');
		if (st->panic.vector == ~0ULL)
			json_null(j, "vector");
		else
			json_u64(j, "vector", st->panic.vector);
		json_str(j, "vector_name", vector_name(st->panic.vector));
		json_hex(j, "error_code", st->panic.error_code);
		json_hex(j, "rip", st->panic.rip);
		json_hex(j, "rsp", st->panic.rsp);
		json_hex(j, "cr2", st->panic.cr2);
		json_strn(j, "message", st->panic.message,
			  KSPAWN_PANIC_MSG_MAX);
		json_close(j, '}');
	} else {
		json_null(j, "panic");
	}
	json_u64(j, "tsc_khz", st->tsc_khz);
	json_open(j, "latency_us", '{');
	for (int i = 1; i < NSTAMPS; i++) {
		char name[32];
		int64_t us = stamp_us(st, i - 1, i);

		snprintf(name, sizeof(name), "%s_to_%s", stamp_names[i - 1],
			 stamp_names[i]);
		if (us < 0)
			json_null(j, name);
		else
			json_i64(j, name, us);
	}
	json_close(j, '}');
	json_close(j, '}');
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct ctl_status st;
	uint32_t id;
	int rc, e;

	rc = ctl_id_args("status", argc, argv, NULL, &id);
	if (rc != CTL_GO)
		return rc;
	rc = ctl_open(c);
	if (rc)
		return rc;
	e = dev_status(c->fd, id, &st);
	if (e)
		return ctl_fail("status", e, id);
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_status(&j, NULL, &st);
		json_end(&j);
	} else {
		print_status(&st);
	}
	return EXIT_OK;
}

/* "pool: CPUs 2-3 reserved, free: 3", if the module keeps any. */
static void print_pool(struct ctl *c)
{
	static struct ctl_cpus pool;
	static unsigned char free_set[CTL_MAX_CPUS];
	static char all[CTL_CPULIST_MAX], free_list[CTL_CPULIST_MAX];
	int any = 0;

	if (dev_cpus(c->fd, &pool))
		return;
	for (int cpu = 0; cpu < CTL_MAX_CPUS; cpu++) {
		free_set[cpu] = pool.pooled[cpu] && !pool.busy[cpu];
		any |= pool.pooled[cpu];
	}
	if (!any)
		return;
	cpus_format(pool.pooled, all, sizeof(all));
	cpus_format(free_set, free_list, sizeof(free_list));
	printf("pool: CPUs %s reserved for guests, free: %s\n", all, free_list);
}

/*
 * The instance's CPUs for list's column: all of an SMP guest's (2-3,5),
 * as status shows them, not its first alone, which would hide the rest.
 */
static const char *cpu_column(const struct ctl_status *st)
{
	static unsigned char set[CTL_MAX_CPUS];
	static char buf[CTL_CPULIST_MAX];

	if (st->ncpus <= 1) {
		snprintf(buf, sizeof(buf), "%u", st->cpu);
		return buf;
	}
	memset(set, 0, sizeof(set));
	for (uint32_t i = 0; i < st->ncpus; i++)
		if (st->cpus[i] < CTL_MAX_CPUS)
			set[st->cpus[i]] = 1;
	cpus_format(set, buf, sizeof(buf));
	return buf;
}

int cmd_list(struct ctl *c, int argc, char **argv)
{
	uint32_t ids[LIST_MAX];
	struct json j;
	int n, rc, e, operands = 0, worst = EXIT_OK;

	if (ctl_help("list", argc, argv, NULL))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (ctl_end_of_options(argv[i], &operands))
			continue;
		/* "-1" is an argument, as an ID would be, not an option. */
		if (!operands && ctl_is_option(argv[i]))
			return ctl_bad_option("list", argv[i]);
		return ctl_usage("list", "takes no arguments ('%s')", argv[i]);
	}
	rc = ctl_open(c);
	if (rc)
		return rc;
	e = dev_list(c->fd, ids, LIST_MAX, &n);
	if (e)
		return ctl_fail_call("list", e);
	json_init(&j, stdout);
	if (c->json)
		json_open(&j, NULL, '[');
	else
		printf("%-4s %-4s %-9s %-24s %s\n", "ID", "CPU", "STATE",
		       "REGION", "CMDLINE");
	for (int i = 0; i < n; i++) {
		struct ctl_status st;
		char region[48];

		/*
		 * It may have gone between the two calls: skip it then.  Any
		 * other failure is said, and the list is not whole: the exit
		 * status says so after the rest is shown.
		 */
		e = dev_status(c->fd, ids[i], &st);
		if (e == -ESRCH || e == -ENOENT)
			continue;
		if (e) {
			char what[32];

			snprintf(what, sizeof(what), "list: instance %u", ids[i]);
			rc = ctl_fail(what, e, ids[i]);
			if (worst == EXIT_OK)
				worst = rc;
			continue;
		}
		if (c->json) {
			json_status(&j, NULL, &st);
			continue;
		}
		snprintf(region, sizeof(region), "0x%08" PRIx64 "+%" PRIu64 "MiB",
			 st.region_base, st.region_size >> 20);
		printf("%-4u %-4s %-9s %-24s ", st.id, cpu_column(&st),
		       instance_state_name(&st), region);
		put_guest_text(st.cmdline, LIST_CMDLINE);
		/* Cut: said, not shown as if it were the whole line. */
		if (strnlen(st.cmdline, KSPAWN_CMDLINE_MAX) > LIST_CMDLINE)
			printf("...");
		printf("\n");
	}
	if (c->json) {
		json_close(&j, ']');
		json_end(&j);
	} else {
		print_pool(c);
	}
	return worst;
}
