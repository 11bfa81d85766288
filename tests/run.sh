#!/usr/bin/env bash
# Run test suites and sum their results.
#
#   tests/run.sh BUILD_DIR SUITE...
#
# Each suite is tests/<suite>/run.sh BUILD_DIR: it prints "ok NAME" or
# "FAIL NAME" (with the evidence indented below) per case, and ends with
# "<suite>: N passed, N failed[, N skipped]".  This prints everything, a
# table per suite, and last the one line "N passed, N failed, N skipped".
# Exits 1 if any case failed or a suite did not report.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR SUITE...}
shift
total_pass=0 total_fail=0 total_skip=0
summary=()
for suite in "$@"; do
	runner=$here/$suite/run.sh
	if [ ! -x "$runner" ]; then
		echo "no such suite: $suite (have: $(cd "$here" && ls -d */ | tr -d / | tr '\n' ' '))"
		total_fail=$((total_fail + 1))
		continue
	fi
	echo "=== suite $suite"
	log=$(mktemp)
	start=$(date +%s)
	"$runner" "$build" 2>&1 | tee "$log"
	secs=$(( $(date +%s) - start ))
	last=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$last" ]; then
		echo "FAIL $suite: the suite ended without its summary line"
		summary+=("$(printf '%-8s did not report (%ss)' "$suite" "$secs")")
		total_fail=$((total_fail + 1))
		continue
	fi
	p=$(echo "$last" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$last" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	s=${s:-0}
	summary+=("$(printf '%-8s %4d passed %4d failed %4d skipped  (%ss)' "$suite" "$p" "$f" "$s" "$secs")")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
