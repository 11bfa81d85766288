# A guest's direct writes to a file on a frozen file system (fsfreeze)
# wait for the thaw, as aio's writes do, rather than run on a frozen ext4:
# into a sparse file every write allocates, and its extents are converted
# at completion, journal work ext4 warns about when frozen (the runner's
# kernel-log check fails on the warning).  After the thaw the guest's
# check passes and the file holds what it wrote.  A stop while frozen
# waits for the thaw, and says so after 5 s (the module, and kspawnctl
# stop relaying it), with the guest's CPU back with Linux meanwhile.
. /tests/lib.sh

vda_ext4 || finish
disk=/mnt/vda/freeze.img
truncate -s 4M $disk
sync
w0=$(dmesg | grep -c 'WARNING')
expect 0 fsfreeze --freeze /mnt/vda
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck qd=8 seed=9" ||
	{ fsfreeze --unfreeze /mnt/vda; finish; }
sleep 3
# Still frozen: no write may have gone through, so no check finished.
expect 0 kspawnctl console "$id"
hasnt 'blkcheck: (OK|FAIL)'
[ "$(dmesg | grep -c 'WARNING')" -eq "$w0" ] || bad "the kernel warned while the file system was frozen"
expect 0 fsfreeze --unfreeze /mnt/vda
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: OK sectors=8192 digest=[0-9a-f]{16}'
guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
expect 0 kspawnctl stop "$id"
echo 3 > /proc/sys/vm/drop_caches
host=$(fnv64sum $disk)
note "digest: guest $guest, host file $host"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "the file's digest $host is not the guest's $guest"

# A stop while the file system is frozen waits for the thaw (the device
# thread waits in its write), and says so: the module after 5 s, and
# kspawnctl stop relays the line, so a long stop does not look hung.
# Meanwhile the guest is stopped and its CPU Linux's again (if it was
# Linux's, not a pooled one): the wait holds the stop, not the core
# (before, the INIT came after the thaw).
truncate -s 4M $disk
sync
online=$(cat /sys/devices/system/cpu/cpu1/online)
expect 0 fsfreeze --freeze /mnt/vda
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck qd=8 seed=10" ||
	{ fsfreeze --unfreeze /mnt/vda; finish; }
sleep 2
kspawnctl stop "$id" > /tmp/freeze-stop.out 2> /tmp/freeze-stop.err &
stopper=$!
seen /tmp/freeze-stop.err "stop: .*instance $id: the stop has waited 5 s" 200
dmesg | grep -q "instance $id: the stop has waited 5 s" ||
	bad "the module did not say what the stop waits for"
if [ "$online" = 1 ]; then
	kill -0 $stopper 2>/dev/null || bad "the stop did not wait for the thaw"
	[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ] ||
		bad "CPU 1 was not Linux's again while the stop waited for the thaw"
else
	note "CPU 1 is a pooled one: not checked for online during the stop"
fi
expect 0 fsfreeze --unfreeze /mnt/vda
wait $stopper
st=$?
note "the stop while frozen: exit $st, stderr: $(cat /tmp/freeze-stop.err)"
[ "$st" -eq 0 ] || bad "the stop ended with $st, want 0"
umount /mnt/vda
want_no_instances
finish
