#!/bin/sh
# Inside the QEMU host: run the cases named by harness.cases=a,b,c on the
# kernel command line (or as arguments), one after the other, and print
# "ok qemu/NAME" or "FAIL qemu/NAME" with the evidence below it.  A case
# also fails if the kernel log it left shows trouble (kspawn-klog-check:
# BUG, Oops, WARNING, general protection, invalid opcode, RCU stall, hung
# task, lockup, call trace; a hung task is named with the case that
# started it), if a doorbell was masked as a flood in a
# case without a "# floods:" line, or if it left an instance behind.
# Exits 0 if every case passed.
cases="$*"
if [ -z "$cases" ]; then
	for arg in $(cat /proc/cmdline); do
		case $arg in harness.cases=*) cases=$(echo "${arg#harness.cases=}" | tr , ' ') ;; esac
	done
fi
# A case gets TERM after limit seconds and KILL kill_after seconds later;
# one that has still not ended grace seconds after that is stuck in the
# kernel (state D: no signal ends it), and left behind.
limit=${CASE_TIMEOUT:-240} kill_after=${CASE_KILL_AFTER:-10} grace=${CASE_GRACE:-30}

# bounded SECONDS NAME OUT CMD...: run CMD, its output appended to OUT,
# but wait for it at most SECONDS; its exit status then in $end.  Returns
# 1 if it did not end in time, and leaves it running: waiting for a task
# stuck in the kernel would stall the boot, every case after it
# unreported (as once in CI).  Its files are its own (NAME, this run's
# PID), and it holds none of ours: one left behind writes nowhere else.
bounded() {
	local secs=$1 out=$3 t=0
	end=/tmp/run-cases.$$.$2.end
	shift 3
	rm -f "$end" "$end.new"
	(exec < /dev/null >> "$out" 2>&1
	 "$@"
	 echo $? > "$end.new"
	 mv "$end.new" "$end") &
	while [ ! -s "$end" ] && [ $t -lt $((secs * 10)) ]; do
		sleep 0.1
		t=$((t + 1))
	done
	[ -s "$end" ]
}

# Where every task blocked in the kernel (state D) waits, for a case that
# hung: its kernel stack, read from /proc (not SysRq, whose traces would
# land in the kernel log that the checks read).
blocked_tasks() {
	local d pid comm
	echo "  tasks blocked in the kernel:"
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		# The state follows the name, which may hold spaces.
		[ "$(sed 's/.*) //' "$d/stat" 2>/dev/null | cut -d' ' -f1)" = D ] ||
			continue
		comm=$(cat "$d/comm" 2>/dev/null)
		echo "  task $pid ($comm):"
		sed 's/^/  w| /' "$d/stack" 2>/dev/null | head -n 30
	done
}

# A hung-task report comes 120 s or more after the task hung: often in a
# later case than the one whose task it is.  Each report names its task
# (COMM:PID); while the task is still there (hung, it usually is), its
# environment says which case started it (KSPAWN_CASE, set below).
hung_origin() {	# KLOG_LINES CASE
	local pid comm from
	printf '%s\n' "$1" |
	sed -n 's/.*INFO: task \(.*\):\([0-9][0-9]*\) blocked for more than.*/\2 \1/p' |
	while read -r pid comm; do
		# Gone, or its PID another's since: not the task reported.
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$comm" ]; then
			echo "  the hung task $comm:$pid has ended: which case started it is not known"
			continue
		fi
		from=$(tr '\0' '\n' < "/proc/$pid/environ" | sed -n 's/^KSPAWN_CASE=//p')
		case $from in
		"") echo "  the hung task $comm:$pid was started by no case (a kernel thread, or the harness)" ;;
		"$2") echo "  the hung task $comm:$pid was started by this case" ;;
		*) echo "  the hung task $comm:$pid was started by case $from, not this one (the report comes 120 s or more after the hang)" ;;
		esac
	done
}

