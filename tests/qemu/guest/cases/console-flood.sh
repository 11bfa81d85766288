# A guest keeps its console ring claiming to be full (rogue console-flood):
# the monitor takes one ring's worth per visit, so it spends almost
# nothing on it, and list, status and stop answer at once for that guest
# and for a second one.  Before the bound, the monitor looped under the
# global lock for as long as the guest kept refilling.
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
# Pooled cores: stop's time is then the module's, not CPU hotplug's
# (hundreds of ms under TCG on a busy machine).
expect 0 kspawnctl reserve 1-2
spawn "$TEST_IMG" --cpu 2 --cmdline "spin" || finish
other=$id
spawn "$TEST_IMG" --cpu 1 --cmdline "rogue console-flood" || finish
flood=$id
sleep 1
mon=$(pid_of kspawn-monitor)
[ -n "$mon" ] || { bad "no kspawn-monitor thread"; finish; }
# Ticks are USER_HZ (100/s): 5 % of a CPU over 2 s is 10 ticks.
t0=$(cpu_ticks "$mon")
sleep 2
t1=$(cpu_ticks "$mon")
note "kspawn-monitor used $((t1 - t0)) ticks of CPU in 2 s"
[ $((t1 - t0)) -lt 10 ] || bad "the monitor used $((t1 - t0)) ticks in 2 s (5 % is 10)"
within_1s kspawnctl list
has "^ *$flood "
has "^ *$other "
within_1s kspawnctl status "$flood"
has 'rogue console-flood'
within_1s kspawnctl status "$other"
within_1s sh -c "kspawnctl console $flood > /dev/null"
# What a read prints is whole, the flood or not: the module's buffer is
# read before the guest's ring is drained again.  The ring (16 KiB) holds
# what the guest printed, its last line among it, then zeros; the flood
# hands the host those 16 KiB over and over: any 20 KiB of what one read
# printed has the line.  (When each read drained the ring first, a read of 256 KiB could
# be scraps of zeros only.)
big=0
for i in 1 2 3 4 5; do
	kspawnctl console "$flood" > /tmp/console-flood.$i
	n=$(wc -c < /tmp/console-flood.$i)
	k=$(tr -d '\0' < /tmp/console-flood.$i | grep -c 'keeping the console ring full')
	note "read $i: $n bytes, the guest's line $k times"
	[ "$n" -lt 20480 ] || [ "$k" -ge 1 ] ||
		bad "read $i printed $n bytes without the guest's line"
	[ "$n" -lt 20480 ] || big=$((big + 1))
	sleep 0.2
done
[ $big -ge 1 ] || bad "no read printed 20 KiB or more: the flood was not seen"
within_1s kspawnctl stop "$flood"
within_1s kspawnctl stop "$other"
expect 0 kspawnctl release 1-2
want_online 1
want_online 2
want_no_instances
finish
