#!/usr/bin/env bash
# Run test suites and sum their results.
#
#   [REPEAT=N] tests/run.sh BUILD_DIR STEP...
#
# A STEP is a SUITE, or lanes joined by '+' whose suites (joined by ',')
# run in that order, the lanes side by side: `unit,gdb+qemu bench` runs
# unit then gdb beside qemu, then bench alone.  The QEMU suites leave half
# of two CPUs idle waiting on TCG, which the others fill (make test).  A
# suite's output beside others is held and printed whole when it ends.
#
# Each suite is tests/<suite>/run.sh BUILD_DIR: it prints "ok NAME" or
# "FAIL NAME" (with the evidence indented below) per case, "skip NAME: WHY"
# per case it could not run, and ends with
# "<suite>: N passed, N failed[, N skipped]".  This prints everything, a
# table per suite (with each failure and the start of its evidence again),
# and last the one line "N passed, N failed, N skipped".
#
# It is not fooled by a suite: one that exits non-zero fails even if its
# summary says 0 failed, and one that ends without its summary line fails.
# When CI is set, a skipped case fails unless the suite said why and the
# case is on tests/skip-allowed.txt; skips the suite counted without naming
# them fail too.  Exits 1 if anything failed, 2 if no SUITE was named
# (nothing run is no pass).
#
# REPEAT=N runs each suite N times in a row (to catch what fails only
# sometimes, a race): the counts are summed over the rounds, and the table
# says how many rounds failed and which cases failed how often.
#
# TEST_PROGRESS=SECS (default 120; 0: never): how often, while suites run
# side by side, a line says how far each held suite is (cases done and
# failed so far), so that a long one (qemu's ten minutes) is not silent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/lib.sh"
runner_start "run.sh BUILD_DIR STEP..." "$@"
set -- "${checked_args[@]}"
shift
# No suite is nothing tested (make test SUITE= with an empty list), which
# must not end as "0 passed, 0 failed" and success.
[ $# -gt 0 ] || usage_error "which suites? (run.sh BUILD_DIR STEP..., each of:" \
	"$(cd "$here" && ls -d */ | tr -d / | tr '\n' ' ' | sed 's/ $//'))"
repeat=${REPEAT:-1}
case $repeat in
'' | *[!0-9]* | 0) echo "REPEAT must be a positive number, not '$repeat'"; exit 1 ;;
esac
progress_secs=${TEST_PROGRESS:-120}
case $progress_secs in
'' | *[!0-9]*) echo "TEST_PROGRESS must be a number of seconds (0: never), not '$progress_secs'"; exit 1 ;;
esac
progress_secs=$((10#$progress_secs))	# 08 is eight, not a bad octal
total_pass=0 total_fail=0 total_skip=0
summary=()

# The cases that may be skipped under CI: one name a line, # comments.
allowed=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$here/skip-allowed.txt" 2>/dev/null)
skip_allowed() { [ -n "$allowed" ] && printf '%s\n' "$allowed" | grep -qxF -- "$1"; }

# ci_skips SKIPS: under CI, each skipped case that did not say why or is
# not allowed becomes a failure (s down, f up), and so does every skip the
# suite counted without naming it.  Uses and updates s and f.
ci_skips() {
	local named=0 name why
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
		failed_cases+="$name"$'\n'
		s=$((s - 1))
		f=$((f + 1))
	done < <([ -z "$1" ] || printf '%s\n' "$1")
	if [ "$s" -gt 0 ] && [ "$named" -lt "$s" ]; then
		echo "FAIL $suite: $((s - named)) case(s) counted as skipped under CI without a 'skip NAME: WHY' line"
		f=$((f + s - named))
		s=$named
	fi
	[ "$s" -ge 0 ] || s=0
}

# evidence LOG: each FAIL line of a suite's log with the first few lines
# of its evidence, for the summary: a reader of only the end of a long run
# (a CI log shown by its tail) still sees what failed and why.
evidence() {
	awk '/^FAIL / { n = 12; print "  " substr($0, 1, 200); next }
	     n > 0 && /^[ \t]/ { n--; print "  " substr($0, 1, 200); next }
	     { n = 0 }' "$1"
}

# run_suite SUITE ROUND: one run of a suite; adds to the suite's counts and
# to round_fail (1 if this round failed) and failed_cases.
run_suite() {
	local suite=$1 round=$2 log start secs last status skips p f s
	local what=$suite
	[ "$repeat" -eq 1 ] || what="$suite (round $round of $repeat)"
	echo "=== suite $what"
	log=$(mktemp)
	start=$(date +%s)
	"$here/$suite/run.sh" "$build" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	suite_secs=$((suite_secs + secs))
	last=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	skips=$(grep -E '^skip [^ :]+' "$log")
	failed_cases+=$(sed -n 's/^FAIL \([^ :]*\).*/\1/p' "$log")$'\n'
	failed_evidence+=$(evidence "$log")$'\n'
	rm -f "$log"
	if [ -z "$last" ]; then
		echo "FAIL $suite: the suite ended without its summary line (status $status)"
		failed_cases+="$suite(no summary)"$'\n'
		suite_silent=$((suite_silent + 1))
		round_fail=1
		return
	fi
	p=$(echo "$last" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$last" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	s=${s:-0}
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $suite: the suite exited with status $status, yet its summary says 0 failed"
		failed_cases+="$suite(status $status)"$'\n'
		f=1
	fi
	[ -z "${CI:-}" ] || ci_skips "$skips"
	suite_pass=$((suite_pass + p))
	suite_fail=$((suite_fail + f))
	suite_skip=$((suite_skip + s))
	[ "$f" -eq 0 ] || round_fail=1
}

# run_all SUITE: every round of SUITE; sets res_line (its line of the
# summary), res_pass, res_fail and res_skip.
run_all() {
	local suite=$1 round n name
	res_pass=0 res_fail=1 res_skip=0
	if [ ! -x "$here/$suite/run.sh" ]; then
		res_line="no such suite: $suite (have: $(cd "$here" && ls -d */ | tr -d / | tr '\n' ' '))"
		echo "$res_line"
		return
	fi
	suite_pass=0 suite_fail=0 suite_skip=0 suite_silent=0 suite_secs=0
	failed_rounds=0 failed_cases= failed_evidence=
	for round in $(seq "$repeat"); do
		round_fail=0
		run_suite "$suite" "$round"
		failed_rounds=$((failed_rounds + round_fail))
	done
	res_line=$(printf '%-8s %4d passed %4d failed %4d skipped  (%ss)' "$suite" \
		"$suite_pass" "$suite_fail" "$suite_skip" "$suite_secs")
	[ "$suite_silent" -eq 0 ] || res_line+=" did not report $suite_silent time(s)"
	if [ "$repeat" -gt 1 ]; then
		res_line+=" $failed_rounds of $repeat rounds failed"
		while read -r n name; do
			res_line+=$'\n'"$(printf '         %s failed %d of %d rounds' "$name" "$n" "$repeat")"
		done < <(printf '%s' "$failed_cases" | sed '/^$/d' | sort | uniq -c)
	fi
	[ -z "${failed_evidence//$'\n'/}" ] || res_line+=$'\n'"$(printf '%s' "$failed_evidence" | sed '/^$/d')"
	res_pass=$suite_pass res_fail=$((suite_fail + suite_silent)) res_skip=$suite_skip
}

# add_result: res_* into the summary and the totals.
add_result() {
	summary+=("$res_line")
	total_pass=$((total_pass + res_pass))
	total_fail=$((total_fail + res_fail))
	total_skip=$((total_skip + res_skip))
}

# progress SECS: every SECS seconds, one line for the suites under way
# whose output a lane holds: the cases each has done and failed so far.
# Its sleep neither outlives it nor holds the runner's output open.
progress() {
	local t=0 i f line
	# Ctrl-C reaches it too (the runner's group); its sleep, in the
	# background, would ignore SIGINT and outlive it.
	trap 'kill $! 2>/dev/null; exit 0' TERM INT HUP
	while :; do
		sleep "$1" < /dev/null > /dev/null 2>&1 &
		wait $!
		t=$((t + $1)) line=
		for i in "${!slots[@]}"; do
			f=$lanes_dir/${slots[i]}
			[ -f "$f.out" ] && [ ! -f "$f.shown" ] || continue
			line+="; ${slot_suites[i]} $(grep -cE '^(ok|FAIL|skip) ' "$f.out") cases done, $(grep -c '^FAIL ' "$f.out") failed"
		done
		[ -z "$line" ] || flock "$lanes_dir" echo "--- ${t}s, under way: ${line#; }"
	done
}

# run_lanes LANE+LANE...: each lane's suites in order, the lanes side by
# side.  A lane keeps each suite's output in a file and prints it whole
# when the suite ends (under a lock: never two at once), and leaves its
# res_* there for the summary, in the order the suites were named (slots,
# "LANE.INDEX" each).  Each lane is a process group of its own (a
# background job of a script would ignore SIGINT), stopped with
# everything it started if this runner is interrupted or killed
# (stop_lanes); the output it held is printed then.  A SIGKILL to this
# runner's group alone leaves the lanes running.
run_lanes() {
	local lane lanes k n suite sig ticker= i at
	lanes_dir=$(mktemp -d) lane_pids=() slots=() slot_suites=()
	IFS=+ read -r -a lanes <<< "$1"
	echo "=== side by side: $(printf '%s | ' "${lanes[@]}" | sed 's/ | $//; s/,/, /g') (a suite's output when it ends)"
	for sig in INT TERM HUP; do
		trap "stop_lanes $sig" $sig
	done
	set -m
	k=0
	for lane in "${lanes[@]}"; do
		n=0
		for suite in ${lane//,/ }; do
			slots+=("$k.$n") slot_suites+=("$suite")
			n=$((n + 1))
		done
		(
			set +m	# the lane's commands in its group, not in their own
			# A background group writing to a terminal set to
			# tostop would be stopped: this runner would wait for ever.
			trap '' TTOU
			for i in "${!slots[@]}"; do
				[[ ${slots[i]} == "$k".* ]] || continue
				at=$lanes_dir/${slots[i]}
				run_all "${slot_suites[i]}" > "$at.out" 2>&1
				printf 'res_line=%q res_pass=%d res_fail=%d res_skip=%d\n' \
					"$res_line" "$res_pass" "$res_fail" "$res_skip" > "$at.res"
				flock "$lanes_dir" cat "$at.out" || cat "$at.out"
				touch "$at.shown"
			done
		) < /dev/null &
		lane_pids+=($!)
		k=$((k + 1))
	done
	set +m
	if [ "$progress_secs" -gt 0 ]; then
		progress "$progress_secs" &
		ticker=$!
	fi
	wait "${lane_pids[@]}"
	[ -z "$ticker" ] || { kill "$ticker"; wait "$ticker"; } 2>/dev/null
	trap - INT TERM HUP
	for i in "${!slots[@]}"; do
		if [ -f "$lanes_dir/${slots[i]}.res" ]; then
			. "$lanes_dir/${slots[i]}.res"
		else
			res_line="${slot_suites[i]}: its lane ended before the suite reported" res_pass=0 res_fail=1 res_skip=0
			echo "FAIL $res_line; its output so far:"
			sed 's/^/    | /' "$lanes_dir/${slots[i]}.out" 2>/dev/null
		fi
		add_result
	done
	rm -rf "$lanes_dir"
}

# descendants PID: every process under PID, each listed before its
# children (read before any is stopped: a killed parent's children go to
# init and out of reach of this walk).
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# stop_lanes SIGNAL: interrupted or killed: stop every lane and all it
# started, by process, not group (timeout(1), which runs QEMU and more,
# puts itself in a group of its own), show what each suite under way had
# printed, and end as the signal would have.  jobs -p: a lane forked just
# before the signal came is a job before its PID is in lane_pids.
stop_lanes() {
	local f all=() p
	set +m
	trap - INT TERM HUP
	for p in $(jobs -p) "${lane_pids[@]}"; do
		all+=("$p" $(descendants "$p"))
	done
	kill -TERM "${all[@]}" 2>/dev/null
	kill -CONT "${all[@]}" 2>/dev/null	# a stopped one takes TERM now
	wait
	for f in "$lanes_dir"/*.out; do
		[ -f "${f%.out}.shown" ] || [ ! -s "$f" ] || { echo "=== held, interrupted:"; cat "$f"; }
	done
	rm -rf "$lanes_dir"
	echo "interrupted ($1): suites side by side stopped"
	trap - "$1"
	kill -"$1" $$
	exit 1
}

# Nothing named is nothing tested, lanes of no suite included (SUITE=+).
[ -n "$(printf '%s ' "$@" | tr '+,' '  ' | tr -d ' ')" ] ||
	usage_error "which suites? (run.sh BUILD_DIR STEP..., a suite or lanes of them joined by '+')"
for step in "$@"; do
	if [[ $step == *+* ]]; then
		run_lanes "$step"
	else
		# One lane (unit,gdb): its suites one after another.
		for suite in ${step//,/ }; do
			run_all "$suite"
			add_result
		done
	fi
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
