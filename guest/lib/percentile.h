/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one percentile every benchmark reports, guest apps and host
 * programs alike: the nearest rank.  Of n samples sorted in ascending
 * order, the pct-th percentile is the smallest sample with at least pct%
 * of the samples at or below it: rank ceil(n * pct / 100), counted from
 * 1.  So of 1..100, p50 is 50 and p99 is 99; of two samples p50 is the
 * lower and p99 the higher.  (Indexing sorted[n * pct / 100], as the
 * benchmarks once did, is one rank too high whenever n * pct / 100 is
 * whole: p99 of 100 samples was their maximum.)
 */
#ifndef LIB_PERCENTILE_H
#define LIB_PERCENTILE_H

/*
 * The index (from 0) of the pct-th percentile, pct 1..100, in n >= 1
 * sorted samples; 0 for n < 1, where there is none to read.
 */
static inline long percentile_index(long n, int pct)
{
	long rank = (n * pct + 99) / 100;

	if (n < 1 || rank < 1)
		return 0;
	return rank > n ? n - 1 : rank - 1;
}

#endif
