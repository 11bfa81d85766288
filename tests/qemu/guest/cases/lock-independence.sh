# One guest ignores a polite stop (rogue deaf: interrupts off) and its stop
# waits the whole stop_timeout_ms; meanwhile list and status of another
# guest answer at once: no lock of the module is held across that wait.
# Each must answer while the stop is still waiting: one that waited for a
# lock the stop held would end after it.  An order, not a time, so a slow
# machine does not fail it (the time is noted).
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
param=/sys/module/kspawn/parameters/stop_timeout_ms
old=$(cat $param)
echo 5000 > $param
# during_stop CMD...: answers, the stop still waiting.
during_stop() {
	answers "$@"
	[ ! -e /tmp/deaf-stop.end ] ||
		bad "'$*' ended after the deaf guest's stop did (it waited for the stop)"
}
spawn "$TEST_IMG" --cpu 2 --cmdline "spin" || finish
other=$id
spawn "$TEST_IMG" --cpu 1 --cmdline "rogue deaf" || finish
deaf=$id
sleep 0.5
t0=$(now_cs)
# The stop's end, as a file: a finished job's PID can outlive it (zombie).
rm -f /tmp/deaf-stop.end
(kspawnctl stop "$deaf" > /tmp/deaf-stop.out 2>&1; echo $? > /tmp/deaf-stop.end) &
stopper=$!
sleep 0.5
during_stop kspawnctl list
has "^ *$other "
during_stop kspawnctl status "$other"
has 'module: running'
during_stop kspawnctl status "$deaf"
has 'module: stopping'
wait $stopper
st=$(cat /tmp/deaf-stop.end)
t1=$(now_cs)
note "stop of the deaf guest: status $st after $(((t1 - t0) * 10)) ms"
sed 's/^/  | /' /tmp/deaf-stop.out
[ "$st" -eq 0 ] || bad "stopping the deaf guest failed ($st)"
[ $((t1 - t0)) -ge 450 ] || bad "the deaf guest's stop did not wait for stop_timeout_ms"
echo "$old" > $param
expect 0 kspawnctl stop "$other"
want_online 1
want_online 2
want_no_instances
finish
