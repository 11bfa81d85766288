# pktgen on ksnet0: the one sender whose skbs reach ksnet_xmit non-linear
# (the stack linearizes for a device without NETIF_F_SG), and shared
# (pktgen keeps a reference).  1000 UDP datagrams of 300 bytes, the
# payload in a page fragment (frags 1), four at a time on the same skb
# (burst 4: xmit_more batches), a burst a millisecond (the guest's socket
# queue would overflow at full speed), to the guest's udpcount.  ksnet0 copies
# them out without touching the skb: it sends all 1000, drops none, and
# the guest counts 1000.
. /tests/lib.sh
insmod /lib/modules/host/pktgen.ko 2>/dev/null
[ -d /proc/net/pktgen ] || { bad "no pktgen"; finish; }
con() {
	kspawnctl console "$id" >> /tmp/pktgen.con
	cat /tmp/pktgen.con
}
rm -f /tmp/pktgen.con
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "udpcount ip=169.254.1.2 port=9" || finish
ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up
i=0
while ! con | grep -q 'udpcount: counting' && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
gmac=$(con | sed -n 's/^.*virtio-net: \([0-9a-f:]\{17\}\).*/\1/p' | head -n 1)
[ -n "$gmac" ] || { bad "udpcount did not start"; con | sed 's/^/  | /'; }
pg() {
	echo "$2" > "/proc/net/pktgen/$1" || bad "pktgen $1: '$2' refused"
}
pg kpktgend_0 rem_device_all
pg kpktgend_0 "add_device ksnet0"
for c in "count 1000" "pkt_size 300" "frags 1" "burst 4" "delay 1000000" \
	"dst 169.254.1.2" "dst_mac $gmac" "src_min 169.254.1.1" \
	"src_max 169.254.1.1" "udp_src_min 4000" "udp_src_max 4000" \
	"udp_dst_min 9" "udp_dst_max 9"; do
	pg ksnet0 "$c"
done
st=/sys/class/net/ksnet0/statistics
tx0=$(cat $st/tx_packets) d0=$(cat $st/tx_dropped)
# Returns once the thread sent the count (or failed).
timeout 60 sh -c 'echo start > /proc/net/pktgen/pgctrl' ||
	bad "pktgen did not finish in 60 s"
out=$(cat /proc/net/pktgen/ksnet0)
echo "$out" | sed 's/^/  | /'
has 'Result: OK'
has "pkts-sofar: 1000 "
tx1=$(cat $st/tx_packets) d1=$(cat $st/tx_dropped)
i=0
while ! con | grep -q 'udpcount: 1000 datagrams' && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
g=$(con | sed -n 's/^.*udpcount: \([0-9]*\) datagrams.*/\1/p' | tail -n 1)
note "ksnet0 tx_packets +$((tx1 - tx0)) tx_dropped +$((d1 - d0)), guest counted ${g:-none}"
# (The host may send a frame of its own meanwhile: an ARP, say.)
[ $((tx1 - tx0)) -ge 1000 ] && [ $((d1 - d0)) -eq 0 ] && [ "$g" = 1000 ] ||
	bad "sent $((tx1 - tx0)), dropped $((d1 - d0)), guest ${g:-none}; want 1000 (or a few more), 0, 1000"
pg kpktgend_0 rem_device_all
expect 0 kspawnctl stop "$id"
want_online 1
finish
