# The guest rings the host's doorbell (a fixed IPI to an interrupt the
# module allocated on a host CPU) when its device asked for a kick, so the
# device thread can sleep without a timeout: with the guest idle it does
# not wake at all.  The control, doorbell=off on the guest's command
# line, is the old way: the host polls, waking hundreds of times a second.
# And the host answers a guest that rings before its start has returned.
. /tests/lib.sh
wakeups() { sed -n 's/^voluntary_ctxt_switches:[^0-9]*//p' "/proc/$1/status"; }
# idle_wakeups ID: the I/O thread's wake-ups in 2 s, the guest halted.
idle_wakeups() {
	local pid w0
	pid=$(pid_of "kspawn-io/$1") || { bad "no kspawn-io/$1 thread"; echo 0; return; }
	w0=$(wakeups "$pid")
	sleep 2
	echo $(($(wakeups "$pid") - w0))
}

spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "blkbench rw=read qd=1 ops=2000" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkbench: rw=read qd=1'
n=$(doorbell_irqs "$id")
note "doorbell interrupts: ${n:-none}"
[ "${n:-0}" -gt 0 ] || bad "the guest never rang its doorbell"
w=$(idle_wakeups "$id")
note "kspawn-io/$id woke $w times in 2 s with the guest idle"
[ "$w" -le 2 ] || bad "the I/O thread woke $w times in 2 s with nothing to do"
expect 0 kspawnctl stop "$id"

spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "doorbell=off blkbench rw=read qd=1 ops=2000" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkbench: rw=read qd=1'
n=$(doorbell_irqs "$id")
[ "${n:-0}" -eq 0 ] || bad "the guest rang $n times with doorbell=off"
w=$(idle_wakeups "$id")
note "doorbell=off: kspawn-io/$id woke $w times in 2 s with the guest idle"
[ "$w" -ge 100 ] || bad "without a doorbell the host should poll, but woke only $w times"
expect 0 kspawnctl stop "$id"
grep -q kspawn-doorbell /proc/interrupts && bad "a doorbell interrupt is left after stop"

# A guest that boots fast rings, and is answered, before the start ioctl
# has seen it up: the host's answers then must not be dropped.  Its image
# kept from the last spawn, doorbench's first echo comes within a
# millisecond of the SIPI; before the fix 3 in 8 spawns lost it (all 12
# passing then: 0.4%).
lost=0
for i in $(seq 12); do
	spawn "$TEST_IMG" --cpu 1 --cmdline "doorbench count=200" || finish
	expect 0 kspawnctl console "$id" --follow
	echo "$out" | grep -q 'doorbench: count=200 ' || { lost=$((lost + 1)); note "spawn $i: $(echo "$out" | grep 'doorbench:')"; }
	expect 0 kspawnctl stop "$id"
done
[ $lost = 0 ] || bad "$lost of 12 fast-booting guests lost the host's answer to their first doorbell"

# A guest whose first request rings before its I/O thread has ever run is
# answered: the thread is known to the doorbell's handler before it runs.
# test_io_start_delay_ms holds the thread back up to 1 s after it is made,
# the guest already up (a ring that finds it starts it sooner).  Before the
# fix the thread ran first, polled, found nothing yet and slept with no
# timeout, and the rings made before it was known were dropped: the guest
# waited for ever (seen once in make bench, its blkbench at request 1 of
# 200).
param=/sys/module/kspawn/parameters/test_io_start_delay_ms
echo 1000 > $param
spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "blkbench rw=read qd=1 ops=50"
st=$?
echo 0 > $param
[ $st -eq 0 ] || finish
out=$(timeout 60 kspawnctl console "$id" --follow 2>&1)
echo "$out" | grep -q 'blkbench: rw=read qd=1' ||
	bad "the guest's requests, rung before its I/O thread first ran, were not answered within 60 s"
expect 0 kspawnctl stop "$id"
want_no_instances
finish
