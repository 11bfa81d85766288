# A hostile guest breaks the virtio rules on purpose (guest/apps/hostile.c):
# buffers outside its region, a 4 GiB buffer, a looping chain, nested
# indirect tables, a wild available index, a flood of doorbells.  Each bad
# request gets the device marked NEEDS_RESET with one log line; a second
# guest running blkcheck beside it is unaffected; the host's log stays
# clean (checked for every case).
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
spawn "$IMG" --cpu 2 --ramdisk 32M --cmdline "blkcheck qd=8" || finish
neighbour=$id
before=$(dmesg | grep -c 'blk device: .*needs reset')
for mode in outside huge loop nested wild; do
	spawn "$IMG" --cpu 1 --ramdisk 1M --cmdline "hostile $mode" || continue
	expect 0 kspawnctl console "$id" --follow
	has "hostile: $mode: the device needs reset, as it should"
	expect 0 kspawnctl stop "$id"
done
after=$(dmesg | grep -c 'blk device: .*needs reset')
dmesg | grep 'blk device: .*needs reset' | sed 's/^/  log: /'
[ $((after - before)) -eq 5 ] || bad "$((after - before)) 'needs reset' log lines, want one per bad guest (5)"
# Garbage in the device status and queue fields: nothing to refuse loudly,
# nothing may break.
spawn "$IMG" --cpu 1 --ramdisk 1M --cmdline "hostile status" || finish
expect 0 kspawnctl console "$id" --follow
has 'hostile: status: 256 garbage states written'
expect 0 kspawnctl stop "$id"

# Garbage in the ABI header and the console ring's index: the module keeps
# its own copies of what it needs and declares the ring broken (one line).
# The guest, which finds its own state record through the header, loses
# its heartbeat: the host reports it hung, and stops it all the same.
spawn "$IMG" --cpu 1 --ramdisk 1M --cmdline "hostile header" || finish
wait_state "$id" hung halted
expect 0 kspawnctl console "$id"
has 'hostile: header: scribbling'
dmesg | grep -q 'indices out of range' || bad "no log line for the broken console ring"
expect 0 kspawnctl stop "$id"

# The kspawn-io thread of a guest flooding doorbells: its CPU time is
# reported, not asserted (timings vary on shared machines).
spawn "$IMG" --cpu 1 --ramdisk 1M --cmdline "hostile flood" || finish
expect 0 kspawnctl console "$id" --follow
has 'hostile: flood: 1000000 doorbells, then I/O still works'
pid=$(pgrep -f "kspawn-io/$id" | head -n 1)
[ -z "$pid" ] || note "kspawn-io/$id: $(awk '{print $14 + $15}' /proc/$pid/stat) ticks of CPU"
expect 0 kspawnctl stop "$id"
expect 0 kspawnctl console "$neighbour" --follow
has 'blkcheck: OK sectors=65536'
expect 0 kspawnctl stop "$neighbour"
want_online 1
want_online 2
want_no_instances
finish
