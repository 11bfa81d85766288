# A disk of 4 KiB sectors (null_blk, memory-backed, blocksize 4096, made
# through configfs), which fails any bio not in whole 4 KiB blocks: the
# module advertises blk_size 4096 for it (kspawn_io_create), and the
# guest's driver reads it and does its I/O in those blocks.  blkcheck's
# digest must be the one the host reads from the device; blkrace's random
# requests (whole blocks of 4 KiB) must all succeed; blkalign's
# misaligned requests must be refused by the driver, unsent, and its big
# reads (bounced) are copied to the guest outside the interrupt.  null_blk
# has no write-zeroes offload, so the module offers neither DISCARD nor
# WRITE_ZEROES on it (it would have to write every zero of a range:
# 1 GiB for one 16-byte request); blkcheck discard finds them missing.
# zram, 4 KiB sectors too, has the offload: through the page cache, where
# the guest sees 512-byte blocks, blkcheck discard's ranges start and end
# inside a host block, and must still read back as zeroes exactly there.
. /tests/lib.sh

nullb kspawn4k size=16 blocksize=4096 memory_backed=1 || finish
note "$dev: $(cat /sys/block/${dev#/dev/}/queue/logical_block_size)-byte blocks"

# on_4k CMDLINE WANT...: a test guest on the disk runs CMDLINE to its end
# (32 MiB: blkrace keeps a model of 4 KiB blocks).
on_4k() {
	local cmdline=$1 re
	shift
	spawn "$TEST_IMG" --cpu 1 --mem 32M --disk $dev --cmdline "$cmdline" || return
	expect 0 kspawnctl console "$id" --follow
	con=$out
	for re in "$@"; do
		has "$re"
	done
	expect 0 kspawnctl stop "$id"
}

on_4k "blkcheck qd=8 seed=44" \
	'virtio-blk: 16 MiB, queue of [0-9]+, .*4096-byte blocks' \
	'blkcheck: 16 MiB in 4096-byte blocks' \
	'blkcheck: OK sectors=32768 digest=[0-9a-f]{16}'
guest=$(echo "$con" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
host=$(fnv64sum $dev)
[ -n "$guest" ] && [ "$guest" = "$host" ] || bad "$dev digest $host is not the guest's $guest"
on_4k "blkcheck discard qd=8 seed=45" \
	'blkcheck: the device offers no DISCARD or WRITE_ZEROES'
dmesg | grep -q "instance $id: $dev has no write-zeroes offload: DISCARD and WRITE_ZEROES not offered" ||
	bad "the module did not say it withheld DISCARD and WRITE_ZEROES on $dev"
# The same through the page cache (--cache writeback: fallocate on the
# device, which would write the zeroes just the same).
spawn "$TEST_IMG" --cpu 1 --mem 32M --disk $dev --cache writeback \
	--cmdline "blkcheck discard qd=8 seed=46" || finish
expect 0 kspawnctl console "$id" --follow
has 'blkcheck: the device offers no DISCARD or WRITE_ZEROES'
expect 0 kspawnctl stop "$id"
on_4k "blkrace qd=64 secs=5" 'blkrace: OK reads=[1-9][0-9]* writes=[1-9][0-9]* .* block=4096$'
on_4k "blkalign" 'blkalign: OK block=4096 refused=7 big=2625536 toobig=1 limited=1048576$'
# Its reads of 1 MiB are bounced (the pool is not the kernel's RAM), and
# copied to the guest in a work, not in the completion interrupt.
late=$(dmesg | sed -n 's/.*disk: \([0-9]*\) reads copied to the guest outside their interrupt$/\1/p' | tail -n 1)
note "blkalign: ${late:-?} reads copied outside their interrupt"
[ "${late:-0}" -ge 1 ] ||
	bad "blkalign's 1 MiB reads were copied in their completion interrupt (${late:-no count})"
nullb_gone kspawn4k

zram_gone() {
	[ ! -e /sys/block/zram0/reset ] || echo 1 > /sys/block/zram0/reset
	rmmod zram 2>/dev/null
	rmmod zsmalloc 2>/dev/null
}
{ [ -d /sys/module/zsmalloc ] || insmod /lib/modules/host/zsmalloc.ko; } &&
	{ [ -d /sys/module/zram ] || insmod /lib/modules/host/zram.ko num_devices=1; } &&
	echo 16M > /sys/block/zram0/disksize || { bad "no zram disk"; zram_gone; finish; }
note "/dev/zram0: $(cat /sys/block/zram0/queue/logical_block_size)-byte blocks, write-zeroes up to $(cat /sys/block/zram0/queue/write_zeroes_max_bytes) bytes"
# on_zram CACHE SEED SECTORS: blkcheck discard through that cache, in
# blocks of SECTORS sectors, its digest the disk's (the ranges one block
# past a quarter: 512-byte ones cut host blocks in two).
on_zram() {
	local guest host
	spawn "$TEST_IMG" --cpu 1 --mem 32M --disk /dev/zram0 --cache $1 \
		--cmdline "blkcheck discard qd=8 seed=$2" || return
	expect 0 kspawnctl console "$id" --follow
	con=$out
	has "blkcheck: discarded sectors $((16384 + $3))-$((24575 + $3)), zeroed $((24576 + $3))-32767"
	has 'blkcheck: OK sectors=32768 digest=[0-9a-f]{16}'
	expect 0 kspawnctl stop "$id"
	guest=$(echo "$con" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')
	host=$(fnv64sum /dev/zram0)
	[ -n "$guest" ] && [ "$guest" = "$host" ] ||
		bad "--cache $1: /dev/zram0's digest $host is not the guest's ${guest:-(none)}"
}
on_zram none 47 8
on_zram writeback 48 1
zram_gone
want_no_instances
finish
