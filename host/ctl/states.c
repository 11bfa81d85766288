/* Names for states and exception vectors, shared by list and status. */
#include "ctl.h"

const char *guest_state_name(uint32_t s)
{
	switch (s) {
	case KSPAWN_GUEST_BOOTING:
		return "booting";
	case KSPAWN_GUEST_RUNNING:
		return "running";
	case KSPAWN_GUEST_PANICKED:
		return "panicked";
	case KSPAWN_GUEST_HALTED:
		return "halted";
	default:
		return "invalid";	/* guest memory: anything can be there */
	}
}

const char *host_state_name(enum ctl_host_state s)
{
	switch (s) {
	case CTL_HOST_LOADED:
		return "loaded";
	case CTL_HOST_STARTING:
		return "starting";
	case CTL_HOST_RUNNING:
		return "running";
	case CTL_HOST_STOPPING:
		return "stopping";
	case CTL_HOST_DEAD:
		return "dead";
	default:
		return "unknown";
	}
}

/*
 * What a user should call the instance.  The guest's own record says
 * what it is only while the module runs it: a DEAD instance (its core not
 * given back) or one in a state this kspawnctl does not know may still
 * hold "running" there.  Then "hung" beats what the guest says.
 */
const char *instance_state_name(const struct ctl_status *st)
{
	if (st->host_state != CTL_HOST_RUNNING)
		return host_state_name(st->host_state);
	if (st->hung && st->guest_state != KSPAWN_GUEST_PANICKED &&
	    st->guest_state != KSPAWN_GUEST_HALTED)
		return "hung";
	return guest_state_name(st->guest_state);
}

const char *vector_name(uint64_t v)
{
	static const char *const names[] = {
		"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
		"#OF overflow", "#BR bound range", "#UD invalid opcode",
		"#NM device not available", "#DF double fault",
		"coprocessor segment overrun", "#TS invalid TSS",
		"#NP segment not present", "#SS stack fault",
		"#GP general protection", "#PF page fault", "reserved",
		"#MF x87 floating point", "#AC alignment check",
		"#MC machine check", "#XM SIMD floating point",
		"#VE virtualization", "#CP control protection",
	};

	if (v == ~0ULL)
		return "panic() called";
	if (v < sizeof(names) / sizeof(names[0]))
		return names[v];
	return v < 32 ? "reserved exception" : "interrupt";
}
