# kspawnctl gdb --listen: the bridge on TCP (loopback inside the QEMU host).
# A raw protocol exchange: the first packet stops the running guest (gdb=on)
# and gets a stop reply; detach lets it run on.
. /tests/lib.sh
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
spawn "$TEST_IMG" --cpu 1 --cmdline "gdb=on spin" || finish
wait_state "$id" running
kspawnctl gdb "$id" --listen 127.0.0.1:1234 2>/tmp/bridge.err &
bridge=$!
sleep 1
# Another local user is refused: the stub owns the guest's kernel, and
# the bridge runs as root.  Its connection is closed unanswered.
reply=$(su nobody -s /bin/sh -c \
	"(printf '\$?#3f'; sleep 2) | nc 127.0.0.1 1234" 2>&1)
note "nobody's reply: ${reply:-(none)}"
echo "$reply" | grep -q '\$T05' && bad "uid 65534 got the stub's stop reply"
grep -q 'refused a connection from uid 65534' /tmp/bridge.err ||
	bad "the bridge did not say it refused uid 65534"
# $?#3f asks why the target stopped; $D#44 detaches.
reply=$( (printf '$?#3f'; sleep 2; printf '+$D#44'; sleep 2) | nc 127.0.0.1 1234)
note "reply: $reply"
echo "$reply" | grep -q '\$T05' || bad "no stop reply (T05) over TCP"
echo "$reply" | grep -q '\$OK#' || bad "detach not acknowledged"
kill $bridge 2>/dev/null
wait $bridge 2>/dev/null
sed 's/^/  bridge: /' /tmp/bridge.err
expect 0 kspawnctl status "$id"
has '^state: +running'
expect 0 kspawnctl stop "$id"
want_online 1
finish
