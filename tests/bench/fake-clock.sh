#!/usr/bin/env bash
# What the hosted benchmarks divide their time by, against a clock that
# moves one fixed step at each reading (fakeclock.c, LD_PRELOAD): a piece
# of work timed between two readings takes exactly one step, so what a
# program prints says what it counted, with no timing asserted.
#
#   - ringbench throughput (rte_ring, split, packed; batch 32) at a scale
#     that asks 1 message a chunk: a batch step brings back what the peer
#     served of a batch of 32 (all of it, nearly always), and the rate must
#     count that, more than the 1 asked a 1 us step (the requested count
#     gave exactly 1.00 Mmsg/s);
#   - pingpong (a dynamic build: the one for the QEMU host is static) with
#     a 1001 ns step a chunk of 100 rounds: 5.005 ns one way, not cut to
#     whole nanoseconds (5.0).
#
# Prints "ok bench/fake-clock/..." or "FAIL ..." lines, for run.sh;
# exits 1 if any failed.
#
#   tests/bench/fake-clock.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "fake-clock.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
work=$(cd "$build" && pwd)/bench-fake-clock
rm -rf "$work"
mkdir -p "$work"
fail=0
# verdict NAME OK WHY EVIDENCE
verdict() {
	if [ "$2" = 1 ]; then
		echo "ok bench/fake-clock/$1"
	else
		echo "FAIL bench/fake-clock/$1: $3"
		printf '%s\n' "$4" | tail -n 12 | sed 's/^/    | /'
		fail=1
	fi
}
clock=$work/fakeclock.so
if ! o=$(gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$clock" "$here/fakeclock.c" 2>&1); then
	verdict build 0 "cannot build the fake clock" "$o"
	exit 1
fi

# MSGS_TPUT 2000000 / 2000 = 1000 messages over 1000 chunks: 1 asked a
# chunk, each chunk one 1 us step.
for sys in rte_ring split packed; do
	o=$(RINGBENCH_SCALE=2000 LD_PRELOAD=$clock timeout 120 \
		"$build/bench/ringbench" throughput $sys 64 32 2>&1)
	ok=0
	echo "$o" | head -n 1 | awk '$1 ~ /^[0-9.]+$/ && $1 >= 2 { f = 1 } END { exit !f }' &&
		ok=1
	verdict "ringbench-$sys-done" $ok "want 2 Mmsg/s or more: what came back of a batch of 32 in each 1 us chunk that asked for 1, not the 1 (1.00)" "$o"
done

ok=0
if o=$(gcc -std=gnu11 -O2 -Wall -Wextra -Werror -pthread -I"$top" -o "$work/pingpong" \
	"$top/bench/ring/pingpong.c" "$top/bench/lib/hostbench.c" 2>&1) &&
	o=$(FAKECLOCK_STEP_NS=1001 BENCH_SMALL=1 LD_PRELOAD=$clock timeout 60 \
		"$work/pingpong" 2>&1); then
	[ "$(echo "$o" | grep -cxE 'one_way(_p99)?_ns 5\.005 ns')" -eq 2 ] && ok=1
fi
verdict pingpong-sub-ns $ok "want one_way_ns and one_way_p99_ns 5.005 ns (a 1001 ns chunk of 100 round trips)" "$o"
exit $fail
