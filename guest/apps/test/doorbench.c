/*
 * doorbench [count=N]: the host's doorbell, one way in each direction,
 * from the TSC stamps of its timed echo (ABI 1.2, KSPAWN_F_DOORBELL_ECHO):
 * guest -> host is our stamp just before the IPI to the host's handler's
 * stamp, host -> guest the host's stamp just before its IPI back to our
 * handler's.  Prints the median and 99th percentile of each, in ns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"
#include "lib/percentile.h"

#define WARMUP 100
/* The host answers this many at once (ABI: kspawn_echo), warm-up included. */
#define COUNT_MAX (25000 - WARMUP)
#define TIMEOUT_NS (2000 * 1000000ULL)	/* lost, not slow: TCG under load */

static volatile uint64_t rx_tsc;

static void echo_irq(struct trap_frame *tf)
{
	(void)tf;
	rx_tsc = rdtsc();
	apic_eoi();
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One echo; 0, or -1 if it never came back. */
static int once(struct kspawn_echo *e, uint64_t seq, uint64_t *g2h,
		uint64_t *h2g)
{
	uint64_t t0 = time_ns();

	rx_tsc = 0;
	e->host_rx_tsc = 0;	/* so that a lost echo says who lost it */
	e->guest_tx_tsc = rdtsc();
	__atomic_store_n(&e->seq, seq, __ATOMIC_RELEASE);
	if (virtio_ring_host())
		return -1;
	while (!rx_tsc)
		if (time_ns() - t0 > TIMEOUT_NS)
			return -1;
	*g2h = e->host_rx_tsc - e->guest_tx_tsc;
	*h2g = rx_tsc - e->host_tx_tsc;
	return 0;
}

static uint64_t ns(uint64_t ticks)
{
	return ticks * 1000000ULL / tsc_khz();
}

static int doorbench_main(int argc, char **argv)
{
	long n = atol(app_opt(argc, argv, "count", "10000"));
	struct kspawn_echo *e = &kspawn_hdr->echo;
	uint64_t *g2h, *h2g, a, b;
	int vector;

	if (!(kspawn_hdr->host_features & KSPAWN_F_DOORBELL_ECHO) ||
	    !(kspawn_hdr->guest_features & KSPAWN_F_IPI_DOORBELL)) {
		kprintf("doorbench: the host offers no doorbell (or doorbell=off)\n");
		return 1;
	}
	if (n < 1 || n > COUNT_MAX) {
		kprintf("doorbench: count=%ld: from 1 to %d (the host answers %d echoes at once)\n",
			n, COUNT_MAX, COUNT_MAX + WARMUP);
		return 2;
	}
	g2h = malloc(sizeof(*g2h) * (size_t)n);
	h2g = malloc(sizeof(*h2g) * (size_t)n);
	vector = irq_alloc_vector(echo_irq);
	if (!g2h || !h2g || vector <= 0) {
		kprintf("doorbench: out of memory or vectors\n");
		return 2;
	}
	e->vector = (uint32_t)vector;
	kspawn_hdr->guest_features |= KSPAWN_F_DOORBELL_ECHO;
	for (long i = 0; i < WARMUP + n; i++) {
		if (once(e, (uint64_t)i + 1, &a, &b)) {
			kprintf("doorbench: echo %ld never came back (the host %s it)\n",
				i, e->host_rx_tsc ? "stamped" : "did not stamp");
			return 1;
		}
		if (i >= WARMUP) {
			g2h[i - WARMUP] = a;
			h2g[i - WARMUP] = b;
		}
	}
	qsort(g2h, (size_t)n, sizeof(*g2h), cmp);
	qsort(h2g, (size_t)n, sizeof(*h2g), cmp);
	kprintf("doorbench: count=%ld g2h_p50_ns=%llu g2h_p99_ns=%llu h2g_p50_ns=%llu h2g_p99_ns=%llu\n",
		n, (unsigned long long)ns(g2h[percentile_index(n, 50)]),
		(unsigned long long)ns(g2h[percentile_index(n, 99)]),
		(unsigned long long)ns(h2g[percentile_index(n, 50)]),
		(unsigned long long)ns(h2g[percentile_index(n, 99)]));
	return 0;
}
APP(doorbench, doorbench_main, "the host doorbell's one-way latency both ways [count=N, at most 24900]");
