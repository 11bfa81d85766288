/*
 * pingpong [rounds=N]: the floor for anything crossing between CPU 0 and
 * CPU 1, a cache line bounced between two pinned threads, as a static
 * program for the QEMU host (ringbench links DPDK, which the bench
 * initramfs does not carry).  Each round trips the line there and back;
 * rounds are timed in chunks of CHUNK, so the clock's own cost is spread
 * thin; prints the one-way time's median and 99th percentile over the
 * chunks, then "warmup N rounds".
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/lib/hostbench.h"

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
			ns[r / CHUNK - warm] = (hb_now_ns() - t0) / (2 * CHUNK);
	}
	hb_peer_join(&p);
	hb_sort(ns, n);
	printf("one_way_ns %.1f ns\n", hb_pct_us(ns, n, 50) * 1000);
	printf("one_way_p99_ns %.1f ns\n", hb_pct_us(ns, n, 99) * 1000);
	printf("warmup %ld rounds\n", warm * CHUNK);
	return 0;
}
