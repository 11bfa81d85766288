#!/usr/bin/env bash
# One run of a ringtest binary (Linux's tools/virtio/ringtest main.c and
# a ring): ringtest prints nothing, so the wall time of CYCLES buffers
# through the ring gives its throughput.
#
#   bench/ringtest/ringtest.sh CYCLES PROGRAM [RINGTEST OPTIONS...]
#
# A tenth of CYCLES goes first, untimed, as a warm-up.  Prints
# "throughput N Mbuf/s", "ns_per_buf N ns" and "warmup N buffers"; fails if
# the program fails or runs past RINGTEST_TIMEOUT seconds (default 300: a
# lost kick or call in --sleep mode hangs it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"
cycles=${1:?usage: ringtest.sh CYCLES PROGRAM [OPTIONS...]}
prog=${2:?usage: ringtest.sh CYCLES PROGRAM [OPTIONS...]}
shift 2
warm=$((cycles / 10 ? cycles / 10 : 1))
timeout --kill-after=5 "${RINGTEST_TIMEOUT:-300}" "$prog" --run-cycles "$warm" "$@" ||
	{ echo "ringtest.sh: $prog failed or timed out in its warm-up" >&2; exit 1; }
t0=$(date +%s%N)
timeout --kill-after=5 "${RINGTEST_TIMEOUT:-300}" "$prog" --run-cycles "$cycles" "$@" ||
	{ echo "ringtest.sh: $prog failed or timed out" >&2; exit 1; }
t1=$(date +%s%N)
awk -v c="$cycles" -v ns=$((t1 - t0)) 'BEGIN {
	printf "throughput %.4g Mbuf/s\nns_per_buf %.4g ns\n", c * 1000 / ns, ns / c }'
echo "warmup $warm buffers"
