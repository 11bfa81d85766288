# A guest's CPU stays the guest's: root cannot online it through sysfs
# while the guest runs (the module's hotplug state refuses), the guest
# keeps running, and stop hands the CPU back as usual.
. /tests/lib.sh
spawn "$TEST_IMG" --cpu 1 --cmdline "spin" || finish
wait_state "$id" running
[ "$(cpu_online 1)" = 0 ] || bad "CPU 1 is online while the guest runs"
beat0=$(json_get heartbeat "$(kspawnctl --json status "$id")")
echo 1 > /sys/devices/system/cpu/cpu1/online 2>/tmp/online.err
st=$?
note "echo 1 > cpu1/online -> $st: $(cat /tmp/online.err)"
[ "$st" -ne 0 ] || bad "onlining the guest's CPU succeeded"
[ "$(cpu_online 1)" = 0 ] || bad "CPU 1 came online under the guest"
dmesg | tail -n 5 | sed 's/^/  k| /'
sleep 0.5
s=$(kspawnctl --json status "$id")
beat1=$(json_get heartbeat "$s")
note "heartbeat $beat0 -> $beat1"
[ "$(json_get state "$s")" = running ] || bad "guest state '$(json_get state "$s")', want running"
[ "$beat1" -gt "$beat0" ] || bad "the guest's heartbeat stopped"
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
finish
