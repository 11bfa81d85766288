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
#define IPI_GRACE_POLLS 10	/* a Ctrl-C left this long for its IPI */

enum { STOP_NONE, STOP_BREAK_IN, STOP_WAIT, STOP_ATTACH };

static int enabled, wait_for_gdb, ipi_offered;
static int stop_pending;

/*
 * With gdb=wait, gdb attaches at the main thread's stop before the app,
 * and until that stop has been served nothing else reads the channel.
 * gdb connects as soon as it can, often before the main thread exists;
 * a poller that took its first packet then stopped the guest in its own
 * thread, gdb attached there, and its first continue ran straight into
 * the main thread's stop: a stray SIGTRAP in gdb_wait_if_asked() instead
 * of the breakpoint gdb had set.
 */
static int awaiting_attach;
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
 * guest runs stops the guest and leaves the '$' for the stub to read; one
 * that finds a Ctrl-C leaves it for the debug IPI's handler.
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

/* The signal gdb is told for a stop we asked for, 0 for none. */
static int stop_signal(int why)
{
	return why == STOP_BREAK_IN ? GDB_SIGINT :
	       why == STOP_WAIT || why == STOP_ATTACH ? GDB_SIGTRAP : 0;
}

static int debug_hook(struct trap_frame *tf)
{
	int why = tf->vector == 3 ?
		__atomic_exchange_n(&stop_pending, STOP_NONE, __ATOMIC_ACQ_REL) :
		STOP_NONE;

	return gdb_target_trap(tf, stop_signal(why));
}

/*
 * Stop right here, in the calling thread, through the debug trap.  Call
 * with interrupts off: a thread switched in between the store and the
 * int3 could stop for a reason of its own and take this one with it,
 * and our int3 would then look like a stray one (one CPU: interrupts off
 * is exclusive).
 */
static void stop_here(int why)
{
	__atomic_store_n(&stop_pending, why, __ATOMIC_RELEASE);
	__asm__ volatile("int3");
}

/*
 * What a byte that came while the guest runs asks for: Ctrl-C, or (gdb
 * attaching to a guest that did not wait for it) a packet's '$', left
 * for the stub to read.  Interrupts off: the poller and the debug IPI
 * both take bytes.
 */
static int stop_for(int c)
{
	if (c == BREAK_IN)
		return STOP_BREAK_IN;
	if (c != '$')
		return STOP_NONE;
	pushed_back = c;
	return STOP_ATTACH;
}

/*
 * One look at the channel by the poller; returns why to stop.  With the
 * debug IPI, a Ctrl-C belongs to the IPI, which stops the thread the user
 * wants to see: the poller that reads one first leaves it pushed back for
 * the IPI handler, and takes it itself only if no IPI came for a while.
 */
static int poll_once(void)
{
	static int waited;	/* polls the pushed-back Ctrl-C has waited */
	int c;

	if (__atomic_load_n(&awaiting_attach, __ATOMIC_ACQUIRE))
		return STOP_NONE;
	if (pushed_back == BREAK_IN) {
		if (++waited < IPI_GRACE_POLLS)
			return STOP_NONE;
		pushed_back = -1;
		return STOP_BREAK_IN;
	}
	c = stub_get();
	if (c == BREAK_IN && ipi_offered) {
		pushed_back = c;
		waited = 0;
		return STOP_NONE;
	}
	return stop_for(c);
}

/*
 * While the guest runs, gdb sends Ctrl-C, or, attaching to a guest that did
 * not wait for it (gdb=on), its first packet.  This thread keeps interrupts
 * off, even while it sleeps (the scheduler switches with them off, and
 * each thread returns to its own state): the debug IPI then never lands
 * in the poller, nor between its read of a byte and what it does about
 * it, but in the thread that was running.  Both are CPU 0's (gdb_init()).
 */
static int break_in_poller(void *arg)
{
	(void)arg;
	irq_disable();
	for (;;) {
		int why = poll_once();

		if (why)
			stop_here(why);
		thread_sleep_ms(POLL_MS);
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
	int why;

	apic_eoi();
	if (__atomic_load_n(&awaiting_attach, __ATOMIC_ACQUIRE))
		return;		/* the 0x03 waits for the stub, which skips it */
	why = stop_for(stub_get());	/* the poller may have left it */
	if (why)
		gdb_target_trap(tf, stop_signal(why));
}

static void offer_debug_ipi(void)
{
	int vector = irq_alloc_vector(debug_irq);

	if (vector > 0) {
		ipi_offered = 1;
		shared_state()->debug_vector = (uint32_t)vector;
	}
}

void gdb_init(const struct cmdline *c)
{
	const char *opt = cmdline_opt(c, "gdb");
	/*
	 * On CPU 0, which takes the host's interrupts and so the debug
	 * IPI: the poller's interrupts-off is then what keeps the two from
	 * reading the channel (a single-reader ring) and pushed_back at
	 * once.  On another CPU of an SMP guest it kept nothing apart.
	 */
	struct thread_attr attr = { .prio = THREAD_PRIO_MAX, .cpus = 1u << 0 };

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
	awaiting_attach = wait_for_gdb;
	if (!thread_create("gdb-break-in", break_in_poller, NULL, &attr))
		kprintf("gdb: no break-in thread: Ctrl-C will not stop the guest\n");
	enabled = 1;
	kprintf("gdb: stub on %s%s\n",
		io == &uart_io ? "COM2" : "the debug channel",
		wait_for_gdb ? ", waiting for the debugger" : "");
}

void gdb_wait_if_asked(void)
{
	uint64_t flags;

	if (!enabled || !wait_for_gdb)
		return;
	flags = irq_save();
	stop_here(STOP_WAIT);
	/* gdb has been served: the poller and the debug IPI take over. */
	__atomic_store_n(&awaiting_attach, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}
