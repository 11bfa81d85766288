/*
 * parwork: CPU-bound work spread over the guest's CPUs, for SMP checks
 * and the scale benchmark.
 *
 *	parwork [chunks=N] [iters=N] [threads=N] [warm=N] [pin=1]
 *
 * threads workers (default: one per guest CPU) share N chunks of work,
 * worker k taking chunks k, k + threads, ... (an equal share each, so no
 * worker is left without work however the CPUs run); a chunk is iters
 * rounds of a hash.  pin=1 pins worker k to CPU k mod the CPUs, so that
 * every CPU surely does its share (without it the scheduler places and
 * moves them, and a CPU its host keeps waiting may end up with none).
 * A warm-up of warm chunks (default chunks / 8) runs first, untimed.
 * Each worker counts, per CPU, the chunks it did there, so the report
 * shows where the work ran.  The result folds every chunk's hash by
 * chunk number: it is the same whichever CPUs did which chunk, so a run
 * on several CPUs can be checked against a run on one.
 */
#include <stdlib.h>

#include "kspawn.h"

#define MAX_THREADS 64

struct parwork {
	unsigned long chunks;
	unsigned long iters;
	unsigned long nthreads;
	int pin;
	unsigned long next;		/* atomic: the next worker's index */
	uint64_t result;		/* atomic: xor of every chunk's hash */
	unsigned long per_cpu[KSPAWN_MAX_CPUS]; /* atomic: chunks done */
};

static uint64_t chunk_hash(unsigned long chunk, unsigned long iters)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ chunk;

	for (unsigned long i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x * (2 * chunk + 1);
}

static int worker(void *arg)
{
	struct parwork *w = arg;
	unsigned long c = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);

	for (; c < w->chunks; c += w->nthreads) {
		uint64_t h = chunk_hash(c, w->iters);

		__atomic_fetch_xor(&w->result, h, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->per_cpu[sched_cpu()], 1,
				   __ATOMIC_RELAXED);
	}
	return 0;
}

static unsigned long opt(int argc, char **argv, const char *key,
			 unsigned long def, unsigned long max)
{
	const char *v = app_opt(argc, argv, key, NULL);
	unsigned long n = v ? strtoul(v, NULL, 0) : def;

	return n && n <= max ? n : def;
}

/* threads workers over w's chunks; the number that ran, or -1. */
static long run_workers(struct parwork *w, unsigned long nthreads)
{
	struct thread *t[MAX_THREADS];
	unsigned long n = 0;

	w->nthreads = nthreads;
	for (; n < nthreads; n++) {
		struct thread_attr a = {
			.cpus = w->pin ? 1u << (n % sched_ncpus()) : 0,
		};

		t[n] = thread_create("parwork", worker, w, &a);
		if (!t[n]) {
			kprintf("parwork: cannot create thread %lu\n", n);
			break;
		}
	}
	for (unsigned long i = 0; i < n; i++)
		thread_join(t[i]);
	return n == nthreads ? (long)n : -1;
}

/* The timed run; file scope, so the gdb suite finds it by this name. */
static struct parwork parwork_state;

static int parwork_main(int argc, char **argv)
{
	static struct parwork warm;
	struct parwork *w = &parwork_state;
	unsigned int ncpus = sched_ncpus();
	unsigned long nthreads;
	uint64_t t0, ns;
	int bad;

	w->chunks = opt(argc, argv, "chunks", 256, 1UL << 30);
	w->iters = opt(argc, argv, "iters", 100000, 1UL << 40);
	nthreads = opt(argc, argv, "threads", ncpus, MAX_THREADS);
	warm.chunks = opt(argc, argv, "warm", w->chunks / 8 ? w->chunks / 8 : 1,
			  1UL << 30);
	warm.iters = w->iters;
	w->pin = warm.pin = opt(argc, argv, "pin", 0, 1) == 1;
	bad = run_workers(&warm, nthreads) < 0;
	t0 = time_ns();
	bad |= run_workers(w, nthreads) < 0;
	ns = time_ns() - t0;
	kprintf("parwork: cpus=%u threads=%lu chunks=%lu iters=%lu ns=%llu warm=%lu\n",
		ncpus, nthreads, w->chunks, w->iters, (unsigned long long)ns,
		warm.chunks);
	for (unsigned int c = 0; c < KSPAWN_MAX_CPUS; c++)
		if (w->per_cpu[c] || c < ncpus)
			kprintf("parwork: cpu %u chunks %lu\n", c,
				w->per_cpu[c]);
	kprintf("parwork: result %016llx\n", (unsigned long long)w->result);
	return bad;
}
APP(parwork, parwork_main, "CPU-bound work on every guest CPU (SMP, scale bench)");
