# A host disk that fails every read and write (device-mapper's error
# target): the guest's requests come back IOERR through either store,
# never OK.  Through bios, blkcheck's first write fails (and it waits for
# the writes still out before it ends: its stack holds them), and so do
# its reads; through the page cache (--cache writeback) its reads fail,
# its writes land in the cache, and the FLUSH reports their loss.  The
# module's own error paths (a bio's status, a short kernel_read, a
# failed vfs_fsync), which the hosted tests cannot reach.
. /tests/lib.sh

insmod /lib/modules/host/dm-mod.ko 2>/dev/null
grep -q '^dm_mod ' /proc/modules || { bad "dm-mod did not load"; finish; }
# 16 MiB of nothing but errors
expect 0 dmctl create blk-eio error 32768 ""
dev=$out
[ -b "$dev" ] || { bad "no dm error device ('$dev')"; finish; }

# run NOTE ARGS...: a guest with blkcheck on the device, which must fail;
# its console in $out.
run() {
	note "$1"
	shift
	spawn "$IMG" --cpu 1 --disk "$dev" "$@" || return 1
	expect 0 kspawnctl console "$id" --follow
	has 'kmain: app exited with status 1'
	hasnt 'blkcheck: OK'
	console=$out
	expect 0 kspawnctl stop "$id"
	out=$console
}

if run "bios: writes" --cmdline "blkcheck qd=4"; then
	has 'blkcheck: I/O error at byte 0'
	has 'blkcheck: FAIL writing'
fi
if run "bios: reads" --cmdline "blkcheck verify qd=4"; then
	has 'blkcheck: I/O error at byte 0'
fi
# Nothing of the device cached yet: the reads reach it.
if run "page cache: reads" --cache writeback --cmdline "blkcheck verify qd=4"; then
	has 'blkcheck: I/O error at byte 0'
fi
if run "page cache: writes" --cache writeback --cmdline "blkcheck qd=4"; then
	hasnt 'I/O error at byte'
	has 'blkcheck: FAIL writing'
fi
expect 0 dmctl remove blk-eio
want_no_instances
finish
