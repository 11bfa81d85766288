#!/usr/bin/env bash
# The bench suite: every benchmark small (BENCH_SMALL=1), twice, to prove
# it runs and writes a well-formed result, and that the result says how
# it was taken fairly: each system's warm-up, the order of each run
# (kspawn first, then last: the order flips from run to run), and whether
# the sides do the same work.  Also that the hosted benchmarks refuse to
# run unpinned, that a full-stack run that failed as a whole leaves
# no result (failed-runs.sh), and that ringbench's rates count the
# messages that came back and pingpong's one-way time keeps its fraction
# of a ns (fake-clock.sh, a clock of fixed steps).  Never a timing
# assertion.
#
#   tests/bench/run.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
out=$build/bench-results
rm -rf "$out"
pass=0 fail=0
# verdict NAME OK WHY EVIDENCE [LINES]: ok bench/NAME, or FAIL with why and
# the evidence's last LINES (12) lines.
verdict() {
	if [ "$2" = 1 ]; then
		echo "ok bench/$1"
		pass=$((pass + 1))
	else
		echo "FAIL bench/$1: $3"
		echo "$4" | tail -n "${5:-12}" | sed 's/^/    | /'
		fail=$((fail + 1))
	fi
}
if ! BENCH_SMALL=1 BENCH_RUNS=2 BENCH_OUT=$out "$top/bench/run.sh" "$build" > "$out.log" 2>&1; then
	echo "FAIL bench/run"
	tail -n 20 "$out.log" | sed 's/^/    | /'
	fail=$((fail + 1))
