# A guest's reads that the host must bounce (its memory is the pool,
# outside the kernel's linear map) cost host pages: 14 reads of 8 x 1 MiB
# in flight to a block device, every segment the same 1 MiB guest buffer,
# would pin 112 MiB of them.  The module bounds them per disk, for both
# stores (bounce.c: 8 MiB beyond the pages each request slot keeps, 2048
# pages): the device thread waits for room, every read still completes,
# and the module's log says the most it held at once.  With a budget
# smaller than one read, each read goes alone.  A host file's O_DIRECT
# bounces reads of up to 1 MiB (one kiocb) under the same budget; they
# once took a high-order allocation each, with no budget at all.  Nor
# does the module allocate more than a page at once for them.
. /tests/lib.sh

dev=/dev/nvme0n1
# reload [BUDGET_KIB]: the module again, with that budget or the default.
budget_kib=
reload() {
	expect 0 rmmod kspawn
	expect 0 kspawn-load $(cat /etc/kspawn.modparams) ${1:+bounce_budget_kib=$1}
	budget_kib=$1
}
tr=/sys/kernel/tracing
# end: whatever happened, the next case gets the host as it was.
end() {
	[ ! -e $tr/events/kmem/kmalloc/enable ] || {
		echo 0 > $tr/events/kmem/kmalloc/enable
		echo 0 > $tr/events/kmem/kmalloc/filter
	}
	umount /mnt/vda 2>/dev/null
	[ -z "$budget_kib" ] || reload
	want_no_instances
	finish
}
[ -b $dev ] || { bad "no $dev: the host's NVMe driver did not load"; end; }
# bounce BUDGET DISK [reqs=R segs=S]: the hostile reads (14 of 8 x 1 MiB
# unless told) on DISK, on a module whose budget is BUDGET pages; the
# most it held at once in $peak (empty: no log line).
bounce() {
	local budget=$1 disk=$2 reqs=14 segs=8 a
	shift 2
	for a in "$@"; do
		case $a in reqs=*) reqs=${a#reqs=} ;; segs=*) segs=${a#segs=} ;; esac
	done
	spawn "$TEST_IMG" --cpu 1 --disk $disk --cmdline "hostile bounce $*" || end
	expect 0 kspawnctl console "$id" --follow
	has "hostile: bounce: $reqs of $reqs reads of $segs x 1 MiB into one buffer done"
	expect 0 kspawnctl stop "$id"
	line=$(dmesg | grep 'bounce pages beyond the kept ones' | tail -n 1)
	note "${line#*] }"
	peak=$(echo "$line" | sed -n "s/.*at most \([0-9]*\) bounce pages.*(budget $budget)/\1/p")
	[ -n "$peak" ] || bad "no log line for $disk with a budget of $budget pages"
}
# kmalloc()s over a page the module makes meanwhile, in the trace: the
# 2048 bounce pages of an 8 MiB read once had their pointers in one
# 16 KiB array (64 MiB: 126 KiB, order 5), now in pieces of a page.
# (On Debian's 6.1 the module's kvmalloc()s are kvmalloc_node's in the
# trace, not the module's; a kernel that names their caller would need
# call_site=kspawn_bounce_ below.)
[ -e $tr/trace ] || mount -t tracefs nodev $tr
echo 'bytes_req > 4096' > $tr/events/kmem/kmalloc/filter
echo 1 > $tr/events/kmem/kmalloc/enable
echo > $tr/trace
[ "$(cat $tr/tracing_on)" = 1 ] || bad "tracing is off: the kmalloc check sees nothing"
[ "$(cat $tr/events/kmem/kmalloc/enable)" = 1 ] || bad "the kmalloc event is not on"

bounce 2048 $dev
echo 0 > $tr/events/kmem/kmalloc/enable
echo 0 > $tr/events/kmem/kmalloc/filter
big=$(grep -c 'kmalloc:.*\[kspawn\]' $tr/trace)
[ "$big" -eq 0 ] || bad "$big kmalloc()s of more than a page by the module: $(grep -m1 'kmalloc:.*\[kspawn\]' $tr/trace)"
[ "${peak:-0}" -gt 0 ] || bad "no bounce pages beyond the kept ones: nothing was bounced"
[ "${peak:-0}" -le 2048 ] || bad "$peak bounce pages held at once, more than the 2048 of the budget"
# Reads bigger than the whole budget are within the limits the device
# advertises (seg_max x size_max): served one at a time, not refused.
# The module again with a budget of 2 MiB (512 pages): each 8 MiB read
# needs 2016 beyond its slot's kept 32.
reload 2048
bounce 512 $dev
[ "${peak:-0}" -le 2016 ] || bad "$peak bounce pages held at once: reads bigger than the budget did not go alone"

# The file store: a file on the host's ext4 (its virtio disk), O_DIRECT,
# on a module whose budget is one page: each 1 MiB read needs 224 pages
# beyond its slot's kept 32, so they go one at a time.  Without the
# budget the 32 reads in flight held up to 7168 such pages at once (and
# each its own order-8 allocation).
vda_ext4 || end
file=/mnt/vda/bounce.img
dd if=/dev/zero of=$file bs=1M count=2 2>/dev/null
reload 4
bounce 1 $file reqs=32 segs=1
dmesg | grep -q "disk $file: asynchronous direct I/O" ||
	bad "the file on ext4 was not opened for direct I/O"
bounced=$(dmesg | grep "instance $id: disk:" | tail -n 1 |
	sed -n 's/.*direct requests (\([0-9]*\) bounced).*/\1/p')
note "file: ${bounced:-?} requests bounced"
[ "${bounced:-0}" -ge 32 ] || bad "only '${bounced}' of the file's 32 reads were bounced"
[ "${peak:-0}" -gt 0 ] || bad "the file's reads held no bounce pages beyond the kept ones"
[ "${peak:-0}" -le 224 ] || bad "the file's reads held $peak bounce pages at once: reads bigger than the budget did not go alone"
end
