#include <string.h>

#include "kern/gdb.h"
#include "kern/console.h"
#include "kern/sched.h"
#include "kern/shared.h"
#include "abi/byte_ring.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdb_target.h"
#include "arch/x86_64/uart.h"

#define BREAK_IN 0x03
#define POLL_MS 20

enum { STOP_NONE, STOP_BREAK_IN, STOP_WAIT, STOP_ATTACH };

static int enabled, wait_for_gdb;
static int stop_pending;
static struct byte_ring dbg_out, dbg_in;

static int uart_get(void)
{
	return uart_getc(COM2);
}

static void uart_put(const char *buf, size_t len)
{
	uart_write_raw(COM2, buf, len);
}

/*
 * The stub polls here, interrupts off, while gdb holds the guest stopped:
 * the tick is silent then, so keep the heartbeat going, or the host would
 * take a guest under a debugger for a hung one.
 */
static int ring_get(void)
{
	uint8_t c;

	__atomic_fetch_add(&shared_state()->heartbeat, 1, __ATOMIC_RELAXED);
	return byte_ring_read(&dbg_in, &c, 1) == 1 ? c : -1;
}

/* The host bridge drains the ring; wait for room rather than lose bytes. */
static void ring_put(const char *buf, size_t len)
{
	while (len) {
		size_t k = byte_ring_write(&dbg_out, buf, len);

		buf += k;
		len -= k;
	}
}

static const struct gdb_transport uart_io = { uart_get, uart_put };
static const struct gdb_transport ring_io = { ring_get, ring_put };
static const struct gdb_transport *io;

/*
 * One byte of push-back: the poller that finds gdb's first packet while the
 * guest runs stops the guest and leaves the '$' for the stub to read.
 */
static int pushed_back = -1;

static int stub_get(void)
{
	int c = pushed_back;

	if (c < 0)
		return io->getc();
	pushed_back = -1;
	return c;
}

static void stub_write(const char *buf, size_t len)
{
	io->write(buf, len);
}

static const struct gdb_transport stub_io = { stub_get, stub_write };

static int debug_hook(struct trap_frame *tf)
{
	int why = tf->vector == 3 ?
		__atomic_exchange_n(&stop_pending, STOP_NONE, __ATOMIC_ACQ_REL) :
		STOP_NONE;

	return gdb_target_trap(tf, why == STOP_BREAK_IN ? GDB_SIGINT :
				   why == STOP_WAIT || why == STOP_ATTACH ?
				   GDB_SIGTRAP : 0);
}

/* Stop right here, in the calling thread, through the debug trap. */
static void stop_here(int why)
{
	__atomic_store_n(&stop_pending, why, __ATOMIC_RELEASE);
	__asm__ volatile("int3");
}

/*
 * While the guest runs, gdb sends Ctrl-C, or, attaching to a guest that did
 * not wait for it (gdb=on), its first packet.  The poller and the debug IPI
 * both read, so reads happen with interrupts off (one CPU: that makes them
 * exclusive).
 */
static int next_byte(void)
{
	uint64_t flags = irq_save();
	int c = io->getc();

	irq_restore(flags);
	return c;
}

static int break_in_poller(void *arg)
{
	(void)arg;
	for (;;) {
		int c = next_byte();

		if (c == BREAK_IN) {
			stop_here(STOP_BREAK_IN);
		} else if (c == '$') {
			pushed_back = c;
			stop_here(STOP_ATTACH);
		} else if (c < 0) {
			thread_sleep_ms(POLL_MS);
		}
	}
	return 0;
}

/*
 * The host's debug IPI (kspawnctl gdb sends it with the 0x03): stop in the
 * interrupted thread, which is the one a user pressing Ctrl-C wants to see,
 * rather than in the poller.
 */
static void debug_irq(struct trap_frame *tf)
{
	apic_eoi();
	if (io->getc() == BREAK_IN)
		gdb_target_trap(tf, GDB_SIGINT);
}

static void offer_debug_ipi(void)
{
	int vector = irq_alloc_vector(debug_irq);

	if (vector > 0)
		shared_state()->debug_vector = (uint32_t)vector;
}

void gdb_init(const struct cmdline *c)
{
	const char *opt = cmdline_opt(c, "gdb");
	struct thread_attr attr = { .prio = THREAD_PRIO_MAX };

	if (!opt || !strcmp(opt, "off"))
		return;
	wait_for_gdb = !strcmp(opt, "wait");
	if (kspawn_hdr->flags & KSPAWN_HF_STANDALONE) {
		uart_init(COM2);
		io = &uart_io;
	} else if (!shared_ring(kspawn_hdr, kspawn_hdr->debug_out_off, &dbg_out) &&
		   !shared_ring(kspawn_hdr, kspawn_hdr->debug_in_off, &dbg_in)) {
		io = &ring_io;
		offer_debug_ipi();
	} else {
		kprintf("gdb: the host gave no debug channel; stub off\n");
		return;
	}
	gdb_target_init(&stub_io);
	trap_set_debug_hook(debug_hook);
	if (!thread_create("gdb-break-in", break_in_poller, NULL, &attr))
		kprintf("gdb: no break-in thread: Ctrl-C will not stop the guest\n");
	enabled = 1;
	kprintf("gdb: stub on %s%s\n",
		io == &uart_io ? "COM2" : "the debug channel",
		wait_for_gdb ? ", waiting for the debugger" : "");
}

void gdb_wait_if_asked(void)
{
	if (enabled && wait_for_gdb)
		stop_here(STOP_WAIT);
}
