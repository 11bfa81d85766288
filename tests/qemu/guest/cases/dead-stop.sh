# A stop that cannot give the guest's core back (Linux refuses it: CPU 2's
# next bring-up made to fail through its hotplug/fail file, at the
# module's own hotplug state, as reboot-forced does) leaves the instance
# DEAD; the retry, the bring-up allowed again, gives the core back.  The
# guest (rogue count) puts a read in flight on a slow disk (null_blk,
# 4 s a request), then prints numbered lines as fast as its console ring
# takes them, interrupts off, until its core is reset, and keeps the
# number of the last line that went into the ring whole as its heartbeat,
# which `kspawnctl status` shows while the instance is DEAD.  The stop
# waits for the read after its last look at the ring, the guest printing
# on meanwhile; the monitor, which would empty the ring meanwhile, is
# kept nearly off the CPU (pinned to CPU 1 under a SCHED_FIFO loop, RT
# tasks given 99% of it: it runs in about 10 ms of each second) until
# the stop has returned, as on a busy host.  Not 100% (RT throttling
# off): CPU 1's ksoftirqd then never ran, its RCU softirq with it, and
# the stop's add_cpu() waited for ever for a grace period (CI:
# "rcu_preempt self-detected stall on CPU 1").  The guest's last whole
# line must reach the console: before the fix what it wrote after the
# stop's (and the monitor's) last look stayed in the ring, the monitor
# and the retry passing DEAD instances by.  The guest fills its ring in
# far less than the monitor's second away, so that red stays near
# certain (2 of 2 runs with the fix reverted).
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
fail=/sys/devices/system/cpu/cpu2/hotplug/fail
rt=/proc/sys/kernel/sched_rt_runtime_us
hpstate=$(sed -n 's|^ *\([0-9]*\): kspawn/guard:prepare$|\1|p' \
	/sys/devices/system/cpu/hotplug/states)
[ -n "$hpstate" ] || { bad "no kspawn/guard:prepare hotplug state"; finish; }
mon=$(pid_of kspawn-monitor)
[ -n "$mon" ] || { bad "no kspawn-monitor thread"; finish; }
mon_mask=$(taskset -p "$mon" | sed 's/.*: //')
rt_was=$(cat $rt)
# This script, and the stop, on CPU 0; CPU 1 is the monitor's prison.
taskset -p 1 $$ > /dev/null
nullb kspawndead size=16 irqmode=2 completion_nsec=4000000000 || finish
name=${dev#/dev/}
reads() { awk '{ print $1 }' "/sys/block/$name/inflight"; }
# Taken from Linux, not pooled: only a taken core goes back by add_cpu().
spawn "$TEST_IMG" --cpu 2 --disk "$dev" --cmdline "rogue count" ||
	{ nullb_gone kspawndead; finish; }
io=$(pid_of "kspawn-io/$id")
[ -n "$io" ] && taskset -p 1 "$io" > /dev/null
i=0
while [ "$(reads)" -eq 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(reads)" -gt 0 ] || bad "the guest's read never reached $dev"
# Should the harness end the case (TERM) from here on, the later cases of
# this boot get CPU 1, the monitor, RT throttling and CPU 2 back.
hog=
undo() {
	[ -z "$hog" ] || kill "$hog"
	echo "$rt_was" > $rt
	taskset -p "$mon_mask" "$mon" > /dev/null
	echo -1 > "$fail"
	kspawnctl stop --force "$id" > /dev/null 2>&1
	nullb_gone kspawndead
}
trap 'undo; exit 1' TERM INT
echo "$hpstate" > "$fail" || bad "cannot make CPU 2's bring-up fail (state $hpstate)"
taskset -p 2 "$mon" > /dev/null
echo 990000 > $rt
taskset -c 1 rtrun 10 sh -c 'while :; do :; done' &
hog=$!
sleep 0.2	# the monitor off the CPU
# Forced: the guest hears no polite stop anyway.
t0=$(now_cs)
expect 1 kspawnctl stop --force "$id"
note "the failed stop took $((($(now_cs) - t0) * 10)) ms (the read's wait)"
kill $hog
wait $hog 2> /dev/null
hog=
echo "$rt_was" > $rt
taskset -p "$mon_mask" "$mon" > /dev/null
has 'add_cpu failed'
out=$(kspawnctl --json status "$id")
s=$(json_get state "$out")
last=$(json_get heartbeat "$out")
note "instance $id '$s' after the failed stop, the guest's last whole line $last"
[ "$s" = dead ] || bad "instance $id '$s' after the failed stop, want dead"
# The bring-up allowed again (the fail file may have reset itself).
echo -1 > "$fail"
expect 0 kspawnctl stop "$id"
want_online 2
kspawnctl console "$id" > /tmp/dead-stop.out
st=$?
# A line cut short by the reset (no newline after it) is not whole.
[ -z "$(tail -c 1 /tmp/dead-stop.out)" ] || sed -i '$d' /tmp/dead-stop.out
n=$(grep -c '^rogue: count [0-9]*$' /tmp/dead-stop.out)
end=$(grep '^rogue: count [0-9]*$' /tmp/dead-stop.out | tail -n 1)
note "console (status $st): $(wc -c < /tmp/dead-stop.out) bytes, $n whole lines, the last '$end'"
case $last in
[1-9]*) ;;
*) bad "the guest kept no line number ('$last')" ;;
esac
grep -qx "rogue: count $last" /tmp/dead-stop.out ||
	bad "the guest's last whole line, $last, is not in its console (it ends with '$end')"
# Nothing after it but the next line (the reset may land between that
# line's write and its count).
case ${end#rogue: count } in
"$last"|"$((last + 1))") ;;
*) bad "the console's last whole line is '$end', want count $last or $((last + 1))" ;;
esac
rm -f /tmp/dead-stop.out
trap - TERM INT
nullb_gone kspawndead
want_no_instances
finish
