# Native XDP on ksnet0 (issue 16): a program attached in driver mode runs
# on each frame the guest sends before any skb exists; ethq -S counts the
# verdicts.
#  - pass: udpcheck's datagrams are echoed intact (partial checksums are
#    finished before the program), xdp_pass counts them;
#  - drop: ping gets nothing back, xdp_drop counts, and ksnet0's
#    rx_packets still counts the dropped frames as received (as veth's
#    and virtio_net's do);
#  - tx: the guest's answers go back into its own receive ring (xdp_tx):
#    the guest receives that many frames more than ksnet0 sent it;
#  - redirect to ksnet0 itself (bpf_redirect): through ndo_xdp_xmit into
#    the guest's receive ring (xdp_redirect and xdp_xmit count, and the
#    guest receives those frames too);
#  - off: ping works again; an MTU too large for one page refuses a
#    program, and a program refuses such an MTU;
#  - drop by port: a program on ksnet0 drops the guest's UDP from or to
#    port 7 (its echoes) and passes the rest (ping): its map counts as
#    many as udpcheck lost and as xdp_drop grew;
#  - from a veth: a program on the host's end of a veth pair (the other
#    end in a namespace this case makes) redirects UDP frames into ksnet0
#    (bpf_redirect, so ndo_xdp_xmit), the guest's udpcount counts them:
#    the program's map, ksnet0's xdp_xmit and the guest agree; into a
#    guest not reading (rogue net-slow), frames ndo_xdp_xmit could not
#    place are counted, and the end of that wait wakes no host queue;
#  - XDP_TX into a full ring: a guest that stops reading (rogue
#    net-bounce) sends frames to itself that the program bounces into
#    its receive ring; those that no longer fit count in xdp_tx_drops
#    (and tx_dropped), and xdp_tx - xdp_tx_drops is what came back.
. /tests/lib.sh
stat() { ethq -S ksnet0 | sed -n "s/^ *$1: //p"; }
# Frames the guest received that ksnet0 did not send (XDP's own).
host_tx() { cat /sys/class/net/ksnet0/statistics/tx_packets; }
# ethq -S's snapshot ($snap) and ksnet0's tx_packets from the same moment:
# a frame the host sends between the two reads (an ARP probe after the
# drop phase's silence) counts in one and not the other; read again.
xdp_snap() {
	local a b i=0
	while [ $i -lt 20 ]; do
		a=$(host_tx)
		snap=$(ethq -S ksnet0)
		b=$(host_tx)
		[ "$a" = "$b" ] && break
		i=$((i + 1))
	done
	snap_tx=$b
}
xdp_in() {
	xdp_snap
	echo $(($(echo "$snap" | sed -n "s/^ *guest_rx_packets: //p") - snap_tx))
}
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "udpecho ip=169.254.1.2" || finish
ksnet0_up
expect 0 ping -c 3 -i 0.1 -W 2 169.254.1.2
has ' 0% packet loss'
expect 0 xdpctl ksnet0 pass drv
has 'native XDP pass'
expect 0 udpcheck 169.254.1.2 7 100
has '100 echoed intact, 0 lost, 0 corrupted'
n=$(stat xdp_pass)
note "xdp_pass $n"
[ "${n:-0}" -ge 100 ] || bad "xdp_pass $n, want at least 100"

expect 0 xdpctl ksnet0 drop drv
r0=$(cat /sys/class/net/ksnet0/statistics/rx_packets)
d0=$(stat xdp_drop)
expect 1 ping -c 3 -i 0.1 -W 1 169.254.1.2
has '100% packet loss'
n=$(stat xdp_drop)
r1=$(cat /sys/class/net/ksnet0/statistics/rx_packets)
note "xdp_drop $n; rx_packets $r0 -> $r1"
[ "${n:-0}" -ge 3 ] || bad "xdp_drop $n, want at least 3"
[ $((r1 - r0)) -ge $((n - d0)) ] ||
	bad "rx_packets grew $((r1 - r0)) while the program dropped $((n - d0))"

in0=$(xdp_in)
expect 0 xdpctl ksnet0 tx drv
expect 1 ping -c 3 -i 0.1 -W 1 169.254.1.2
has '100% packet loss'
# One snapshot for both: a bounced frame of the guest's own (an ARP
# retry) may come between two reads.
xdp_snap
n=$(echo "$snap" | sed -n "s/^ *xdp_tx: //p")
in1=$(($(echo "$snap" | sed -n "s/^ *guest_rx_packets: //p") - snap_tx))
note "xdp_tx $n, guest received $((in1 - in0)) frames ksnet0 did not send"
[ "${n:-0}" -ge 3 ] || bad "xdp_tx $n, want at least 3"
[ $((in1 - in0)) -eq "${n:-0}" ] || bad "guest got $((in1 - in0)) frames from XDP_TX, want $n"

