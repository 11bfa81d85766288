#include <string.h>

#include "kern/console.h"
#include "kern/shared.h"
#include "kern/sync.h"
#include "abi/byte_ring.h"
#include "kern/thread.h"
#include "lib/format.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/uart.h"

static int use_uart;
static struct byte_ring ring_out;
static struct byte_ring ring_in;

void console_init(struct kspawn_header *hdr)
{
	use_uart = (hdr->flags & KSPAWN_HF_STANDALONE) != 0;
	if (use_uart)
		uart_init(COM1);
	shared_ring(hdr, hdr->console_out_off, &ring_out);
	shared_ring(hdr, hdr->console_in_off, &ring_in);
}

/*
 * A full ring is the host not draining it.  Wait a little for it; past that
 * drop and let the ring's dropped counter tell the host what it lost.
 */
static void ring_put(const char *s, size_t n)
{
	unsigned int spins = 0;

	while (n) {
		size_t k = byte_ring_write(&ring_out, s, n);

		s += k;
		n -= k;
		if (k) {
			spins = 0;
		} else if (++spins > 1000000) {
			byte_ring_drop(&ring_out, (uint32_t)n);
			return;
		} else {
			cpu_relax();
		}
	}
}

/*
 * The ring has one producer: CPUs take turns.  Not a struct spinlock: a
 * CPU that faults or panics while it writes must still get its report out
 * (it writes over its own turn), and so must one whose peer was halted
 * mid-line (it waits a bounded while, then writes anyway).
 */
static uint32_t writer;			/* CPU index + 1, or 0 */

static int console_lock(void)
{
	uint32_t me = this_cpu()->index + 1;

	if (__atomic_load_n(&writer, __ATOMIC_RELAXED) == me)
		return 0;
	for (unsigned int spins = 0; spins < 10000000; spins++) {
		uint32_t none = 0;

		if (__atomic_compare_exchange_n(&writer, &none, me, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		cpu_relax();
	}
	return 0;
}

static void console_unlock(int held)
{
	if (held)
		__atomic_store_n(&writer, 0, __ATOMIC_RELEASE);
}

void console_write(const char *s, size_t n)
{
	uint64_t flags = irq_save();
	int held = console_lock();

	if (use_uart)
		uart_write(COM1, s, n);
	if (ring_out.r)
		ring_put(s, n);
	console_unlock(held);
	irq_restore(flags);
}

/*
 * kprintf() gathers what format() hands it piece by piece (the text up to
 * a conversion, the conversion, the rest) and writes it in one turn, so
 * that CPUs printing at once do not tear each other's lines.  A line
 * longer than the buffer goes out in buffer-sized turns.
 */
struct kprintf_buf {
	size_t n;
	char b[256];
};

static void kprintf_sink(void *ctx, const char *s, size_t n)
{
	struct kprintf_buf *k = ctx;

	while (n) {
		size_t take = sizeof(k->b) - k->n;

		if (take > n)
			take = n;
		memcpy(k->b + k->n, s, take);
		k->n += take;
		s += take;
		n -= take;
		if (k->n == sizeof(k->b)) {
			console_write(k->b, k->n);
			k->n = 0;
		}
	}
}

int kprintf(const char *fmt, ...)
{
	struct kprintf_buf k;
	va_list ap;
	int n;

	k.n = 0;
	va_start(ap, fmt);
	n = format(kprintf_sink, &k, fmt, ap);
	va_end(ap);
	if (k.n)
		console_write(k.b, k.n);
	return n;
}

/*
 * The input ring has one consumer, and the UART's status and data are
 * two reads: threads on several CPUs reading stdin at once take turns,
 * or two of them take the same byte (qemu/console-readers).
 */
static struct spinlock getc_lock = SPINLOCK_INIT;

int console_getc(void)
{
	uint64_t flags = spin_lock_irqsave(&getc_lock);
	int c = -1;
	uint8_t b;

	if (byte_ring_read(&ring_in, &b, 1) == 1)
		c = b;
	else if (use_uart)
		c = uart_getc(COM1);
	spin_unlock_irqrestore(&getc_lock, flags);
	return c;
}
