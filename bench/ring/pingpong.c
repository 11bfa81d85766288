/*
 * pingpong [rounds=N]: the floor for anything crossing between CPU 0 and
 * CPU 1, a cache line bounced between two pinned threads, as a static
 * program for the QEMU host (ringbench links DPDK, which the bench
 * initramfs does not carry).  Each round trips the line there and back;
 * rounds are timed in chunks of CHUNK, so the clock's own cost is spread
 * thin; prints the one-way time's median and 99th percentile over the
 * chunks, then "warmup N rounds".  A chunk's time is kept whole and
 * divided only for printing: a one-way time is a few hundred ns, or tens
 * on fast cores, and cutting each chunk's to whole ns took up to 1 ns off
 * it (3% of 32 ns), which the ratios against it then carried.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/lib/hostbench.h"
#include "guest/lib/percentile.h"

#define CHUNK 100

static _Alignas(64) atomic_long ball;	/* odd: with the peer */
static long total;

static void *peer(void *arg)
{
	(void)arg;
	for (long want = 1; want < 2 * total; want += 2) {
		while (atomic_load_explicit(&ball, memory_order_acquire) != want)
			;
		atomic_store_explicit(&ball, want + 1, memory_order_release);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const keys[] = { "rounds", NULL };
	long n = hb_scale(hb_num("rounds", hb_opt(argc, argv, 1, "rounds",
						   "100000"), 100, 100000000)) / CHUNK;
	long warm = hb_warm(n);
	uint64_t *ns = malloc(sizeof(*ns) * (size_t)n), t0 = 0;
	struct hb_peer p;

	hb_check_args(argc, argv, 1, keys, "pingpong [rounds=N]");
	if (!ns)
		return 1;
	total = (warm + n) * CHUNK;
	hb_peer_start(&p, "pingpong", peer, NULL);
	for (long r = 0; r < total; r++) {
		if (r % CHUNK == 0)
			t0 = hb_now_ns();
		atomic_store_explicit(&ball, 2 * r + 1, memory_order_release);
		while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * r + 2)
			;
		if (r % CHUNK == CHUNK - 1 && r / CHUNK >= warm)
			ns[r / CHUNK - warm] = hb_now_ns() - t0;
	}
	hb_peer_join(&p);
	hb_sort(ns, n);
	/* ns a chunk to ns one way, exact to the 1/(2 CHUNK) ns shown. */
	printf("one_way_ns %.3f ns\n",
	       ns[percentile_index(n, 50)] / (2.0 * CHUNK));
	printf("one_way_p99_ns %.3f ns\n",
	       ns[percentile_index(n, 99)] / (2.0 * CHUNK));
	printf("warmup %ld rounds\n", warm * CHUNK);
	return 0;
}
