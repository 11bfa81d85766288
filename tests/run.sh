#!/usr/bin/env bash
# Run test suites and sum their results.
#
#   [REPEAT=N] tests/run.sh BUILD_DIR SUITE...
#
# Each suite is tests/<suite>/run.sh BUILD_DIR: it prints "ok NAME" or
# "FAIL NAME" (with the evidence indented below) per case, and ends with
# "<suite>: N passed, N failed[, N skipped]".  This prints everything, a
# table per suite, and last the one line "N passed, N failed, N skipped".
# Exits 1 if any case failed or a suite did not report.
#
# REPEAT=N runs each suite N times in a row (to catch what fails only
# sometimes, a race): the counts are summed over the rounds, and the table
# says how many rounds failed and which cases failed how often.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR SUITE...}
shift
repeat=${REPEAT:-1}
case $repeat in
'' | *[!0-9]* | 0) echo "REPEAT must be a positive number, not '$repeat'"; exit 1 ;;
esac
total_pass=0 total_fail=0 total_skip=0
summary=()

# run_suite SUITE ROUND: one run of a suite; adds to the totals and to
# round_fail (1 if this round failed) and failed_cases.
run_suite() {
	local suite=$1 round=$2 log start secs last p f s
	local what=$suite
	[ "$repeat" -eq 1 ] || what="$suite (round $round of $repeat)"
	echo "=== suite $what"
	log=$(mktemp)
	start=$(date +%s)
	"$here/$suite/run.sh" "$build" 2>&1 | tee "$log"
	secs=$(( $(date +%s) - start ))
	suite_secs=$((suite_secs + secs))
	last=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	failed_cases+=$(sed -n 's/^FAIL \([^ ]*\).*/\1/p' "$log")$'\n'
	rm -f "$log"
	if [ -z "$last" ]; then
		echo "FAIL $suite: the suite ended without its summary line"
		failed_cases+="$suite(no summary)"$'\n'
		suite_silent=$((suite_silent + 1))
		round_fail=1
		return
	fi
	p=$(echo "$last" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$last" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	s=${s:-0}
	suite_pass=$((suite_pass + p))
	suite_fail=$((suite_fail + f))
	suite_skip=$((suite_skip + s))
	[ "$f" -eq 0 ] || round_fail=1
}

for suite in "$@"; do
	if [ ! -x "$here/$suite/run.sh" ]; then
		echo "no such suite: $suite (have: $(cd "$here" && ls -d */ | tr -d / | tr '\n' ' '))"
		total_fail=$((total_fail + 1))
		continue
	fi
	suite_pass=0 suite_fail=0 suite_skip=0 suite_silent=0 suite_secs=0
	failed_rounds=0 failed_cases=
	for round in $(seq "$repeat"); do
		round_fail=0
		run_suite "$suite" "$round"
		failed_rounds=$((failed_rounds + round_fail))
	done
	line=$(printf '%-8s %4d passed %4d failed %4d skipped  (%ss)' "$suite" \
		"$suite_pass" "$suite_fail" "$suite_skip" "$suite_secs")
	[ "$suite_silent" -eq 0 ] || line+=" did not report $suite_silent time(s)"
	if [ "$repeat" -gt 1 ]; then
		line+=" $failed_rounds of $repeat rounds failed"
		while read -r n name; do
			line+=$'\n'"$(printf '         %s failed %d of %d rounds' "$name" "$n" "$repeat")"
		done < <(printf '%s' "$failed_cases" | sed '/^$/d' | sort | uniq -c)
	fi
	summary+=("$line")
	total_pass=$((total_pass + suite_pass))
	total_fail=$((total_fail + suite_fail + suite_silent))
	total_skip=$((total_skip + suite_skip))
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