expect 0 xdpctl ksnet0 redirect drv
expect 1 ping -c 3 -i 0.1 -W 1 169.254.1.2
has '100% packet loss'
r=$(stat xdp_redirect)
x=$(stat xdp_xmit)
in2=$(xdp_in)
note "xdp_redirect $r xdp_xmit $x, guest received $((in2 - in1)) frames ksnet0 did not send"
[ "${r:-0}" -ge 3 ] && [ "${x:-0}" -eq "$r" ] || bad "xdp_redirect $r xdp_xmit $x, want at least 3, equal"
[ $((in2 - in1)) -eq "${x:-0}" ] || bad "guest got $((in2 - in1)) frames from ndo_xdp_xmit, want $x"

expect 0 xdpctl ksnet0 off drv
expect 0 ping -c 3 -i 0.1 -W 2 169.254.1.2
has ' 0% packet loss'
expect 0 ip link set ksnet0 mtu 9000
expect 1 xdpctl ksnet0 pass drv
expect 0 ip link set ksnet0 mtu 1500
expect 0 xdpctl ksnet0 pass drv
ip link set ksnet0 mtu 9000 2>/dev/null && bad "MTU 9000 taken under native XDP"
expect 0 xdpctl ksnet0 off drv

d0=$(stat xdp_drop)
expect 0 xdpctl ksnet0 dropport 7 drv
map=$(echo "$out" | sed -n 's/^map //p')
expect 1 udpcheck 169.254.1.2 7 5
has '0 echoed intact, 5 lost'
expect 0 ping -c 2 -i 0.1 -W 2 169.254.1.2
has ' 0% packet loss'
c=$(xdpctl count "$map")
d1=$(stat xdp_drop)
note "dropport 7: map counted $c, xdp_drop grew $((d1 - d0))"
[ "$c" = 5 ] && [ $((d1 - d0)) -eq 5 ] ||
	bad "dropport map $c, xdp_drop +$((d1 - d0)); want 5 and 5"
expect 0 xdpctl ksnet0 off drv
expect 0 kspawnctl console "$id"
has 'bad checksums 0;|answering'
expect 0 kspawnctl stop "$id"
[ ! -e /sys/class/net/ksnet0 ] || bad "ksnet0 still there after stop"
want_online 1

