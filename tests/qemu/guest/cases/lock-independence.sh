# One guest ignores a polite stop (rogue deaf: interrupts off) and its stop
# waits the whole stop_timeout_ms; meanwhile list and status of another
# guest answer at once: no lock of the module is held across that wait.
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
param=/sys/module/kspawn/parameters/stop_timeout_ms
old=$(cat $param)
echo 5000 > $param
spawn "$TEST_IMG" --cpu 2 --cmdline "spin" || finish
other=$id
spawn "$TEST_IMG" --cpu 1 --cmdline "rogue deaf" || finish
deaf=$id
sleep 0.5
t0=$(now_cs)
kspawnctl stop "$deaf" > /tmp/deaf-stop.out 2>&1 &
stopper=$!
sleep 0.5
within_1s kspawnctl list
has "^ *$other "
within_1s kspawnctl status "$other"
has 'module: running'
within_1s kspawnctl status "$deaf"
has 'module: stopping'
wait $stopper
st=$?
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
