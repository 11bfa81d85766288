# VIRTIO_BLK_F_MQ in an SMP guest (QEMU -smp 4, guest on host CPUs 1-2):
# the guest's driver asks for a queue per guest CPU, and blkbench from a
# thread pinned to each CPU submits on two queues; with mq=off the same
# run goes over the one queue, as a driver without MQ.  Mixed reads and
# writes, random and sequential, 4 KiB to 128 KiB, QD 1 to 128.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }

# bench CMDLINE: blkbench on a 2-CPU guest with an 8 MiB RAM disk; its
# console in $out.
bench() {
	local con
	spawn "$IMG" --cpus 1-2 --ramdisk 8M --cmdline "$1" || return 1
	expect 0 kspawnctl console "$id" --follow
	con=$out
	expect 0 kspawnctl stop "$id"
	out=$con
}

bench "blkbench rw=mixed qd=16 ops=2000 threads=2"
has 'virtio-blk: 8 MiB, queue of 256, split ring, indirect, multiqueue: 2 of 16 queues'
has 'blkbench: rw=mixed qd=16 bs=4096 ops=2000 warm=200 iops=[0-9]+ p50_us=[0-9.]+ p99_us=[0-9.]+ pattern=rand threads=2 queues=2 queues_used=2'

bench "blkbench rw=mixed qd=16 ops=2000 threads=2 mq=off"
hasnt 'multiqueue'
has 'threads=2 queues=1 queues_used=1'

# The rest of blkbench's range, on the two queues.
bench "blkbench rw=write pattern=seq bs=131072 qd=1 ops=200 threads=2"
has 'blkbench: rw=write qd=1 bs=131072 ops=200 .* pattern=seq threads=2 queues=2 queues_used=2'
bench "blkbench rw=read reads=70 qd=128 ops=2000 threads=2"
has 'blkbench: rw=read qd=128 bs=4096 .* queues_used=2'
bench "blkbench rw=mixed reads=70 pattern=seq bs=65536 qd=32 ops=500"
has 'blkbench: rw=mixed qd=32 bs=65536 ops=500 .* pattern=seq threads=1 queues=2 queues_used=[12]'
want_no_instances
finish
