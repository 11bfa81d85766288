# The lighter doorbell into the guest (ABI 1.2, MWAIT wake), in a boot
# whose CPUs have MONITOR/MWAIT (QEMU -cpu qemu64,+monitor): the idle guest
# MWAITs on its wake line and the host sets a bit there instead of sending
# an IPI; completions, the polite stop and mwait=off all work.  Under TCG
# with several CPUs MWAIT returns at once, so this checks correctness
# only: the latency it saves needs real hardware.
. /tests/lib.sh
grep -qw monitor /proc/cpuinfo || { bad "this boot's CPUs lack MONITOR (run it with -cpu ...,+monitor)"; finish; }
spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "blkcheck qd=4" || finish
expect 0 kspawnctl console "$id" --follow
has "idle: MWAIT on the host's wake line"
has 'blkcheck: OK sectors=16384'
has 'idle: [1-9][0-9]* interrupts came as writes to the wake line'
expect 0 kspawnctl stop "$id"

spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "mwait=off blkcheck qd=4" || finish
expect 0 kspawnctl console "$id" --follow
hasnt 'idle: MWAIT'
has 'blkcheck: OK sectors=16384'
expect 0 kspawnctl stop "$id"

# A polite stop reaches a guest asleep in MWAIT: its stop vector comes as
# a write to the line.
spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "blkbench qd=1 ops=100 idle_ms=100" || finish
sleep 1
expect 0 kspawnctl stop "$id"
dmesg | grep -q "instance $id: no halt" && bad "the stop request did not wake the guest: it was forced"

# ... and a busy guest, never idle, still gets IPIs: doorbench spins
# waiting for each echo, which must not wait in a line nobody watches.
spawn "$TEST_IMG" --cpu 1 --cmdline "doorbench count=500" || finish
wait_state "$id" halted
expect 0 kspawnctl console "$id"
has 'doorbench: count=500 g2h_p50_ns=[0-9]+'
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
finish
