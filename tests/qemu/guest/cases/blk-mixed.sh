# A guest's direct write beside its page-cache fallback, in one host page.
# On a file opened for O_DIRECT, a request kspawn's file store cannot send
# direct (here: over 1 MiB) goes through the page cache.  Beside a direct
# write still in flight it must wait: otherwise the page it shares with
# the direct write is read and cached before that write lands, dirtied by
# the buffered write, and the direct write's completion cannot drop it
# (the kernel's "Page cache invalidation failure on direct I/O", which
# also fails the next fsync with EIO).
#
# The guest (blkalign mixed read) writes D, sector 8193, direct; then,
# without waiting, reads and writes B, the 1.5 MiB from sector 8194 on,
# both through the page cache; then FLUSH, and D and B read back through
# the page cache: the FLUSH must succeed and D must be there.  Writes to
# the disk under the file take a second (dm-delay), reads none: D is in
# flight all the while.
#
# On msdos (FAT), whose buffered writes do not wait for direct I/O in
# flight.  ext4 would not show it on the suite's host kernel: its buffered
# writes wait for the inode's direct I/O (inode_dio_wait), and it makes a
# direct write of less than a block synchronous.
. /tests/lib.sh

mods=/lib/modules/host
mnt=/mnt/mixed
disk=$mnt/disk.img
for m in dm-mod dm-delay fat msdos nls_cp437; do
	insmod $mods/$m.ko 2>/dev/null
done
grep -q '^dm_delay ' /proc/modules || { bad "dm-delay did not load"; finish; }
grep -q '^msdos ' /proc/modules || { bad "msdos did not load"; finish; }
[ -b /dev/vda ] || { bad "no /dev/vda: the host's virtio-blk driver did not load"; finish; }
mkdir -p $mnt
# D's sectors in the file: their distinct bytes, as od prints them.
sector_bytes() {
	dd if=$disk bs=512 skip=8193 count=1 2>/dev/null |
		od -An -tx1 -v | tr -s ' \n' '\n' | grep . | sort -u | tr '\n' ' '
}
stale() { dmesg | grep -c 'Page cache invalidation failure on direct I/O'; }

expect 0 mkdosfs /dev/vda
# <dev> <offset> <read delay> <write dev> <offset> <write delay>, in ms
expect 0 dmctl create blk-mixed delay "$(blockdev --getsz /dev/vda)" \
	"/dev/vda 0 0 /dev/vda 0 1000"
slow=$out
[ -b "$slow" ] || { bad "no dm-delay device ('$slow')"; finish; }
expect 0 mount -t msdos "$slow" $mnt
dd if=/dev/zero of=$disk bs=1M count=6 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
before=$(stale)
if spawn "$TEST_IMG" --cpu 1 --mem 32M --disk $disk --cmdline "blkalign mixed read"; then
	expect 0 kspawnctl console "$id" --follow
	has 'blkalign: mixed OK d=8193\+1 b=8194\+3072 read=1 .*flush ok; read back d=d1 b=b2'
	expect 0 kspawnctl stop "$id"
	dmesg | grep -q "disk $disk: asynchronous direct I/O" ||
		bad "the file on msdos was not opened for direct I/O"
	note "$(dmesg | grep "instance $id: disk:" | tail -n 1)"
fi
now=$(stale)
[ "$now" = "$before" ] ||
	bad "the kernel says: $(dmesg | grep 'Page cache invalidation failure' | tail -n 1)"
got=$(sector_bytes)
note "sector 8193 in the host's page cache: $got"
[ "$got" = "d1 " ] || bad "sector 8193 in the host's page cache holds '$got', not D's d1"
# The file from the disk, its cache dropped.
expect 0 umount $mnt
expect 0 mount -t msdos "$slow" $mnt
got=$(sector_bytes)
note "sector 8193 on the disk: $got"
[ "$got" = "d1 " ] || bad "sector 8193 on the disk holds '$got', not D's d1"
expect 0 umount $mnt
expect 0 dmctl remove blk-mixed
want_no_instances
finish
