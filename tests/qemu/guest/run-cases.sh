#!/bin/sh
# Inside the QEMU host: run the cases named by harness.cases=a,b,c on the
# kernel command line (or as arguments), one after the other, and print
# "ok qemu/NAME" or "FAIL qemu/NAME" with the evidence below it.  A case
# also fails if the kernel log gained BUG:, Oops, WARNING:, general
# protection or an RCU stall while it ran, or if it left an instance behind.
# Exits 0 if every case passed.
cases="$*"
if [ -z "$cases" ]; then
	for arg in $(cat /proc/cmdline); do
		case $arg in harness.cases=*) cases=$(echo "${arg#harness.cases=}" | tr , ' ') ;; esac
	done
fi
bad_re='BUG:|Oops|WARNING:|general protection|rcu.*detected stall|RCU stall'
limit=${CASE_TIMEOUT:-240}
failed=0
for name in $cases; do
	script=/tests/cases/$name.sh
	log=/tmp/case.$name.log
	before=$(dmesg | wc -l)
	if [ ! -f "$script" ]; then
		echo "no such case: $script" > "$log"
		st=127
	else
		timeout "$limit" sh "$script" > "$log" 2>&1
		st=$?
		[ $st -ne 143 ] || echo "  timed out after ${limit}s" >> "$log"
	fi
	# kspawn.ko quotes a guest's panic message, which may say anything.
	klog=$(dmesg | tail -n +$((before + 1)) | grep -E "$bad_re" |
		grep -vE 'kspawn: instance [0-9]+: guest panicked')
	if [ -n "$klog" ]; then
		echo "  the kernel log shows:" >> "$log"
		dmesg | tail -n +$((before + 1)) | sed 's/^/  k| /' >> "$log"
		st=1
	fi
	left=$(kspawnctl list 2>/dev/null | tail -n +2 | awk '{print $1}')
	for id in $left; do
		echo "  left instance $id behind; stopping it" >> "$log"
		kspawnctl stop "$id" --force >> "$log" 2>&1
		st=1
	done
	if [ $st -eq 0 ]; then
		echo "ok qemu/$name"
	else
		echo "FAIL qemu/$name (status $st)"
		cat "$log"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ]
