# A guest's net device broken outside the device thread (hostile netbad:
# a transmit buffer outside its region, rung once the thread sleeps, so
# that ksnet0's NAPI on the doorbell's CPU takes it): ksnet0's carrier
# goes down while the guest still runs and rings no more.  Before, only
# the thread set the carrier, and nothing woke it: the link stayed up,
# every host frame dropped, until the guest reset.
. /tests/lib.sh

spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "hostile netbad ip=169.254.1.2" || finish
ip addr add 169.254.1.1/30 dev ksnet0 && ip link set ksnet0 up || bad "no ksnet0"
follow "$id" /tmp/netbad.out
seen /tmp/netbad.out 'netbad: the device needs reset, as it should' 200
i=0
while [ "$(cat /sys/class/net/ksnet0/carrier)" != 0 ] && [ $i -lt 10 ]; do
	sleep 0.1
	i=$((i + 1))
done
carrier=$(cat /sys/class/net/ksnet0/carrier)
! grep -q 'netbad: done' /tmp/netbad.out || bad "the guest's 3 s of silence were over before the carrier was read"
wait $follower
sed 's/^/  | /' /tmp/netbad.out
note "ksnet0's carrier $carrier, $i tenths of a second after the guest saw its device broken"
[ "$carrier" = 0 ] || bad "ksnet0's carrier still up while its device is broken"
dmesg | grep 'net device: .*needs reset' | sed 's/^/  k| /'
dmesg | grep -q 'net device: .*needs reset' ||
	bad "the host did not log its net device broken"
expect 0 kspawnctl stop "$id"
want_no_instances
finish
