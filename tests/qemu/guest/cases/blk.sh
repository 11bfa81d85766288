# virtio-blk, full stack: blkcheck writes, flushes, reads back and verifies
# the whole disk, on a RAM disk, on a file and on a block device (the QEMU
# host's second disk); the file and the device then hold what the guest
# wrote (same digest); a second guest on the same file finds it; a
# device set read-only is refused, and one set read-only under a
# running guest fails its writes.
. /tests/lib.sh

spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "blkcheck qd=16" || finish
expect 0 kspawnctl console "$id" --follow
has 'virtio-blk: 8 MiB, queue of 256, split ring, indirect'
has 'blkcheck: OK sectors=16384 digest=[0-9a-f]{16}'
expect 0 kspawnctl stop "$id"

# The packed ring, negotiated when the guest asks for it.
spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "vring=packed blkcheck qd=32" || finish
expect 0 kspawnctl console "$id" --follow
has 'virtio-blk: 8 MiB, queue of 256, packed ring, indirect'
has 'blkcheck: OK sectors=16384 digest=[0-9a-f]{16}'
expect 0 kspawnctl stop "$id"

# The default RAM disk is vdpa_sim_blk's 128 MiB.
spawn "$IMG" --cpu 1 --ramdisk default --cmdline "blkbench rw=read qd=1 ops=100" || finish
expect 0 kspawnctl console "$id" --follow
has 'virtio-blk: 128 MiB'
expect 0 kspawnctl stop "$id"

spawn "$IMG" --cpu 1 --ramdisk 8M --cmdline "blkbench rw=write qd=16 ops=2000" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkbench: rw=write qd=16 bs=4096 ops=2000 warm=200 iops=[0-9]+ p50_us=[0-9]+\.[0-9] p99_us=[0-9]+\.[0-9]'
expect 0 kspawnctl stop "$id"

disk=/tmp/disk.img
dd if=/dev/zero of=$disk bs=1M count=8 2>/dev/null
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck seed=7" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: OK sectors=16384'
guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
expect 0 kspawnctl stop "$id"
host=$(fnv64sum $disk)
note "digest: guest $guest, host file $host"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "the file's digest $host is not the guest's $guest"

# Restart on the same file: the flushed data is there.
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck verify seed=7" || finish
expect 0 kspawnctl console "$id" --follow
has "blkcheck: OK sectors=16384 digest=$guest"
expect 0 kspawnctl stop "$id"

# Nothing lost: write, flush, crash on purpose; the file has all of it.
dd if=/dev/zero of=$disk bs=1M count=8 2>/dev/null
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck crash seed=11" || finish
expect 9 kspawnctl console "$id" --follow
has 'blkcheck: flushed sectors=16384'
guest=$(echo "$out" | sed -n 's/.*blkcheck: flushed .*digest=\([0-9a-f]*\).*/\1/p')
expect 0 kspawnctl stop "$id" --force
host=$(fnv64sum $disk)
note "after the crash: guest flushed $guest, file $host"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "data acknowledged after FLUSH is missing from the file"

# DISCARD and WRITE_ZEROES become fallocate() calls: the guest's half of
# the file reads back as zeroes and its blocks are given back (tmpfs has
# no ZERO_RANGE, so both punch holes), instead of being written full of
# zeroes page by page.
dd if=/dev/zero of=$disk bs=1M count=8 2>/dev/null
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck discard seed=5" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: discarded sectors 8193-12288, zeroed 12289-16383'
has 'blkcheck: OK sectors=16384'
guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
expect 0 kspawnctl stop "$id"
host=$(fnv64sum $disk)
kib=$(du -k $disk | cut -f1)
note "after discarding half: guest $guest, file $host, $kib KiB allocated"
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "the file's digest $host is not the guest's $guest"
[ "$kib" -le 4200 ] || bad "$kib KiB of the 8 MiB file still allocated after discarding half"

# A real block device: the QEMU host's second disk, /dev/vda; refused
# once set read-only.
if [ -b /dev/vda ]; then
	spawn "$IMG" --cpu 1 --disk /dev/vda --cmdline "blkcheck seed=9" || finish
	expect 0 kspawnctl console "$id" --follow
	has 'blkcheck: OK sectors=16384'
	guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
	expect 0 kspawnctl stop "$id"
	echo 3 > /proc/sys/vm/drop_caches
	host=$(fnv64sum /dev/vda)
	note "/dev/vda digest: guest $guest, host $host"
	[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "/dev/vda digest $host is not the guest's $guest"
	# Discard and write-zeroes on a block device: blkdev_fallocate().
	spawn "$IMG" --cpu 1 --disk /dev/vda --cmdline "blkcheck discard seed=13" || finish
	expect 0 kspawnctl console "$id" --follow
	has 'blkcheck: OK sectors=16384'
	guest=$(echo "$out" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
	expect 0 kspawnctl stop "$id"
	echo 3 > /proc/sys/vm/drop_caches
	host=$(fnv64sum /dev/vda)
	note "/dev/vda after discard: guest $guest, host $host"
	[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "/dev/vda digest $host is not the guest's $guest"
	# Set read-only under a running guest: its writes fail (IOERR) and
	# the device is left as it was (6.1's bios would write it anyway).
	before=$(fnv64sum /dev/vda)
	spawn "$IMG" --cpu 1 --disk /dev/vda --cmdline "blkcheck wait=5000 seed=21" || finish
	follow "$id" /tmp/ro.out
	seen /tmp/ro.out 'blkcheck: waiting'
	blockdev --setro /dev/vda
	wait "$follower"
	out=$(cat /tmp/ro.out)
	has 'blkcheck: I/O error at byte 0'
	has 'blkcheck: FAIL writing'
	expect 0 kspawnctl stop "$id"
	blockdev --setrw /dev/vda
	echo 3 > /proc/sys/vm/drop_caches
	after=$(fnv64sum /dev/vda)
	note "/dev/vda set read-only under the guest: $before before, $after after"
	[ "$before" = "$after" ] || bad "the guest's writes reached /dev/vda after it was set read-only"
	# Set read-only, it is refused through either store (bios would
	# write it all the same on 6.1), and nothing of the guest is left.
	blockdev --setro /dev/vda
	for cache in none writeback; do
		expect 1 kspawnctl run "$IMG" --cpu 1 --disk /dev/vda --cache $cache --cmdline hello
		[ "$st" -ne 0 ] ||
			kspawnctl stop "$(echo "$out" | grep -x '[0-9]*' | head -n 1)" --force
		has "--disk /dev/vda is read-only"
	done
	dmesg | grep -q "disk /dev/vda: read-only" || bad "the module did not say why it refused /dev/vda"
	blockdev --setrw /dev/vda
else
	bad "no /dev/vda: the host's virtio-blk driver did not load"
fi

# No disk: the app says so.
spawn "$IMG" --cpu 1 --cmdline "blkcheck" || finish
expect 0 kspawnctl console "$id" --follow
has 'no block device'
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
finish