fi
for f in "$out"/*.json; do
	[ -e "$f" ] || break
	name=$(basename "$f" .json)
	if why=$(/usr/bin/python3 - "$f" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
name = r["name"]
for k in ("name", "unit", "machine", "git", "parameters", "kspawn", "peers",
          "ratio", "comparable", "note", "warmup", "order"):
    assert k in r, "no " + k
# 0 only where lower is better and 0 is the goal (idle_wakeups).
assert (r["kspawn"]["median"] > 0 or r["better"] == "lower") and \
    all(p["median"] > 0 for p in r["peers"])
systems = {"kspawn"} | {p["name"] for p in r["peers"]}
# Every system warmed up, unmeasured, before it was measured (a size is
# no timing: 0, "none").
assert set(r["warmup"]) == systems, "warm-up of %s" % sorted(r["warmup"])
for s, wu in r["warmup"].items():
    if name.startswith("size_"):
        assert wu == {"value": 0, "unit": "none"}, "%s: %s" % (s, wu)
    else:
        assert wu["value"] > 0 and wu["unit"], "%s warm-up %s" % (s, wu)
# Two runs, each system once in each, kspawn first and then last.
assert r["runs"] == 2 and len(r["order"]) == 2, "runs/order %s" % r["order"]
for i, o in enumerate(r["order"]):
    assert sorted(o) == sorted(systems), "run %d ran %s" % (i + 1, o)
    assert o[0 if i % 2 == 0 else -1] == "kspawn", \
        "run %d: kspawn not %s: %s" % (i + 1, "first" if i % 2 == 0 else "last", o)
# Whether the sides do the same work, per peer and for the ratio; the
# rows known to compare different work say so.
assert all(isinstance(p["same_work"], bool) for p in r["peers"])
assert isinstance(r["comparable"], bool) and isinstance(r["note"], str)
assert r["comparable"] or r["note"], "not comparable, no note"
best = r["ratio"]["definition"].split("/ ")[1].split()[0]
assert r["comparable"] == [p["same_work"] for p in r["peers"]
                           if p["name"] == best][0]
expect = {"ring_": True, "ringtest_": True, "blk_fullstack_": True, "net_fullstack_": True,
          "net_l2fwd_": True,
          "blk_nvme_": True,
          "switch": True, "scale": True, "blk_hosted_": False, "net_hosted_": False,
          "doorbell_": False, "idle_wakeups": True,
          "first_request_after_idle": True,
          "spawn": False, "stop_": False, "size_": False}
want = [v for k, v in expect.items() if name.startswith(k)]
assert want and r["comparable"] == want[0], \
    "comparable is %s, want %s" % (r["comparable"], want)
PY
)
	then
		verdict "$name" 1
	else
		verdict "$name" 0 "malformed result" "$why" 1
	fi
done
# Every result is a workload bench/README.md's table names: bench/run.sh
# refuses a BENCH= prefix by that table, so one missing from it could not
# be run on its own.
listed=$(bench_workload_names)
for f in "$out"/*.json; do
	[ -e "$f" ] || break
	name=$(basename "$f" .json)
	grep -qx -- "$name" <<< "$listed" ||
		{ echo "FAIL bench/listed-$name: not in bench/README.md's table of workloads"; fail=$((fail + 1)); }
done
# Every workload the table names must have produced its result.
for name in $listed; do
	[ -f "$out/$name.json" ] || { echo "FAIL bench/$name: no result"; fail=$((fail + 1)); }
done
[ "$pass" -ge 48 ] || { echo "FAIL bench/count: $pass results, want 48"; fail=$((fail + 1)); }

# idle_wakeups counts wake-ups over 2 s: each rate is that count halved,
# to the half (one wake-up is 0.5 /s, not the target's 0).
o=$(grep ' wakeups_per_s ' "$out/raw.txt" 2>&1)
ok=0
[ -n "$o" ] && ! echo "$o" | grep -vqE '^R idle_wakeups [a-z_]+ [0-9]+ wakeups_per_s [0-9]+\.[05] /s$' &&
	ok=1
verdict idle-wakeups-halves $ok "want every wakeups_per_s a count over 2 s, to the half (N.0 or N.5)" "$o"

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

# ringbench's by-hand modes (bench/README.md): sidebyside with its phase
# counts, and costs, which exits 1 if a system lost a message.  At scale
# 100 sidebyside has 15 throughput turns of 3200 messages a system; the
# phases count those turns only, on both sides, so each system's line
# must say as many taken by the peer as sent: at least 48000, and at most
# what a turn may have in flight (288) more a turn.
rb=$build/bench/ringbench
o=$(RINGBENCH_SCALE=100 RINGBENCH_PHASES=1 "$rb" sidebyside 64 32 2>&1)
ok=0
[ "$(echo "$o" | grep -cE '_vs_(pingpong|rte_ring) [0-9.]+ x$')" -ne 4 ] ||
	[ "$(echo "$o" | sed -nE 's/^(rte_ring|split|packed)_phases copy [0-9.]+ add [0-9.]+ get [0-9.]*[1-9][0-9.]* kick [0-9.]+ peer [0-9.]*[1-9][0-9.]* cycles.*; ([0-9]+) msgs sent, ([0-9]+) taken$/\2 \3/p' |
		awk '$1 == $2 && $1 >= 48000 && $1 <= 15 * (3200 + 288)' | wc -l)" -ne 3 ] ||
	ok=1
verdict ringbench-sidebyside $ok "want 4 ratios, and 3 phase lines each with as many messages taken as sent in the throughput turns (48000-52320)" "$o"
ok=0
o=$("$rb" costs 64 32 2>&1) &&
	[ "$(echo "$o" | grep -cE '_(add|device|get)_cycles [0-9.]+ cycles/msg$')" -eq 9 ] &&
	ok=1
verdict ringbench-costs $ok "want 9 phase costs and no lost message" "$o"
# A full-stack run that failed as a whole, or never started, leaves no
# result looking current (a stand-in QEMU: no boot, no timing); the
# hosted benchmarks divide by the work they did, to a fraction of a ns,
# against a clock that moves a fixed step a reading (no timing either).
for t in failed-runs fake-clock; do
	o=$("$here/$t.sh" "$build" 2>&1)
	st=$?
	echo "$o"
	pass=$((pass + $(echo "$o" | grep -c '^ok ')))
	fail=$((fail + $(echo "$o" | grep -c '^FAIL ')))
	if [ $st -ne 0 ] && ! echo "$o" | grep -q '^FAIL '; then
		echo "FAIL bench/$t: exit $st"
		fail=$((fail + 1))
	fi
done
echo "bench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
