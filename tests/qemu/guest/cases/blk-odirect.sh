# virtio-blk on a file on the host's own ext4 (its virtio disk, /dev/vda):
# reads and writes are asynchronous O_DIRECT kiocbs, many in flight at
# once (the module logs the most it had, asserted > 1 with blkcheck qd=8),
# and the file holds what the guest wrote (same digest).  --cache
# writeback goes through the page cache instead; tmpfs, which refuses
# O_DIRECT, falls back to buffered I/O and says so.
. /tests/lib.sh

vda_ext4 || finish
disk=/mnt/vda/disk.img
dd if=/dev/zero of=$disk bs=1M count=4 2>/dev/null
sync

# The kernel log line of instance $1 at its end: "disk: N direct ...".
disk_line() { dmesg | grep "instance $1: disk:" | tail -n 1; }

spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck qd=8 seed=21" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: OK sectors=8192 digest=[0-9a-f]{16}'
guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
expect 0 kspawnctl stop "$id"
dmesg | grep -q "disk $disk: asynchronous direct I/O" ||
	bad "the file on ext4 was not opened for direct I/O"
line=$(disk_line "$id")
note "$line"
direct=$(echo "$line" | sed -n 's/.*disk: \([0-9]*\) direct.*/\1/p')
max=$(echo "$line" | sed -n 's/.*at most \([0-9]*\) in flight.*/\1/p')
[ "${direct:-0}" -gt 100 ] || bad "only '${direct}' requests went direct"
[ "${max:-0}" -gt 1 ] || bad "at most '${max}' requests in flight at once with qd=8"
echo 3 > /proc/sys/vm/drop_caches
host=$(fnv64sum $disk)
note "digest: guest $guest, host file $host"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "the file's digest $host is not the guest's $guest"

# Through the page cache on request; the data written direct is there.
spawn "$IMG" --cpu 1 --disk $disk --cache writeback --cmdline "blkcheck verify seed=21" || finish
expect 0 kspawnctl console "$id" --follow
has "blkcheck: OK sectors=8192 digest=$guest"
expect 0 kspawnctl stop "$id"
dmesg | grep "disk $disk:" | tail -n 1 | grep -q "buffered I/O" ||
	bad "--cache writeback did not give buffered I/O"
umount /mnt/vda

# tmpfs refuses O_DIRECT: buffered, logged, and it still works.
tdisk=/tmp/odirect.img
dd if=/dev/zero of=$tdisk bs=1M count=4 2>/dev/null
spawn "$IMG" --cpu 1 --disk $tdisk --cmdline "blkcheck qd=8 seed=3" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: OK sectors=8192'
expect 0 kspawnctl stop "$id"
dmesg | grep -q "disk $tdisk: the file system refuses O_DIRECT" ||
	bad "no log line saying tmpfs refused O_DIRECT"
rm -f $tdisk
want_no_instances
finish
