#include <stdio.h>
#include <x86intrin.h>

#include "bench/ring/phases.h"

/*
 * Each side's counters on lines of their own: the peer's are written at
 * every take, the driver's at every batch, and sharing a line would make
 * the counting move it between the cores, which the runs without it do
 * not pay.
 */
static struct {
	uint64_t cycles[PHASES_SYS][4];
	long msgs[PHASES_SYS];
} __attribute__((aligned(64))) drv;

static struct {
	uint64_t busy[PHASES_SYS];
	long msgs[PHASES_SYS], takes[PHASES_SYS], empty[PHASES_SYS];
} __attribute__((aligned(64))) peer;

void phases_driver(int s, long n, const uint64_t t[4])
{
	uint64_t end = __rdtsc();

	for (int k = 0; k < 3; k++)
		drv.cycles[s][k] += t[k + 1] - t[k];
	drv.cycles[s][3] += end - t[3];
	drv.msgs[s] += n;
}

void phases_peer(int s, int n, uint64_t t0)
{
	if (n <= 0) {
		peer.empty[s]++;
		return;
	}
	peer.busy[s] += __rdtsc() - t0;
	peer.msgs[s] += n;
	peer.takes[s]++;
}

static double per(double x, long n)
{
	return n ? x / n : 0;
}

void phases_print(const char *const *name, int first, int last)
{
	for (int s = first; s <= last; s++)
		printf("%s_phases copy %.1f add %.1f get %.1f kick %.1f peer %.1f cycles/msg, %.1f empty polls and %.1f msgs per take; %ld msgs sent, %ld taken\n",
		       name[s], per(drv.cycles[s][0], drv.msgs[s]),
		       per(drv.cycles[s][1], drv.msgs[s]),
		       per(drv.cycles[s][2], drv.msgs[s]),
		       per(drv.cycles[s][3], drv.msgs[s]),
		       per(peer.busy[s], peer.msgs[s]),
		       per(peer.empty[s], peer.takes[s]),
		       per(peer.msgs[s], peer.takes[s]), drv.msgs[s],
		       peer.msgs[s]);
}
