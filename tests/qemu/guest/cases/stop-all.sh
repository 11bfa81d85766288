# rmmod with two guests that ignore the polite stop (rogue deaf): the
# module asks both at once and their polite waits end together, one
# stop_timeout_ms for the two, not one each in turn (a reboot with
# sixteen such guests waited sixteen).  The kernel log says, for each,
# that it waited out the time every guest was given; the time is noted,
# not checked (a slow machine must not fail it).
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
echo 3000 > /sys/module/kspawn/parameters/stop_timeout_ms
for c in 1 2; do
	spawn "$TEST_IMG" --cpu $c --cmdline "rogue deaf" || finish
done
sleep 0.5
t0=$(now_cs)
expect 0 rmmod kspawn
t1=$(now_cs)
note "rmmod of two deaf guests, stop_timeout_ms 3000: $(((t1 - t0) * 10)) ms"
n=$(dmesg | grep -c 'no halt within the stop_timeout_ms every guest was given')
[ "$n" -eq 2 ] ||
	bad "$n stops said they waited out the time every guest was given, want 2 (each waited its own?)"
want_online 1
want_online 2
expect 0 kspawn-load
want_no_instances
finish
