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
[ "$pass" -ge 12 ] || { echo "FAIL bench/count: $pass results, want 12"; fail=$((fail + 1)); }
echo "bench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
