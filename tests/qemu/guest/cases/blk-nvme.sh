# virtio-blk on a real block device's protocol: the QEMU host's emulated
# NVMe drive, /dev/nvme0n1.  With --cache none (the default) reads and
# writes are bios straight to the namespace, many in flight (the module
# logs the most it had, asserted > 1 with blkcheck qd=8); the namespace
# holds what the guest wrote (same digest, read by the host after the
# instance ended); FLUSH is always offered, and reaches the drive when
# it was write-through at load and turned write-back under the running
# guest (queue/write_cache, the flush count in its stat); DISCARD and
# WRITE_ZEROES (bios the device thread does not wait for) leave zeroes the
# host reads back; at QD1 the last completion wakes the device thread,
# so the guest's doorbell seldom has to.
. /tests/lib.sh

dev=/dev/nvme0n1
[ -b $dev ] || { bad "no $dev: the host's NVMe driver did not load"; finish; }
wc=$(cat /sys/block/nvme0n1/queue/write_cache)
note "$dev: write_cache '$wc', $(cat /sys/block/nvme0n1/queue/logical_block_size)-byte blocks"

# on_nvme CMDLINE WANT: a guest on the drive runs CMDLINE to its end and
# prints WANT; the module's last log line for it ("disk: N direct ...")
# in $line, a blkcheck digest in $guest.
on_nvme() {
	spawn "$IMG" --cpu 1 --disk $dev --cmdline "$1" || finish
	expect 0 kspawnctl console "$id" --follow
	has "$2"
	guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
	expect 0 kspawnctl stop "$id"
	line=$(dmesg | grep "instance $id: disk:" | tail -n 1)
}

on_nvme "blkcheck qd=8 seed=27" 'blkcheck: OK sectors=16384 digest=[0-9a-f]{16}'
opened=$(dmesg | grep "disk $dev:" | tail -n 1)
note "$opened"
echo "$opened" | grep -q ": bios, " || bad "$dev was not served by bios"
if [ "$wc" = "write back" ]; then
	echo "$opened" | grep -q "a volatile write cache" ||
		bad "the drive has a volatile write cache; the module did not see it"
else
	echo "$opened" | grep -q "no write cache" ||
		bad "the drive has no volatile write cache; the module says it has"
fi
note "$line"
direct=$(echo "$line" | sed -n 's/.*disk: \([0-9]*\) direct.*/\1/p')
max=$(echo "$line" | sed -n 's/.*at most \([0-9]*\) in flight.*/\1/p')
[ "${direct:-0}" -gt 100 ] || bad "only '${direct}' requests went to the device"
[ "${max:-0}" -gt 1 ] || bad "at most '${max}' requests in flight at once with qd=8"
host=$(fnv64sum $dev)
note "digest: guest $guest, host $dev $host"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "$dev digest $host is not the guest's $guest"

# The drive write-through when the guest starts, write-back before it
# writes: its FLUSH must reach the drive (stat's 16th field counts the
# drive's flushes), read while the instance still holds the disk, so the
# flush the module sends when it closes the disk is not counted.
flushes() { awk '{ print $16 }' /sys/block/nvme0n1/stat; }
echo "write through" > /sys/block/nvme0n1/queue/write_cache
spawn "$IMG" --cpu 1 --disk $dev --cmdline "blkcheck wait=3000 seed=27" || finish
follow "$id" /tmp/wc.out
seen /tmp/wc.out 'blkcheck: waiting'
echo "write back" > /sys/block/nvme0n1/queue/write_cache
f0=$(flushes)
wait "$follower"
f1=$(flushes)
out=$(cat /tmp/wc.out)
has 'blkcheck: OK sectors=16384'
expect 0 kspawnctl stop "$id"
echo "$wc" > /sys/block/nvme0n1/queue/write_cache
note "drive turned write-back under the guest: flushes $f0 before, $f1 after its run"
[ "${f1:-0}" -gt "${f0:-0}" ] ||
	bad "the guest's FLUSH never reached a drive turned write-back under it"

# Read back by a second instance: what the first wrote is on the device.
on_nvme "blkcheck verify seed=27" "blkcheck: OK sectors=16384 digest=$guest"

# blkbench's buffers are aligned to a page, so a guest whose memory were
# in the kernel's linear map would have its own pages in the bios; the
# pool is reserved memory without struct pages, so today every request
# is bounced (store_bdev.c): noted, not asserted.
for rw in write read; do
	on_nvme "blkbench rw=$rw qd=8 ops=400" "blkbench: rw=$rw qd=8 "
	note "blkbench rw=$rw: $line"
done

# QD1: the last completion wakes the device thread, which polls for the
# guest's next request, so the guest's doorbell seldom has to wake it
# (without that, each of the 440 requests did).  Not a timing: a count of
# wake-ups, with a wide margin.
on_nvme "blkbench rw=read qd=1 ops=400" "blkbench: rw=read qd=1 "
note "blkbench qd=1: $line"
wakes=$(echo "$line" | sed -n 's/.* \([0-9]*\) of [0-9]* doorbells woke the thread.*/\1/p')
[ -n "$wakes" ] && [ "$wakes" -lt 110 ] ||
	bad "'$wakes' of 440 QD1 requests had to wake the device thread"
# A ring that lands after the awake thread took its request is no flood.
! dmesg | grep -q "instance $id: doorbell flood" ||
	bad "the QD1 guest's doorbell was masked as a flood: $(dmesg | grep "instance $id: doorbell flood" | tail -n 1)"

# DISCARD and WRITE_ZEROES: the host reads the zeroes too.
on_nvme "blkcheck discard seed=31" 'blkcheck: OK sectors=16384 digest=[0-9a-f]{16}'
host=$(fnv64sum $dev)
note "after discard: guest $guest, host $host"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "$dev digest $host is not the guest's $guest"
want_no_instances
finish
