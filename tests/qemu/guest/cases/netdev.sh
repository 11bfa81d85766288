# ksnetN as a netdev (issue 16), with ethq (ethtool's -i/-g/-S):
#  - carrier off while the guest's driver is not up, on once it is;
#  - driver info, ring sizes (the guest's queues, at most 256), statistics;
#  - the MTU goes up to what the device offers (9000) and no further;
#  - the rings run in order (VIRTIO_F_IN_ORDER: one used entry a batch);
#  - with MRG_RXBUF the guest posts 1 KiB buffers, so full-sized pings and
#    udpcheck's datagrams (random sizes up to 1472) reach it over two
#    buffers and come back intact; its checksums (partial from the host,
#    GUEST_CSUM) are never counted bad, and the host takes its partial
#    ones (CSUM);
#  - frames a guest sends while ksnet0 is down are the host's drops
#    (guest_tx_dropped), not the guest's errors (guest_tx_errors);
#  - a guest that stops reading (rogue net-deaf) leaves ksnet0's transmit
#    queue stopped (tx_queue_stops), the host answering, and stop works;
#  - one that reads again after 2 s (rogue net-slow) wakes the queue, and
#    every frame the qdisc held reaches it;
#  - tx_queue_wakes counts each stopped queue let go once, also when
#    ksnet0 was down meanwhile: with the traffic over, it equals
#    tx_queue_stops.
. /tests/lib.sh
wait_carrier() {	# WANT
	i=0
	while [ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" != "$1" ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" = "$1" ] ||
		bad "ksnet0 carrier is not $1"
}

# The last ethq -S: every host queue stopped for want of buffers was let
# go, each once (the traffic is over, the guest reads).
same_stops_wakes() {
	stops=$(out_stat tx_queue_stops)
	wakes=$(out_stat tx_queue_wakes)
	[ -n "$stops" ] && [ "$stops" = "$wakes" ] ||
		bad "tx_queue_stops ${stops:-?} but tx_queue_wakes ${wakes:-?}"
}

# rogue_up MODE: a rogue guest in MODE with its network up, ksnet0 up,
# and the guest's MAC known (it answers no ARP once deaf).
rogue_up() {
	spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "rogue $1" || return 1
	ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up
	wait_carrier 1
	sleep 0.5
	expect 0 kspawnctl console "$id"
	has "rogue: $1: network up"
	mac=$(echo "$out" | sed -n 's/.*virtio-net: \([0-9a-f:]*\),.*/\1/p')
	expect 0 arp -i ksnet0 -s 169.254.1.2 "$mac"
}

# A guest that never starts its network driver: no carrier.
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "spin" || finish
ip link set ksnet0 up || bad "no ksnet0"
sleep 1
wait_carrier 0
expect 0 ethq -i ksnet0
has '^driver: kspawn$'
has "^bus-info: kspawn-$id\$"
expect 0 kspawnctl stop "$id"

# ksnet0 down: the guest's ARP requests for its peer are dropped by the
# host, and say so.
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "netbench count=2 wait=1" || finish
expect 0 kspawnctl console "$id" --follow
expect 0 ethq -S ksnet0
has 'guest_tx_dropped: [1-9]'
has 'guest_tx_errors: 0$'
expect 0 kspawnctl stop "$id"

spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "udpecho ip=169.254.1.2 seconds=15" || finish
ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up
wait_carrier 1
expect 0 ethq -g ksnet0
has '^RX:[[:space:]]+256$'
has '^RX:[[:space:]]+64$'
has '^TX:[[:space:]]+64$'
expect 0 ip link set ksnet0 mtu 9000
[ "$(cat /sys/class/net/ksnet0/mtu)" = 9000 ] || bad "MTU 9000 not taken"
ip link set ksnet0 mtu 9001 2>/dev/null && bad "MTU 9001 taken"
expect 0 ping -c 5 -i 0.1 -s 1400 -W 2 169.254.1.2
has ' 0% packet loss'
expect 0 udpcheck 169.254.1.2 7 200
has '200 echoed intact, 0 lost, 0 corrupted'
expect 0 ethq -S ksnet0
has 'guest_rx_dropped: 0$'
has 'napi_polls: [1-9]'
expect 0 kspawnctl console "$id" --follow
has 'virtio-net: .*, split rings in order, mergeable buffers, receive checksum offload, transmit checksum offload'
has 'udpecho: echoed 200 datagrams, 0 not sent'
has 'ping replies 5;'
has 'bad checksums 0;'
# From the stop on, no guest serves ksnet0: its link goes down before the
# device goes away (the stop gives the core back first, tens of ms).
# (busybox has no `ip monitor`: a reader of the carrier file, no forks.)
(n=0
while [ -e /sys/class/net/ksnet0 ] && [ $n -lt 200000 ]; do
	read -r c < /sys/class/net/ksnet0/carrier 2>/dev/null && echo "$c"
	n=$((n + 1))
done) > /tmp/netdev.carrier &
watcher=$!
expect 0 kspawnctl stop "$id"
wait $watcher
[ ! -e /sys/class/net/ksnet0 ] || bad "ksnet0 still there after stop"
note "ksnet0's carrier during the stop: up at $(grep -c '^1$' /tmp/netdev.carrier) looks, down at $(grep -c '^0$' /tmp/netdev.carrier)"
grep -q '^0$' /tmp/netdev.carrier ||
	bad "ksnet0's carrier stayed up until it was deleted ($(grep -c '^1$' /tmp/netdev.carrier) looks saw it up)"

# A guest that stops reading: its receive ring fills, the queue stops.
param=/sys/module/kspawn/parameters/stop_timeout_ms
old=$(cat $param)
echo 1000 > $param
rogue_up net-deaf || finish
expect 0 ethq blast 169.254.1.2 9 300 64
sleep 0.5
expect 0 ethq -S ksnet0
has 'tx_queue_stops: [1-9]'
has 'guest_rx_no_buf: [1-9]'
has 'guest_rx_packets: [1-9]'
within_1s kspawnctl list
within_1s ip link show ksnet0
expect 0 kspawnctl stop "$id"
[ ! -e /sys/class/net/ksnet0 ] || bad "ksnet0 still there after stop"

# A guest that stops reading for 2 s, then reads again: the queue stopped
# meanwhile wakes once the guest has posted buffers (which it kicks for,
# as the device asked when the ring filled), and every frame the qdisc
# took (of 400 sent at once; it may refuse some) reaches the guest.
rogue_up net-slow || finish
rx0=$(ethq -S ksnet0 | sed -n 's/^ *guest_rx_packets: //p')
expect 0 ethq blast 169.254.1.2 9 400 64
sent=$(echo "$out" | sed -n 's/^ethq: blast \([0-9]*\) sent.*/\1/p')
console_waits "$id" 'listening again' 50 ||
	bad "the guest never said it was listening again"
sleep 1
expect 0 ethq -S ksnet0
has 'tx_queue_stops: [1-9]'
has 'tx_queue_wakes: [1-9]'
rx1=$(echo "$out" | sed -n 's/^ *guest_rx_packets: //p')
note "guest_rx_packets $rx0 -> $rx1 for $sent sent"
[ -n "$sent" ] && [ "$sent" -gt 100 ] && [ $((rx1 - rx0)) -ge "$sent" ] ||
	bad "$((rx1 - rx0)) of ${sent:-?} frames the qdisc took reached the guest"
same_stops_wakes
expect 0 kspawnctl stop "$id"

# The same with ksnet0 taken down while its queue is stopped and up again
# once the guest reads: the down stops every queue, and the guest's
# buffers must not wake them (nor count them) while it is down; the up
# lets the stopped one go, counted once.  (Seen red before the fix:
# tx_queue_stops 1, tx_queue_wakes 7, every queue of ksnet0 counted.)
rogue_up net-slow || finish
expect 0 ethq blast 169.254.1.2 9 400 64
sleep 0.3
expect 0 ip link set ksnet0 down
console_waits "$id" 'listening again' 50 ||
	bad "the guest never said it was listening again"
sleep 1
expect 0 ip link set ksnet0 up
sleep 0.5
expect 0 ethq -S ksnet0
has 'tx_queue_stops: [1-9]'
same_stops_wakes
expect 0 kspawnctl stop "$id"
echo "$old" > $param
want_online 1
finish