# From a veth into the guest: 169.254.1.3 in namespace $nsp sends to the
# guest's address and MAC (a static ARP entry); the frames reach xdpa,
# whose program sends the UDP ones on to ksnet0.
insmod /lib/modules/host/veth.ko 2>/dev/null
# The guest's console so far (kspawnctl console prints only what is new).
con() {
	kspawnctl console "$id" >> /tmp/udpcount.con
	cat /tmp/udpcount.con
}
rm -f /tmp/udpcount.con
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "udpcount ip=169.254.1.2 port=9" || finish
ip link set ksnet0 up
unshare -n sleep 1000 > /dev/null 2>&1 &
nsp=$!
i=0
while [ "$(readlink /proc/$nsp/ns/net)" = "$(readlink /proc/self/ns/net)" ] &&
	[ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
expect 0 ip link add xdpa type veth peer name xdpb
# busybox names the peer vethN itself: find it.
peer=$(ip -o link | sed -n 's/^[0-9]*: \([^@:]*\)@xdpa.*/\1/p')
expect 0 ip link set "$peer" netns "$nsp"
ip link set xdpa up
i=0
while ! con | grep -q 'udpcount: counting' && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
gmac=$(con | sed -n 's/^.*virtio-net: \([0-9a-f:]\{17\}\).*/\1/p' | head -n 1)
note "guest MAC $gmac, veth peer $peer in namespace of $nsp"
[ -n "$gmac" ] || { bad "udpcount did not start"; con | sed 's/^/  | /'; }
expect 0 nsenter -t "$nsp" -n sh -c "ip addr add 169.254.1.3/16 dev $peer &&
	ip link set $peer up && arp -s 169.254.1.2 $gmac -i $peer"
x0=$(stat xdp_xmit)
expect 0 xdpctl xdpa redirect-udp ksnet0 drv
map=$(echo "$out" | sed -n 's/^map //p')
expect 0 nsenter -t "$nsp" -n udpcheck send 169.254.1.2 9 50
i=0
while ! con | grep -q 'udpcount: 50 datagrams' && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
c=$(xdpctl count "$map")
x1=$(stat xdp_xmit)
g=$(con | sed -n 's/^.*udpcount: \([0-9]*\) datagrams.*/\1/p' | tail -n 1)
note "veth program redirected $c, ksnet0 xdp_xmit grew $((x1 - x0)), guest counted ${g:-none}"
[ "$c" = 50 ] && [ $((x1 - x0)) -eq 50 ] && [ "$g" = 50 ] ||
	bad "redirected $c, xdp_xmit +$((x1 - x0)), guest ${g:-none}; want 50 each"
expect 0 xdpctl xdpa off drv
expect 0 kspawnctl stop "$id"
want_online 1

# The same into a guest that does not read for 2 s (rogue net-slow): its
# receive ring fills and ndo_xdp_xmit drops (xdp_xmit_drops); once it
# posts buffers again the wait ends, but no host queue had stopped, so
# none wakes: tx_queue_wakes counts queues woken, never more than
# tx_queue_stops (before, it counted the calls: 1 wake, 0 stops).  No
# IPv6 on ksnet0, whose frames from the host would stop its queue.
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "rogue net-slow" || finish
echo 1 > /proc/sys/net/ipv6/conf/ksnet0/disable_ipv6
ip link set ksnet0 up
expect 0 xdpctl xdpa redirect-udp ksnet0 drv
i=0
while ! kspawnctl console "$id" | grep -q "deaf for 2 s" && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
expect 0 nsenter -t "$nsp" -n udpcheck send 169.254.1.2 9 600
console_waits "$id" 'listening again' 100 ||
	bad "the guest never said it was listening again"
# The next frames find its buffers, which ends the wait (rx_room).
sleep 1
x0=$(stat xdp_xmit)
expect 0 nsenter -t "$nsp" -n udpcheck send 169.254.1.2 9 5
sleep 0.5
expect 0 ethq -S ksnet0
x1=$(out_stat xdp_xmit)
drops=$(out_stat xdp_xmit_drops) stops=$(out_stat tx_queue_stops) wakes=$(out_stat tx_queue_wakes)
note "rogue net-slow: xdp_xmit $x0 -> $x1, xdp_xmit_drops $drops, tx_queue_stops $stops, tx_queue_wakes $wakes"
[ "${drops:-0}" -ge 1 ] || bad "the guest's receive ring never filled (xdp_xmit_drops ${drops:-none})"
[ $((${x1:-0} - ${x0:-0})) -ge 1 ] || bad "no frame reached the guest once it read again (xdp_xmit $x0 -> $x1)"
[ -n "$wakes" ] && [ "$wakes" -le "${stops:-0}" ] ||
	bad "tx_queue_wakes ${wakes:-none} with tx_queue_stops ${stops:-none}: wakes of queues never stopped"
expect 0 xdpctl xdpa off drv
ip link del xdpa
kill "$nsp"
expect 0 kspawnctl stop "$id"
want_online 1

# XDP_TX into a guest not reading: rogue net-bounce sends raw frames to
# itself, one each 100 ms until the tx program bounces one back, then 256
# with its interrupts off for 2 s, its receive ring (64 buffers) left
# full; then counts every one of its own that came back.  Every frame it
# sent with the program on is an XDP_TX verdict (xdp_tx), each either
# placed in its ring or counted in xdp_tx_drops (before the counter:
# only in tx_dropped, and xdp_tx said 256 more came back than did).
rm -f /tmp/udpcount.con
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "rogue net-bounce" || finish
echo 1 > /proc/sys/net/ipv6/conf/ksnet0/disable_ipv6
ip link set ksnet0 up
t0=$(stat xdp_tx) d0=$(stat xdp_tx_drops)
dr0=$(cat /sys/class/net/ksnet0/statistics/tx_dropped)
expect 0 xdpctl ksnet0 tx drv
i=0
while ! con | grep -q 'net-bounce: sent' && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
back=$(con | sed -n 's/^.*net-bounce: sent [0-9]*, \([0-9]*\) came back.*/\1/p')
# The guest's own ring of copies (256) must not have lost any of them.
lost=$(con | sed -n 's/^.*net-bounce: .* raw ring dropped \([0-9]*\).*/\1/p')
expect 0 ethq -S ksnet0
t1=$(out_stat xdp_tx) d1=$(out_stat xdp_tx_drops)
dr1=$(cat /sys/class/net/ksnet0/statistics/tx_dropped)
note "rogue net-bounce: xdp_tx +$((${t1:-0} - ${t0:-0})), xdp_tx_drops +$((${d1:-0} - ${d0:-0})), tx_dropped +$((dr1 - dr0)), came back ${back:-none}"
[ -n "$back" ] && [ "$lost" = 0 ] ||
	{ bad "net-bounce did not finish, or lost frames (${lost:-none})"; con | sed 's/^/  | /'; }
[ $((${d1:-0} - ${d0:-0})) -ge 1 ] ||
	bad "no XDP_TX frame counted as dropped (xdp_tx_drops ${d0:-none} -> ${d1:-none})"
[ $((${t1:-0} - ${t0:-0} - (${d1:-0} - ${d0:-0}))) -eq "${back:--1}" ] ||
	bad "xdp_tx - xdp_tx_drops grew $((${t1:-0} - ${t0:-0} - (${d1:-0} - ${d0:-0}))), the guest got back ${back:-none}"
[ $((dr1 - dr0)) -ge $((${d1:-0} - ${d0:-0})) ] ||
	bad "tx_dropped grew $((dr1 - dr0)), less than xdp_tx_drops $((${d1:-0} - ${d0:-0}))"
expect 0 xdpctl ksnet0 off drv
expect 0 kspawnctl stop "$id"
want_online 1
finish
