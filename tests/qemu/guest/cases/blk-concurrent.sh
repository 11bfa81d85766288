# QD 64 reads and writes of 1 to 64 sectors over 512 overlapping sectors,
# checked by blkrace (guest/apps/test/blkrace.c) against a model of the
# writes each sector may hold: none stale (a write completed before it
# was done, requests reordered across a completion), none torn.  On a
# RAM disk, then on a file on ext4 (asynchronous O_DIRECT kiocbs that
# complete out of order), 12 s each.  Under that ext4 is QEMU's disk, a
# file in the page cache of the machine running QEMU: a read racing a
# write of the same sector may get half of each there (seen: torn at a
# 64-byte line), so on the file blkrace lets such a read pass (racing=ok)
# and still fails any other torn or any stale sector.
. /tests/lib.sh
secs=12

# race DISKOPTS [ARGS]: blkrace for $secs s on that disk; OK, real work.
race() {
	spawn "$TEST_IMG" --cpu 1 $1 --cmdline "blkrace qd=64 secs=$secs $2" || return
	expect 0 kspawnctl console "$id" --follow
	has 'blkrace: OK reads=[1-9][0-9]* writes=[1-9][0-9]* sectors_checked=[1-9][0-9]* qd=64'
	hasnt 'FAIL'
	expect 0 kspawnctl stop "$id"
}

race "--ramdisk 8M"

if vda_ext4; then
	dd if=/dev/zero of=/mnt/vda/race.img bs=1M count=4 2>/dev/null
	sync
	race "--disk /mnt/vda/race.img" racing=ok
	line=$(dmesg | grep "instance $id: disk:" | tail -n 1)
	note "$line"
	max=$(echo "$line" | sed -n 's/.*at most \([0-9]*\) in flight.*/\1/p')
	[ "${max:-0}" -gt 1 ] || bad "at most '${max}' requests in flight at the file at once with qd=64"
	rm -f /mnt/vda/race.img
	umount /mnt/vda
fi
want_no_instances
finish
