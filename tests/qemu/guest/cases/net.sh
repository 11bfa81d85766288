# virtio-net in netdev mode, full stack: the guest runs udpecho on
# 169.254.1.2; the host gets ksnet0, whose carrier comes up with the guest's
# driver; the host pings the guest 100 times with no loss and has 10 000
# UDP datagrams echoed intact; ksnet0 counts the traffic.
. /tests/lib.sh
spawn "$IMG" --cpu 1 --net netdev --cmdline "udpecho ip=169.254.1.2" || finish
ip addr add 169.254.1.1/16 dev ksnet0 || bad "no ksnet0"
ip link set ksnet0 up
i=0
while [ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" = 1 ] || bad "ksnet0 carrier never came up"
expect 0 ping -c 100 -i 0.02 -W 2 169.254.1.2
has '100 packets transmitted, 100 (packets )?received, 0% packet loss'
expect 0 udpcheck 169.254.1.2 7 10000
has '10000 echoed intact, 0 lost, 0 corrupted'
# The host's own kicks (ksnet0 transmitting) are never taken for the
# guest ringing to nothing: a well-behaved guest keeps its doorbell.
dmesg | grep -q "instance $id: doorbell flood" &&
	bad "the doorbell of a well-behaved guest was masked as a flood"
# Generic XDP on ksnet0: a program that drops everything stops ping; off
# again, ping works.
expect 0 xdpctl ksnet0 drop
expect 1 ping -c 3 -i 0.1 -W 1 169.254.1.2
has '100% packet loss'
expect 0 xdpctl ksnet0 off
expect 0 ping -c 3 -i 0.1 -W 2 169.254.1.2
has ' 0% packet loss'
rx=$(cat /sys/class/net/ksnet0/statistics/rx_packets)
note "ksnet0 rx_packets $rx"
[ "$rx" -ge 10100 ] || bad "ksnet0 counted $rx received packets"
expect 0 kspawnctl console "$id"
has 'virtio-net: 02:6b:73:'
expect 0 kspawnctl stop "$id"
[ ! -e /sys/class/net/ksnet0 ] || bad "ksnet0 still there after stop"

# The same over packed rings.
spawn "$IMG" --cpu 1 --net netdev --cmdline "vring=packed udpecho ip=169.254.1.2" || finish
ksnet0_up
expect 0 ping -c 20 -i 0.02 -W 2 169.254.1.2
has '20 packets transmitted, 20 (packets )?received, 0% packet loss'
expect 0 udpcheck 169.254.1.2 7 1000
has '1000 echoed intact'
expect 0 kspawnctl console "$id"
has 'virtio-net: .*, packed rings in order'
expect 0 kspawnctl stop "$id"

# The other way round: the guest's netbench against an echo server here,
# from the smallest datagram to one that fills the MTU (a line each).
udpcheck serve 7 &
server=$!
spawn "$IMG" --cpu 1 --net netdev --cmdline "netbench count=500 sizes=64,1472" || finish
ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up
expect 0 kspawnctl console "$id" --follow
has 'netbench: count=500 lost=0 pps=[0-9]+ p50_us=[0-9]+ p99_us=[0-9]+ size=64 .* mbit_s=[0-9]+'
has 'netbench: count=500 lost=0 pps=[0-9]+ p50_us=[0-9]+ p99_us=[0-9]+ size=1472 .* mbit_s=[0-9]+'
kill $server
expect 0 kspawnctl stop "$id"

# The driver's batching, counted by itself on a loopback device: a burst
# sent between net_tx_begin and net_tx_end is published once, a
# thread polling for the frames takes no receive interrupt, and a batch
# is its thread's: another thread blocked inside one holds back no frame
# of ours.
spawn "$TEST_IMG" --cpu 1 --net loopback --cmdline "netburst" || finish
expect 0 kspawnctl console "$id" --follow
has 'netburst: sent 32 back 32 publishes 1 kicks [01] rx_irqs 0'
has "netburst: with another thread's batch open: published 1"
has 'netburst: ok'
expect 0 kspawnctl stop "$id"

# Loopback mode, like vdpa_sim_net: no host interface appears.
spawn "$IMG" --cpu 1 --net loopback --cmdline "udpecho seconds=1" || finish
expect 0 kspawnctl console "$id" --follow
has 'udpecho: answering'
[ ! -e /sys/class/net/ksnet0 ] || bad "loopback mode made a ksnet0"
expect 0 kspawnctl stop "$id"
want_online 1
finish
