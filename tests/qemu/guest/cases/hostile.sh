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
spawn "$IMG" --cpu 1 --ramdisk 1M --cmdline "hostile flood" || finish
expect 0 kspawnctl console "$id" --follow
has 'hostile: flood: 1000000 doorbells, then I/O still works'
expect 0 kspawnctl stop "$id"
expect 0 kspawnctl console "$neighbour" --follow
has 'blkcheck: OK sectors=65536'
expect 0 kspawnctl stop "$neighbour"
want_online 1
want_online 2
want_no_instances
finish
