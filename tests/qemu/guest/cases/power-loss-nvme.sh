# FLUSH on the NVMe drive, tested by a power cut.  Killing QEMU cannot cut
# the power of its emulated drive: the drive's "volatile cache" is the
# build machine's page cache, which survives.  So the cut is replayed
# instead.  Device-mapper's log-writes target sits between the guest's
# disk and /dev/nvme0n1 and logs each write once a FLUSH after it
# completed (its log on a RAM disk, /dev/ram0).  A guest writes the whole
# disk, flushes and prints "blkcheck: flushed ... digest=D", and panics;
# the power goes right then (a mark in the log), before kspawnctl stop
# (whose own flush comes after it).  logreplay puts on a copy of the drive
# as it was before what a drive with a volatile write cache must still
# hold at the mark: the writes before the last FLUSH, and FUA ones.  Its
# digest must be D.
#
# The negative control reloads kspawn.ko with test_no_flush=1 (FLUSH
# completes without REQ_PREFLUSH): the replay must then lose the data,
# while the drive itself still holds it (which is why a killed QEMU could
# never show the loss).
. /tests/lib.sh

dev=/dev/nvme0n1
mods=/lib/modules/host
log=/dev/ram0
img=/tmp/power-loss-nvme.img
[ -b $dev ] || { bad "no $dev: the host's NVMe driver did not load"; finish; }
wc=$(cat /sys/block/nvme0n1/queue/write_cache)
[ "$wc" = "write back" ] ||
	{ bad "$dev has no volatile write cache ('$wc'): nothing to lose"; finish; }
sectors=$(blockdev --getsz $dev)
grep -q '^dm_mod ' /proc/modules || expect 0 insmod $mods/dm-mod.ko
grep -q '^dm_log_writes ' /proc/modules || expect 0 insmod $mods/dm-log-writes.ko

# cut SEED: one power cut; the guest's digest in $guest, the replayed
# drive's in $replayed, the drive's own (what QEMU kept) in $drive.
cut() {
	local seed=$1 lw
	guest= replayed= drive=
	# The log starts empty: a fresh RAM disk, 3x the drive (headers).
	rmmod brd 2>/dev/null
	expect 0 insmod $mods/brd.ko rd_nr=1 rd_size=$((sectors * 3 / 2))
	[ -b $log ] || { bad "no $log after loading brd"; return 1; }
	# The drive before, read past any page cache of it.
	expect 0 blockdev --flushbufs $dev
	expect 0 dd if=$dev of=$img bs=1M
	expect 0 dmctl create power-loss log-writes "$sectors" "$dev $log"
	lw=$out
	[ -b "$lw" ] || { bad "no log-writes device ('$lw')"; return 1; }
	note "$lw: $(cat /sys/block/${lw#/dev/}/queue/write_cache), over $dev, log on $log"
	if spawn "$IMG" --cpu 1 --disk "$lw" --cmdline "blkcheck crash seed=$seed"; then
		expect 9 kspawnctl console "$id" --follow
		has 'blkcheck: flushed sectors=[0-9]+ digest=[0-9a-f]{16}'
		guest=$(echo "$out" | sed -n 's/.*blkcheck: flushed .*digest=\([0-9a-f]*\).*/\1/p')
		# The power goes now: the guest was told its FLUSH completed.
		expect 0 dmctl message power-loss "mark powercut"
		expect 0 kspawnctl stop "$id"
	fi
	expect 0 dmctl status power-loss
	expect 0 dmctl remove power-loss
	expect 0 logreplay $log $img powercut
	replayed=$(fnv64sum $img)
	blockdev --flushbufs $dev
	drive=$(fnv64sum $dev)
	note "guest flushed $guest; replayed at the cut $replayed; the drive holds $drive"
	rm -f $img
	rmmod brd
	[ -n "$guest" ]
}

# The module as it is: every flushed block survives the cut.
if cut 41; then
	[ "$replayed" = "$guest" ] ||
		bad "after the power cut the drive has digest $replayed, not the $guest the guest flushed"
	[ "$drive" = "$guest" ] ||
		bad "the drive holds $drive, not the guest's $guest"
fi

# The negative control: the same with FLUSH a no-op in the module.
expect 0 rmmod kspawn
expect 0 kspawn-load $(cat /etc/kspawn.modparams) test_no_flush=1
if cut 43; then
	if [ "$replayed" = "$guest" ]; then
		bad "test_no_flush=1 lost nothing at the cut: this test cannot see a missing FLUSH"
	else
		note "control: without FLUSH the cut lost the guest's data, as it must"
	fi
	[ "$drive" = "$guest" ] ||
		bad "the drive holds $drive, not the guest's $guest"
fi
expect 0 rmmod kspawn
expect 0 kspawn-load
want_no_instances
finish
