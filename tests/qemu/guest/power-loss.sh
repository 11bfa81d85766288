# Inside the QEMU host, a boot of its own for tests/qemu/power-loss.sh: a
# guest writes the whole of /dev/vda (the host's second disk, a file on the
# build machine), flushes, prints "blkcheck: flushed sectors=N digest=D"
# once the FLUSH completed, and panics.  The build machine kills QEMU as
# soon as it sees that line: nothing here may sync the disk afterwards, so
# the instance stays (its disk open) and this script just waits.
#
# Periodic writeback is off and dirty pages never expire, in the positive
# run and in the negative control alike (kspawn.test_no_flush=1 on the
# command line): only the FLUSH can have put the data on the disk.
seed=1
for arg in $(cat /proc/cmdline); do
	case $arg in harness.seed=*) seed=${arg#harness.seed=} ;; esac
done
echo 0 > /proc/sys/vm/dirty_writeback_centisecs
echo 8640000 > /proc/sys/vm/dirty_expire_centisecs
echo "power-loss: test_no_flush=$(cat /sys/module/kspawn/parameters/test_no_flush)" \
	"dirty_writeback_centisecs=$(cat /proc/sys/vm/dirty_writeback_centisecs)" \
	"dirty_background_ratio=$(cat /proc/sys/vm/dirty_background_ratio)"
[ -b /dev/vda ] || { echo "power-loss: no /dev/vda"; exit 1; }
# The positive run takes the default, direct I/O.  The negative control
# goes through this host's page cache (--cache writeback): direct writes
# reach the disk as they complete, so without a FLUSH only buffered ones
# can be lost.
cache=none
case $(cat /sys/module/kspawn/parameters/test_no_flush) in
Y|1) cache=writeback ;;
esac
echo "power-loss: --cache $cache"
id=$(kspawnctl run /guest/kspawn-guest.elf --cpu 1 --disk /dev/vda \
	--cache $cache --cmdline "blkcheck crash seed=$seed") || exit 1
kspawnctl console "$id" --follow
echo "power-loss: the guest ended; waiting for the power to go"
sleep 600
echo "power-loss: still powered after 600 s"
exit 1
