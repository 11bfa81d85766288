# FLUSH on the NVMe drive, tested by a power cut.  Killing QEMU cannot cut
# the power of its emulated drive: the drive's "volatile cache" is the
# build machine's page cache, which survives.  So the cut is replayed
# instead.  Device-mapper's log-writes target sits between the guest's
# disk and /dev/nvme0n1 and logs each write once a FLUSH after it
# completed (its log on a RAM disk, /dev/ram0).  A guest writes the whole
# disk, flushes and prints "blkcheck: flushed ... digest=D", and panics;
# the power goes right then (a mark in the log), before kspawnctl stop
# (whose own flush comes after it).  The drive is put back as it was
# before, and logreplay puts on it what a drive with a volatile write
# cache must still hold at the mark: the writes before the last FLUSH, and
# FUA ones.  The guest's disk must then have digest D.
#
# Twice: the guest's disk is the log-writes device itself (bios, FLUSH a
# REQ_PREFLUSH), then a file on an ext2 file system on it (O_DIRECT, FLUSH
# a vfs_fsync and a flush of the drive, which ext2's fsync may skip).  The
# negative control reloads kspawn.ko with
# test_no_flush=1 (FLUSH completes without either): the replay must then
# lose the data, while the drive itself still holds it (which is why a
# killed QEMU could never show the loss).
. /tests/lib.sh

dev=/dev/nvme0n1
mods=/lib/modules/host
log=/dev/ram0
img=/tmp/power-loss-nvme.img
mnt=/mnt/power-loss
[ -b $dev ] || { bad "no $dev: the host's NVMe driver did not load"; finish; }
wc=$(cat /sys/block/nvme0n1/queue/write_cache)
[ "$wc" = "write back" ] ||
	{ bad "$dev has no volatile write cache ('$wc'): nothing to lose"; finish; }
sectors=$(blockdev --getsz $dev)
for m in dm-mod dm-log-writes crc16 crc32c_generic mbcache jbd2 ext4; do
	insmod $mods/$m.ko 2>/dev/null
done
grep -q '^dm_log_writes ' /proc/modules || { bad "dm-log-writes did not load"; finish; }
mkdir -p $mnt

# digest_of MODE DEV: the digest of the guest's disk on DEV: DEV itself
# (bdev), or the file on the file system on it, mounted read-only (file).
digest_of() {
	blockdev --flushbufs "$2"
	if [ "$1" = bdev ]; then
		fnv64sum "$2"
		return
	fi
	mount -t ext4 -o ro "$2" $mnt || { echo "cannot-mount"; return; }
	fnv64sum $mnt/disk.img
	umount $mnt
}

# cut MODE SEED: one power cut; the guest's digest in $guest, its disk's
# after the replay in $replayed, and what the drive kept (QEMU loses
# nothing) in $drive.
cut() {
	local mode=$1 seed=$2 lw disk before
	guest= replayed= drive=
	# The log starts empty: a fresh RAM disk, 3x the drive (headers).
	rmmod brd 2>/dev/null
	expect 0 insmod $mods/brd.ko rd_nr=1 rd_size=$((sectors * 3 / 2))
	[ -b $log ] || { bad "no $log after loading brd"; return 1; }
	expect 0 dmctl create power-loss log-writes "$sectors" "$dev $log"
	lw=$out
	[ -b "$lw" ] || { bad "no log-writes device ('$lw')"; return 1; }
	note "$mode: $lw ($(cat /sys/block/${lw#/dev/}/queue/write_cache)) over $dev, log on $log"
	disk=$lw
	if [ "$mode" = file ]; then
		# Made and synced before the guest: in the log before its writes.
		expect 0 mke2fs -q "$lw"
		expect 0 mount -t ext4 "$lw" $mnt
		expect 0 dd if=/dev/zero of=$mnt/disk.img bs=1M count=1
		sync
		disk=$mnt/disk.img
	fi
	# The drive as the power cut will find it, before the guest wrote.
	blockdev --flushbufs "$lw"
	expect 0 dd if="$lw" of=$img bs=1M
	if [ "$mode" = file ]; then
		# The file's times are whole seconds (128-byte inodes): writes
		# within this second leave its inode clean, and ext2's fsync
		# then skips the drive's cache flush (ext4_fsync_nojournal).
		# FLUSH must not depend on that.
		touch $disk
		sync
		before=$(stat -c %Y $disk)
	fi
	if spawn "$IMG" --cpu 1 --disk "$disk" --cmdline "blkcheck crash seed=$seed"; then
		expect 9 kspawnctl console "$id" --follow
		has 'blkcheck: flushed sectors=[0-9]+ digest=[0-9a-f]{16}'
		guest=$(echo "$out" | sed -n 's/.*blkcheck: flushed .*digest=\([0-9a-f]*\).*/\1/p')
		# The power goes now: the guest was told its FLUSH completed.
		expect 0 dmctl message power-loss "mark powercut"
		[ "$mode" = bdev ] || [ "$(stat -c %Y $disk)" != "$before" ] ||
			note "file: its time unchanged by the guest's writes: ext2's fsync alone did not flush"
		expect 0 kspawnctl stop "$id"
	fi
	[ "$mode" = bdev ] || expect 0 umount $mnt
	expect 0 dmctl status power-loss
	expect 0 dmctl remove power-loss
	drive=$(digest_of "$mode" $dev)
	# Back as it was, then what survives the cut.
	expect 0 dd if=$img of=$dev bs=1M
	expect 0 logreplay $log $dev powercut
	replayed=$(digest_of "$mode" $dev)
	note "$mode: guest flushed $guest; replayed at the cut $replayed; the drive holds $drive"
	rm -f $img
	rmmod brd
	[ -n "$guest" ]
}

# positive MODE SEED: every flushed block survives the cut.
positive() {
	cut "$1" "$2" || return
	[ "$replayed" = "$guest" ] ||
		bad "$1: after the power cut the disk has digest $replayed, not the $guest the guest flushed"
	[ "$drive" = "$guest" ] ||
		bad "$1: the drive holds $drive, not the guest's $guest"
}

# control MODE SEED: with FLUSH a no-op the cut must lose the data.
control() {
	cut "$1" "$2" || return
	if [ "$replayed" = "$guest" ]; then
		bad "$1: test_no_flush=1 lost nothing at the cut: this test cannot see a missing FLUSH"
	else
		note "$1 control: without FLUSH the cut lost the guest's data, as it must"
	fi
	[ "$drive" = "$guest" ] ||
		bad "$1: the drive holds $drive, not the guest's $guest"
}

positive bdev 41
positive file 42
expect 0 rmmod kspawn
expect 0 kspawn-load $(cat /etc/kspawn.modparams) test_no_flush=1
control bdev 43
control file 44
expect 0 rmmod kspawn
expect 0 kspawn-load
want_no_instances
finish
