#!/usr/bin/env bash
# The bench suite: every benchmark once, small (BENCH_SMALL=1), to prove it
# runs and writes a well-formed result, and that the hosted benchmarks
# refuse to run unpinned; never a timing assertion.
#
#   tests/bench/run.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:?usage: run.sh BUILD_DIR}
out=$build/bench-results
rm -rf "$out"
pass=0 fail=0
if ! BENCH_SMALL=1 BENCH_OUT=$out "$top/bench/run.sh" "$build" > "$out.log" 2>&1; then
	echo "FAIL bench/run"
	tail -n 20 "$out.log" | sed 's/^/    | /'
	fail=$((fail + 1))
fi
for f in "$out"/*.json; do
	[ -e "$f" ] || break
	name=$(basename "$f" .json)
	if /usr/bin/python3 - "$f" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("name", "unit", "machine", "git", "parameters", "kspawn", "peers", "ratio"):
    assert k in r, k
assert r["kspawn"]["median"] > 0 and all(p["median"] > 0 for p in r["peers"])
PY
	then
		echo "ok bench/$name"
		pass=$((pass + 1))
	else
		echo "FAIL bench/$name: malformed result"
		fail=$((fail + 1))
	fi
done
# Every workload must have produced its result.
want="ring_latency_split_64 ring_latency_packed_1500 ring_throughput_split_b32_64
	ring_throughput_packed_b1_1500 blk_hosted_randread_qd1 blk_hosted_randwrite_qd32
	net_hosted_rtt_64 net_hosted_pps_64 size_image spawn switch size_footprint
	blk_fullstack_randread_qd1 blk_fullstack_randwrite_qd32 net_fullstack_rtt_64
	net_fullstack_pps_64"
for name in $want; do
	[ -f "$out/$name.json" ] || { echo "FAIL bench/$name: no result"; fail=$((fail + 1)); }
done
[ "$pass" -ge 28 ] || { echo "FAIL bench/count: $pass results, want 28"; fail=$((fail + 1)); }

# Unpinned, two polling threads would take turns on one CPU and measure
# the scheduler: each hosted benchmark must refuse, and print no number.
nopin=$build/bench/nopin.so
if ! gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$nopin" "$here/nopin.c"; then
	echo "FAIL bench/unpinned: cannot build the shim"
	fail=$((fail + 1))
else
	for cmd in "ringbench latency split 64" "ringbench throughput rte_ring 64 32" \
		"blkhosted rw=read qd=1" "nethosted rtt" "udplo pps"; do
		set -- $cmd
		name=bench/unpinned-$1-$2
		if o=$(RINGBENCH_SCALE=100 BENCH_SMALL=1 LD_PRELOAD=$nopin \
			"$build/bench/$1" "${@:2}" 2> "$out.err"); then
			echo "FAIL $name: ran unpinned, printed: $(echo $o)"
			fail=$((fail + 1))
		elif [ -n "$o" ] || ! grep -q 'cannot pin' "$out.err"; then
			echo "FAIL $name: failed, but not for the pinning: $(echo $o; cat "$out.err")"
			fail=$((fail + 1))
		else
			echo "ok $name"
			pass=$((pass + 1))
		fi
	done
	rm -f "$out.err"
fi
echo "bench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