# The markers below must reach the log: no rate limit on /dev/kmsg.
echo on > /proc/sys/kernel/printk_devkmsg 2>/dev/null
failed=0
n=0
# Each case's seconds (uptime, to 0.01 s), for the line that ends the
# boot: the suite's time is the CI's budget, and this says where it goes.
times=
for name in $cases; do
	t0=$(cut -d' ' -f1 /proc/uptime)
	script=${CASES_DIR:-/tests/cases}/$name.sh
	log=/tmp/case.$name.log
	# What the case logs is what follows this marker, found by its text:
	# the ring buffer may wrap during a case (a log flood), and a count
	# of lines taken before would then point past everything new.
	n=$((n + 1))
	mark="kspawn-harness: case $name begins ($$.$n)"
	# At KERN_INFO: in the log, not on the console (loglevel=5), where
	# it could land in the middle of the verdict line just printed.
	echo "<6>$mark" > /dev/kmsg
	if [ ! -f "$script" ]; then
		echo "no such case: $script" > "$log"
		st=127
	else
		: > "$log"
		if bounded $((limit + kill_after + grace)) case.$n "$log" \
			env KSPAWN_CASE="$name" \
			timeout -k "$kill_after" "$limit" sh "$script"; then
			st=$(cat "$end")
			# busybox's timeout: the status of the signal it sent.
			if [ "$st" -eq 143 ] || [ "$st" -eq 137 ]; then
				echo "  timed out after ${limit}s" >> "$log"
				blocked_tasks >> "$log"
			fi
		else
			st=124
			echo "  timed out after ${limit}s, and did not end $((kill_after + grace))s later (TERM, then KILL): stuck in the kernel, left behind" >> "$log"
			blocked_tasks >> "$log"
		fi
	fi
	dmesg > /tmp/case.klog
	if grep -qF "$mark" /tmp/case.klog; then
		awk -v m="$mark" 'on { print } index($0, m) { on = 1 }' /tmp/case.klog > /tmp/case.klog.new
	else
		echo "  the kernel log wrapped during the case: checking what is left of it" >> "$log"
		cp /tmp/case.klog /tmp/case.klog.new
	fi
	if ! klog=$(kspawn-klog-check < /tmp/case.klog.new); then
		echo "  the kernel log shows:" >> "$log"
		printf '%s\n' "$klog" | sed 's/^/  k! /' >> "$log"
		hung_origin "$klog" "$name" >> "$log"
		echo "  the case's kernel log (last 60 lines):" >> "$log"
		tail -n 60 /tmp/case.klog.new | sed 's/^/  k| /' >> "$log"
		st=1
	fi
	# A doorbell masked as a flood in a case that floods nothing is a
	# well-behaved guest punished (the flood count is a heuristic).
	# The cases that flood on purpose say so in a "# floods:" line.
	if ! grep -q '^# floods:' "$script" 2>/dev/null &&
	   grep -q 'doorbell flood' /tmp/case.klog.new; then
		echo "  CHECK FAILED: a doorbell was masked as a flood, and this case floods nothing:" >> "$log"
		grep 'doorbell flood' /tmp/case.klog.new | head -n 3 | sed 's/^/  k! /' >> "$log"
		st=1
	fi
	# Instance lines only: a case that leaves cores pooled adds a
	# "pool:" line, which is no instance.
	# Bounded too: after a case stuck in the module, a list may be stuck.
	listing=/tmp/run-cases.$$.list.$n
	: > "$listing"
	left=
	if bounded 60 list.$n "$listing" kspawnctl list; then
		left=$(tail -n +2 "$listing" | awk '$1 ~ /^[0-9]+$/ {print $1}')
	else
		echo "  kspawnctl list did not end within 60 s" >> "$log"
		blocked_tasks >> "$log"
		st=1
	fi
	for id in $left; do
		echo "  left instance $id behind; stopping it" >> "$log"
		# Bounded: a stop stuck in the module (no signal ends a task
		# waiting there) must cost this case, not the boot: the cases
		# after it would report nothing.  Left behind if it hangs.
		if ! bounded 60 stop.$n.$id "$log" kspawnctl stop "$id" --force; then
			echo "  the forced stop of instance $id did not end within 60 s" >> "$log"
			blocked_tasks >> "$log"
		fi
		st=1
	done
	if [ $st -eq 0 ]; then
		echo "ok qemu/$name"
	else
		echo "FAIL qemu/$name (status $st)"
		# The failed checks first: a long log shown by its head and
		# tail (as CI shows it) must not cut out why the case failed.
		grep '^  CHECK FAILED' "$log" | head -n 5
		# All of it indented: the runner outside shows evidence up to
		# the first line that is not (a stray stderr line hid it all).
		sed 's/^\([^ ]\|$\)/  \1/' "$log"
		failed=$((failed + 1))
	fi
	times="$times $name=$(awk -v a="$t0" '{ printf "%.0f", $1 - a }' /proc/uptime)"
done
echo "KSPAWN-HARNESS-TIMES$times"
[ $failed -eq 0 ]
