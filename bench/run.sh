#!/usr/bin/env bash
# The benchmark harness: run each workload BENCH_RUNS times (default 5) for
# kspawn and for each peer, print a table, and write one JSON file per
# workload under bench/results/ (or BENCH_OUT) with min/median/max, the
# machine, the git revision and the ratio to the best peer; plot the
# medians with gnuplot.
#
#   bench/run.sh BUILD_DIR [WORKLOAD_PREFIX]     e.g. bench/run.sh build ring
#
# BENCH_SMALL=1 runs each workload once, small (what make test does).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:?usage: run.sh BUILD_DIR [WORKLOAD_PREFIX]}
only=${2:-}
runs=${BENCH_RUNS:-5}
out=${BENCH_OUT:-$here/results}
ring=$build/bench/ringbench
export RINGBENCH_SCALE=1
if [ -n "${BENCH_SMALL:-}" ]; then
	runs=1
	export RINGBENCH_SCALE=100
fi
mkdir -p "$out"

cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)
virt=$(systemd-detect-virt 2>/dev/null || echo unknown)
[ "$virt" = none ] && virt="bare metal"
machine="{\"cpu\": \"$cpu\", \"cores\": $(nproc), \"kernel\": \"$(uname -r)\", \"virtualization\": \"$virt\"}"
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)

# stats VALUES...: "min median max"
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		      printf "%s %s %s\n", v[1], m, v[NR] }'
}

# measure LABEL CMD...: run CMD $runs times, progress on stderr, stats out.
measure() {
	local label=$1 vals=() v i
	shift
	for i in $(seq "$runs"); do
		v=$("$@") || { echo "bench: $label failed" >&2; return 1; }
		printf '  %-40s run %d/%d: %s\n' "$label" "$i" "$runs" "$v" >&2
		vals+=("$v")
	done
	stats "${vals[@]}"
}

# workload NAME UNIT BETTER PARAMS KSPAWN_CMD -- PEER_NAME PEER_CMD ...
workload() {
	local name=$1 unit=$2 better=$3 params=$4 k best= bestname= json peers=""
	shift 4
	[ -z "$only" ] || [[ "$name" == "$only"* ]] || return 0
	local kcmd=()
	while [ "$1" != -- ]; do kcmd+=("$1"); shift; done
	shift
	echo "== $name ($unit, $better is better)" >&2
	read -r kmin kmed kmax < <(measure "$name kspawn" "${kcmd[@]}") || return 1
	while [ $# -gt 0 ]; do
		local pname=$1 pcmd=()
		shift
		while [ $# -gt 0 ] && [ "$1" != -- ]; do pcmd+=("$1"); shift; done
		[ $# -gt 0 ] && shift
		read -r pmin pmed pmax < <(measure "$name $pname" "${pcmd[@]}") || return 1
		peers="$peers${peers:+, }{\"name\": \"$pname\", \"min\": $pmin, \"median\": $pmed, \"max\": $pmax}"
		if [ -z "$best" ] || awk -v a="$pmed" -v b="$best" -v w="$better" \
			'BEGIN { exit !((w == "lower") ? a < b : a > b) }'; then
			best=$pmed
			bestname=$pname
		fi
		printf '%-34s %-10s %12s %12s\n' "$name" "$pname" "$pmed" "$unit" >> "$out/.table"
	done
	printf '%-34s %-10s %12s %12s\n' "$name" kspawn "$kmed" "$unit" >> "$out/.table"
	local ratio
	ratio=$(awk -v a="$kmed" -v b="$best" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
	printf '%-34s %-10s %12s   (kspawn / %s, %s is better)\n' "$name" ratio "$ratio" "$bestname" "$better" >> "$out/.table"
	json="{\"name\": \"$name\", \"unit\": \"$unit\", \"better\": \"$better\", \"machine\": $machine, \"git\": \"$rev\", \"runs\": $runs, \"parameters\": $params, \"kspawn\": {\"min\": $kmin, \"median\": $kmed, \"max\": $kmax}, \"peers\": [$peers], \"ratio\": {\"value\": $ratio, \"definition\": \"kspawn median / $bestname median\", \"better\": \"$better\"}}"
	echo "$json" > "$out/$name.json"
	echo "$name $kmed $best" >> "$out/.plot"
}

rm -f "$out/.table" "$out/.plot"
for p in 64 1500; do
	for layout in split packed; do
		workload "ring_latency_${layout}_$p" ns lower \
			"{\"payload\": $p, \"layout\": \"$layout\"}" \
			"$ring" latency "$layout" $p -- \
			pingpong "$ring" latency pingpong $p -- \
			rte_ring "$ring" latency rte_ring $p
		for b in 1 32; do
			workload "ring_throughput_${layout}_b${b}_$p" Mmsg/s higher \
				"{\"payload\": $p, \"batch\": $b, \"layout\": \"$layout\"}" \
				"$ring" throughput "$layout" $p $b -- \
				rte_ring "$ring" throughput rte_ring $p $b
		done
	done
done

echo
printf '%-34s %-10s %12s %12s\n' workload system median unit
sort -s -k1,1 "$out/.table"
if command -v gnuplot >/dev/null && [ -s "$out/.plot" ]; then
	gnuplot -e "set terminal png size 1200,600 noenhanced; set output '$out/ring.png';
		set style data histograms; set style fill solid; set xtics rotate by -30;
		set logscale y; set title 'kspawn rings vs the best peer (median; ns or Mmsg/s)';
		plot '$out/.plot' using 2:xtic(1) title 'kspawn', '' using 3 title 'best peer'" 2>/dev/null &&
		echo "plot: $out/ring.png"
fi
rm -f "$out/.plot"
mv "$out/.table" "$out/table.txt"
echo "results: $out/*.json"
