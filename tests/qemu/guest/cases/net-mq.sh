# Multiqueue virtio-net (issue 16 point 4, issue 17 point 4), on an SMP
# guest (QEMU -smp 4: CPUs 2-3 go to the guest):
#  - the guest's driver negotiates MQ and sets one queue pair per CPU;
#    ksnet0 follows: ethtool channels (ethq -l) and its real queues;
#  - a thread pinned to each guest CPU sends, each on its CPU's pair: the
#    per-pair counters (ethq -S qN_guest_tx_packets) show both pairs;
#  - flows from the host (16 sockets) are steered by hash over both pairs
#    (qN_guest_rx_packets, and the guest's own per-pair counters), and
#    echoes, ping and udpcheck work across them;
#  - netmq=off on the guest's command line: one pair, as without MQ
#    (25 datagrams per CPU: one ring of 64 for both, no backpressure);
#    a one-CPU guest: MQ negotiated, one pair.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }

# wait_console REGEX: until the guest's console so far (a read takes
# what it wrote since the last one: kept in $con) matches; a bound for
# slow TCG machines, not a timing assertion.  The console in $out.
con=/tmp/net-mq.console
wait_console() {
	local i=0
	while [ $i -lt 900 ]; do
		kspawnctl console "$id" >> $con 2>&1
		grep -qE -- "$1" $con && break
		sleep 0.1
		i=$((i + 1))
	done
	out=$(cat $con)
	echo "  console so far:"
	echo "$out" | sed 's/^/  | /'
	has "$1"
}

up_ksnet() {
	: > $con
	ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up ||
		bad "no ksnet0"
}

spawn "$TEST_IMG" --cpus 2-3 --net netdev --cmdline \
	"netmq ip=169.254.1.2 peer=169.254.1.1 count=50 seconds=25" || finish
up_ksnet
wait_console 'netmq: sending done'
has '^netmq: peer answers$'
has 'virtio-net: .*, 2 queue pairs$'
has '^netmq: up, 2 CPUs, 2 queue pairs$'
has '^netmq: cpu 0 sent 50$'
has '^netmq: cpu 1 sent 50$'
expect 0 ethq -l ksnet0
has '^Combined:[[:space:]]+7$'
has '^Combined:[[:space:]]+2$'
n=$(ls -d /sys/class/net/ksnet0/queues/tx-* | wc -l)
[ "$n" = 2 ] || bad "ksnet0 has $n transmit queues, want 2"
expect 0 ethq -S ksnet0
has '^ *queue_pairs: 2$'
has '^ *pairs_set: 1$'
t0=$(out_stat q0_guest_tx_packets) t1=$(out_stat q1_guest_tx_packets)
[ "${t0:-0}" -ge 50 ] && [ "${t1:-0}" -ge 50 ] ||
	bad "the guest sent $t0 on pair 0 and $t1 on pair 1, want 50 or more each"
# 16 flows from the host: the stack hashes them over both queues.
for i in $(seq 16); do
	ethq blast 169.254.1.2 7 4 64 > /dev/null
done
expect 0 udpcheck 169.254.1.2 7 100
has '100 echoed intact, 0 lost, 0 corrupted'
expect 0 ping -c 3 -i 0.2 -W 2 169.254.1.2
has ' 0% packet loss'
expect 0 ethq -S ksnet0
r0=$(out_stat q0_guest_rx_packets) r1=$(out_stat q1_guest_rx_packets)
[ "${r0:-0}" -gt 0 ] && [ "${r1:-0}" -gt 0 ] ||
	bad "the host sent $r0 frames on pair 0 and $r1 on pair 1, want both"
has '^ *guest_rx_dropped: 0$'
wait_console '^netmq: queues: '
has '^netmq: queues: 0 tx [1-9][0-9]* rx [1-9][0-9]*; 1 tx [1-9][0-9]* rx [1-9][0-9]*$'
has 'bad checksums 0;'
expect 0 kspawnctl stop "$id"
[ ! -e /sys/class/net/ksnet0 ] || bad "ksnet0 still there after stop"

# The guest without MQ (netmq=off): one pair, both CPUs send on it.
spawn "$TEST_IMG" --cpus 2-3 --net netdev --cmdline \
	"netmq=off netmq ip=169.254.1.2 peer=169.254.1.1 count=25" || finish
up_ksnet
wait_console 'netmq: sending done'
has '^netmq: peer answers$'
has 'virtio-net: .*, 1 queue pair$'
has '^netmq: cpu 0 sent 25$'
has '^netmq: cpu 1 sent 25$'
expect 0 ethq -l ksnet0
has '^Combined:[[:space:]]+1$'
expect 0 ethq -S ksnet0
has '^ *pairs_set: 0$'
has '^ *q1_guest_tx_packets: 0$'
t0=$(out_stat q0_guest_tx_packets)
[ "${t0:-0}" -ge 50 ] || bad "the guest sent $t0 on pair 0, want 50 or more"
expect 0 kspawnctl stop "$id"

# One CPU: MQ negotiated, one pair set.
spawn "$TEST_IMG" --cpu 3 --net netdev --cmdline \
	"netmq ip=169.254.1.2 peer=169.254.1.1 count=20 seconds=10" || finish
up_ksnet
wait_console 'netmq: sending done'
has '^netmq: peer answers$'
has 'virtio-net: .*, 1 queue pair$'
has '^netmq: cpu 0 sent 20$'
expect 0 ping -c 2 -i 0.2 -W 2 169.254.1.2
has ' 0% packet loss'
expect 0 ethq -S ksnet0
has '^ *pairs_set: 1$'
has '^ *queue_pairs: 1$'
expect 0 kspawnctl stop "$id"
# A transmit batch is its thread's on an SMP guest too: another thread
# blocked inside one on the other CPU holds back no frame of ours (the
# driver's own publish count, over both pairs; kern/virtio_net.c).
spawn "$TEST_IMG" --cpus 2-3 --net loopback --cmdline "netburst" || finish
expect 0 kspawnctl console "$id" --follow
has 'virtio-net: .*, 2 queue pairs'
has "netburst: with another thread's batch open: published 1"
expect 0 kspawnctl stop "$id"
# A socket closed under receivers blocked in udp_recvfrom() on both CPUs
# (guest/apps/test/udpclose.c): each gets -EBADF, none sleeps for ever
# (before, they did, and the guest never halted); the stack still works.
spawn "$TEST_IMG" --cpus 2-3 --net loopback --cmdline "udpclose" || finish
wait_ended "$id" 60
[ "$state" = halted ] || bad "udpclose '$state', want halted"
expect 0 kspawnctl console "$id"
has '^udpclose: receiver 0 \(for ever\) returned -9$'
has '^udpclose: receiver 2 \(10 s\) returned -9$'
has '^udpclose: ok$'
expect 0 kspawnctl stop "$id"
for c in 2 3; do
	want_online $c
done
want_no_instances
finish
