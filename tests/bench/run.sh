#!/usr/bin/env bash
# The bench suite: every benchmark once, small (BENCH_SMALL=1), to prove it
# runs and writes a well-formed result; never a timing assertion.
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
	net_fullstack_pps_64 ringtest_split_poll ringtest_packed_poll
	ringtest_split_sleep ringtest_packed_sleep"
for name in $want; do
	[ -f "$out/$name.json" ] || { echo "FAIL bench/$name: no result"; fail=$((fail + 1)); }
done
[ "$pass" -ge 32 ] || { echo "FAIL bench/count: $pass results, want 32"; fail=$((fail + 1)); }
echo "bench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
