# Inside the QEMU host, a boot of its own (tests/qemu/run.sh, case klog):
# the kernel-log checks see every kind of trouble.  For each kind, a case
# that passes but makes the kernel log one line of that kind
# (selftest/klog-inject.sh) must fail under run-cases.sh, and harmless
# lines must not; once with the log as booted, once after the ring buffer
# has wrapped (a flood of messages, as ioctlabuse causes).  The lines stay
# in the log: scripts/qemu-host.sh must then flag the boot (status 121),
# which tests/qemu/run.sh checks with the list printed here.
kinds='kernel BUG at drivers/kspawn/selftest.c:1!
invalid opcode: 0000 [#1] PREEMPT SMP NOPTI
INFO: task kspawn-selftest:1 blocked for more than 120 seconds.
Watchdog detected hard LOCKUP on cpu 1
kspawn-selftest: soft lockup on CPU#1 (selftest)
Call Trace:
BUG: kspawn-selftest
Oops: 0002 [#1] SMP
WARNING: CPU: 1 PID: 1 at kspawn-selftest
general protection fault, probably for non-canonical address
rcu: INFO: rcu_preempt self-detected stall on CPU
kspawn-selftest: RCU stall'
harmless='kspawn-selftest: all is well
kspawn: instance 9: guest panicked at RIP 0xffffffff80100000: #UD invalid opcode'

echo on > /proc/sys/kernel/printk_devkmsg
round() {	# LABEL
	local failures=0 out line
	while IFS= read -r line; do
		out=$(KLOG_INJECT="$line" CASES_DIR=/tests/selftest sh /tests/run-cases.sh klog-inject 2>&1)
		if echo "$out" | grep -q '^FAIL qemu/klog-inject' &&
			echo "$out" | grep -qF -- "$line"; then
			echo "  flagged: $line"
		else
			echo "  NOT FLAGGED: $line"
			echo "$out" | sed 's/^/  | /'
			failures=$((failures + 1))
		fi
	done <<EOT
$kinds
EOT
	while IFS= read -r line; do
		out=$(KLOG_INJECT="$line" CASES_DIR=/tests/selftest sh /tests/run-cases.sh klog-inject 2>&1)
		if echo "$out" | grep -q '^ok qemu/klog-inject$'; then
			echo "  not flagged, rightly: $line"
		else
			echo "  FLAGGED, wrongly: $line"
			echo "$out" | sed 's/^/  | /'
			failures=$((failures + 1))
		fi
	done <<EOT
$harmless
EOT
	return $failures
}

status=0
out=$(round)
if [ $? -eq 0 ]; then echo "ok qemu/klog-cases"; else echo "FAIL qemu/klog-cases"; status=1; fi
echo "$out"
# Wrap the ring buffer (128 KiB in Debian's kernel): debug level, so that
# the console stays quiet.
i=0
while [ $i -lt 4000 ]; do
	echo "<7>kspawn-selftest: filling the kernel log ring buffer, line $i of 4000" > /dev/kmsg
	i=$((i + 1))
done
if dmesg | grep -q 'line 0 of 4000'; then
	echo "FAIL qemu/klog-cases-wrapped"
	echo "  the ring buffer did not wrap: this round would prove nothing"
	status=1
else
	out=$(round)
	if [ $? -eq 0 ]; then echo "ok qemu/klog-cases-wrapped"; else echo "FAIL qemu/klog-cases-wrapped"; status=1; fi
	echo "$out"
fi
# A hung-task report lands in whatever case runs 120 s after the hang:
# the case it lands in is told whose task it is (hung-leaver's, which
# left it behind), not only that its kernel log shows a hung task.
CASES_DIR=/tests/selftest sh /tests/run-cases.sh hung-leaver hung-report > /tmp/hung.run 2>&1
out=$(cat /tmp/hung.run)
kill "$(cat /tmp/hung-leaver.pid 2>/dev/null)" 2>/dev/null
if echo "$out" | grep -q '^ok qemu/hung-leaver$' &&
	echo "$out" | grep -q '^FAIL qemu/hung-report' &&
	echo "$out" | grep -q 'hung task sleep:[0-9]* was started by case hung-leaver, not this one'; then
	echo "ok qemu/klog-hung-origin"
else
	echo "FAIL qemu/klog-hung-origin"
	echo "  run-cases.sh said:"
	echo "$out" | sed 's/^/  | /'
	status=1
fi
# A case stuck in the kernel (selftest/case-stuck.sh, asleep in the module
# for 10 s) is reported with where it sleeps, and the harness goes on to
# the next case while it still sleeps: before, it waited, and a boot in
# CI timed out with every case after the stuck one unreported.
knob=/sys/module/kspawn/parameters/test_release_delay_ms
if kspawnctl reserve 1 > /tmp/stuck.out 2>&1 && echo 10000 > $knob; then
	STUCK_CPU=1 CASE_TIMEOUT=1 CASE_KILL_AFTER=1 CASE_GRACE=1 \
		KLOG_INJECT='kspawn-selftest: all is well' CASES_DIR=/tests/selftest \
		sh /tests/run-cases.sh case-stuck klog-inject > /tmp/stuck.run 2>&1 &
	runner=$!
	# Its verdict must come while the release sleeps (CPU 1 offline).
	i=0 early=
	while [ $i -lt 300 ]; do
		if grep -q '^FAIL qemu/case-stuck' /tmp/stuck.run; then
			[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ] || early=1
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait $runner
	out=$(cat /tmp/stuck.run)
	if [ -n "$early" ] &&
		echo "$out" | grep -q 'did not end 2s later (TERM, then KILL)' &&
		echo "$out" | grep -q 'w| .*kspawn_cores_release' &&
		echo "$out" | grep -q '^ok qemu/klog-inject$'; then
		echo "ok qemu/case-stuck"
	else
		echo "FAIL qemu/case-stuck"
		[ -n "$early" ] || echo "  its verdict came only once it had ended (or never)"
		echo "  run-cases.sh said:"
		echo "$out" | sed 's/^/  | /'
		status=1
	fi
	# The release ends when its sleep does: CPU 1 is Linux's again.
	i=0
	while [ "$(cat /sys/devices/system/cpu/cpu1/online)" != 1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo 0 > $knob
else
	echo "FAIL qemu/case-stuck"
	echo "  could not reserve CPU 1 or set $knob:"
	sed 's/^/  | /' /tmp/stuck.out
	status=1
fi
# For tests/qemu/run.sh: what scripts/qemu-host.sh must list.
echo "$kinds" | sed 's/^/KLOG-SELFTEST-KIND /'
exit $status
