/*
 * The timer interrupt.  Besides the scheduler's tick it bumps the
 * heartbeat the host watches, gives the network stack its time (ARP's
 * retries, kern/net.c), and honours a stop request: the host sets
 * host_request = KSPAWN_REQ_STOP and, if it negotiated KSPAWN_F_STOP_IPI,
 * also sends stop_vector so the guest need not wait for the next tick.
 */
#include <string.h>

#include "kern/tick.h"
#include "kern/console.h"
#include "kern/net.h"
#include "kern/panic.h"
#include "kern/power.h"
#include "kern/sched.h"
#include "kern/shared.h"
#include "kern/time.h"
#include "kern/thread.h"
#include "lib/cmdline.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/trap.h"


/*
 * The host's word for the timer's clock, if it is believable: between
 * 1 MHz and 100 GHz.  Calibrating costs milliseconds of every spawn.
 */
static uint64_t known_timer_khz(uint64_t khz)
{
	return khz >= 1000 && khz <= 100000000ULL ? khz : 0;
}

static void check_stop_request(void)
{
	struct kspawn_state *st = shared_state();

	if (__atomic_load_n(&st->host_request, __ATOMIC_ACQUIRE) !=
	    KSPAWN_REQ_STOP)
		return;
	kprintf("guest: the host asked us to stop\n");
	guest_exit(GUEST_EXIT_STOPPED);
}

static bool heartbeat_on;	/* KSPAWN_F_HEARTBEAT accepted */

static void timer_irq(struct trap_frame *tf)
{
	(void)tf;
	apic_eoi();
	/* Every CPU ticks; the clock and the heartbeat are CPU 0's. */
	if (!this_cpu()->index) {
		time_tick();
		if (heartbeat_on)
			__atomic_fetch_add(&shared_state()->heartbeat, 1,
					   __ATOMIC_RELAXED);
		net_timer_tick(ticks());
	}
	check_stop_request();
	sched_tick();
}

static void stop_irq(struct trap_frame *tf)
{
	(void)tf;
	apic_eoi();
	check_stop_request();
}

void tick_init(const struct cmdline *c)
{
	struct kspawn_state *st = shared_state();
	const char *beat = cmdline_opt(c, "heartbeat");
	uint64_t accept = 0;
	int stop_vector;

	/*
	 * heartbeat=off declines the heartbeat: the host then has no way to
	 * see this guest hang (a guest that stops its clock on purpose, say
	 * under a debugger of its own), and must not call it hung.
	 */
	if (!beat || strcmp(beat, "off"))
		accept |= KSPAWN_F_HEARTBEAT;

	irq_set_handler(APIC_VEC_TIMER, timer_irq);
	stop_vector = irq_alloc_vector(stop_irq);
	if (stop_vector > 0) {
		st->stop_vector = (uint32_t)stop_vector;
		accept |= KSPAWN_F_STOP_IPI;
	}
	/* Accept what this file implements, if the host offers it. */
	kspawn_hdr->guest_features |= kspawn_hdr->host_features & accept;
	heartbeat_on = kspawn_hdr->guest_features & KSPAWN_F_HEARTBEAT;
	if (apic_timer_start(HZ, APIC_VEC_TIMER,
			     known_timer_khz(kspawn_hdr->apic_timer_khz)))
		panic("tick: the APIC timer cannot run at %u Hz", HZ);
	/* What we used, so the host can tell the next guest (ABI 1.2). */
	st->apic_timer_khz = (uint32_t)apic_timer_input_khz();
	__atomic_store_n(&st->state, KSPAWN_GUEST_RUNNING, __ATOMIC_RELEASE);
}
