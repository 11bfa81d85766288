# A stop while the guest's reads are in flight on a slow disk (null_blk
# completing each request 4 s after it came, by a timer) must wait for
# them, since their data still goes to guest memory; but asleep
# (kb_blk_drain() on a wait queue the completions wake), not spinning on
# the CPU for as long as the disk takes, as it did before.
. /tests/lib.sh

nullb kspawnslow size=16 irqmode=2 completion_nsec=4000000000 || finish
name=${dev#/dev/}
# reads in flight on the disk, per its block layer
reads() { awk '{ print $1 }' "/sys/block/$name/inflight"; }
spawn "$TEST_IMG" --cpu 1 --disk $dev --cmdline "hostile bounce reqs=2 segs=1" ||
	{ nullb_gone kspawnslow; finish; }
i=0
while [ "$(reads)" -eq 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
note "$(reads) reads in flight on $dev"
[ "$(reads)" -gt 0 ] || bad "the guest's reads never reached $dev"
t0=$(now_cs)
kspawnctl stop "$id" > /tmp/blk-slow.out 2>&1 &
stopper=$!
sleep 2
# Still waiting for the disk (the reads finish about 4 s after they came);
# a stop that returned is a zombie until waited for.
if [ -d /proc/$stopper ] && [ "$(awk '{ print $3 }' /proc/$stopper/stat)" != Z ]; then
	ns=$(cpu_ns $stopper)
	ms=$((${ns:-0} / 1000000))
	note "the stop, still waiting after 2 s, has run ${ms} ms on a CPU"
	[ "$ms" -le 300 ] || bad "the stop spent ${ms} ms of CPU in 2 s waiting for the disk"
else
	bad "the stop returned within 2 s, with reads in flight for 4 s"
fi
wait $stopper
st=$?
t1=$(now_cs)
note "stop: exit $st after $(((t1 - t0) * 10)) ms: $(cat /tmp/blk-slow.out)"
[ "$st" -eq 0 ] || bad "the stop exited $st"
[ "$(reads)" -eq 0 ] || bad "$(reads) reads still in flight on $dev after the stop"
nullb_gone kspawnslow
want_no_instances
finish
