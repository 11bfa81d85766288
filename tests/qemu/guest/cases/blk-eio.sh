# A host disk that fails every read and write (device-mapper's error
# target): the guest's requests come back IOERR through either store,
# never OK.  Through bios, blkcheck's first write fails (and it waits for
# the writes still out before it ends: its stack holds them), and so do
# its reads; through the page cache (--cache writeback) its reads fail,
# its writes land in the cache, and the FLUSH reports their loss.  Then
# a file: on a full tmpfs its writes fail (ENOSPC) from where the space
# ends, and truncated under a running guest its reads fail from the new
# end on.  The module's own error paths (a bio's status, a short
# kernel_read or kernel_write, a failed vfs_fsync), which the hosted
# tests cannot reach.
. /tests/lib.sh

insmod /lib/modules/host/dm-mod.ko 2>/dev/null
grep -q '^dm_mod ' /proc/modules || { bad "dm-mod did not load"; finish; }
# 16 MiB of nothing but errors
expect 0 dmctl create blk-eio error 32768 ""
dev=$out
[ -b "$dev" ] || { bad "no dm error device ('$dev')"; finish; }

# run NOTE DISK ARGS...: a guest with blkcheck on DISK, which must fail;
# its console in $out.
run() {
	local disk=$2
	note "$1"
	shift 2
	spawn "$IMG" --cpu 1 --disk "$disk" "$@" || return 1
	expect 0 kspawnctl console "$id" --follow
	has 'kmain: app exited with status 1'
	hasnt 'blkcheck: OK'
	console=$out
	expect 0 kspawnctl stop "$id"
	out=$console
}

if run "bios: writes" "$dev" --cmdline "blkcheck qd=4"; then
	has 'blkcheck: I/O error at byte 0'
	has 'blkcheck: FAIL writing'
fi
if run "bios: reads" "$dev" --cmdline "blkcheck verify qd=4"; then
	has 'blkcheck: I/O error at byte 0'
fi
# Nothing of the device cached yet: the reads reach it.
if run "page cache: reads" "$dev" --cache writeback --cmdline "blkcheck verify qd=4"; then
	has 'blkcheck: I/O error at byte 0'
fi
if run "page cache: writes" "$dev" --cache writeback --cmdline "blkcheck qd=4"; then
	hasnt 'I/O error at byte'
	has 'blkcheck: FAIL writing'
fi
expect 0 dmctl remove blk-eio

# A sparse 16 MiB file on a tmpfs of 4 MiB: the writes fail (ENOSPC) where
# the space runs out, not before, never OK past it.
mnt=/mnt/eio
mkdir -p $mnt
expect 0 mount -t tmpfs -o size=4m none $mnt
dd if=/dev/zero of=$mnt/disk.img bs=1M count=0 seek=16 2>/dev/null
if run "a full tmpfs: writes" $mnt/disk.img --cmdline "blkcheck qd=4"; then
	has 'blkcheck: FAIL writing'
	at=$(echo "$out" | sed -n 's/.*blkcheck: I\/O error at byte \([0-9]*\).*/\1/p')
	note "the first write that failed: at byte ${at:-none}"
	[ -n "$at" ] && [ "$at" -gt 0 ] && [ "$at" -le 4194304 ] ||
		bad "the first failed write at '$at', want one past 0 and within the tmpfs's 4 MiB"
fi
expect 0 umount $mnt

# An 8 MiB file written whole, then cut to 4 MiB under a guest reading it
# back: the reads fail from byte 4194304 on, those before are good.
disk=/tmp/eio.img
dd if=/dev/zero of=$disk bs=1M count=8 2>/dev/null
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck seed=5" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: OK sectors=16384'
expect 0 kspawnctl stop "$id"
note "a file truncated: reads"
spawn "$IMG" --cpu 1 --disk $disk --cmdline "blkcheck verify seed=5 qd=4 wait=3000" || finish
follow "$id" /tmp/eio.out
seen /tmp/eio.out 'blkcheck: waiting'
dd if=/dev/zero of=$disk bs=1M count=0 seek=4 2>/dev/null
wait "$follower"
out=$(cat /tmp/eio.out)
echo "$out" | sed 's/^/  | /'
has 'blkcheck: I/O error at byte 4194304'
has 'kmain: app exited with status 1'
expect 0 kspawnctl stop "$id"
rm -f $disk
want_no_instances
finish
