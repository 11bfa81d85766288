#!/usr/bin/env bash
# Run test suites and sum their results.
#
#   tests/run.sh BUILD_DIR SUITE...
#
# Each suite is tests/<suite>/run.sh BUILD_DIR: it prints "ok NAME" or
# "FAIL NAME" (with the evidence indented below) per case, "skip NAME: WHY"
# per case it could not run, and ends with
# "<suite>: N passed, N failed[, N skipped]".  This prints everything, a
# table per suite, and last the one line "N passed, N failed, N skipped".
#
# It is not fooled by a suite: one that exits non-zero fails even if its
# summary says 0 failed, and one that ends without its summary line fails.
# When CI is set, a skipped case fails unless the suite said why and the
# case is on tests/skip-allowed.txt; skips the suite counted without naming
# them fail too.  Exits 1 if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR SUITE...}
shift
total_pass=0 total_fail=0 total_skip=0
summary=()

# The cases that may be skipped under CI: one name a line, # comments.
allowed=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$here/skip-allowed.txt" 2>/dev/null)
skip_allowed() { [ -n "$allowed" ] && printf '%s\n' "$allowed" | grep -qxF -- "$1"; }

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
	status=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	last=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	skips=$(grep -E '^skip [^ :]+' "$log")
	rm -f "$log"
	if [ -z "$last" ]; then
		echo "FAIL $suite: the suite ended without its summary line (status $status)"
		summary+=("$(printf '%-8s did not report (%ss)' "$suite" "$secs")")
		total_fail=$((total_fail + 1))
		continue
	fi
	p=$(echo "$last" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$last" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	s=${s:-0}
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $suite: the suite exited with status $status, yet its summary says 0 failed"
		f=1
	fi
	if [ -n "${CI:-}" ]; then
		named=0
		while read -r _ name why; do
			named=$((named + 1))
			name=${name%:}
			why=${why#: }
			if [ -z "$why" ]; then
				echo "FAIL $name: skipped under CI without saying why"
			elif ! skip_allowed "$name"; then
				echo "FAIL $name: skipped under CI ($why); not on tests/skip-allowed.txt"
			else
				continue
			fi
			s=$((s - 1))
			f=$((f + 1))
		done < <([ -z "$skips" ] || printf '%s\n' "$skips")
		if [ "$s" -gt 0 ] && [ "$named" -lt "$s" ]; then
			echo "FAIL $suite: $((s - named)) case(s) counted as skipped under CI without a 'skip NAME: WHY' line"
			f=$((f + s - named))
			s=$named
		fi
		[ "$s" -ge 0 ] || s=0
	fi
	summary+=("$(printf '%-8s %4d passed %4d failed %4d skipped  (%ss)' "$suite" "$p" "$f" "$s" "$secs")")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
