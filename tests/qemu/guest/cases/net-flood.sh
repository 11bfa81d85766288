# A doorbell flood through ksnet0's NAPI (hostile netflood): the guest
# kicks its network transmit queue for 3 s, one kick every 100 us (each an
# interrupt of its own, not absorbed by one still pending), with no frame
# behind them.  With ksnet0 up those rings schedule its NAPI on the
# doorbell's CPU (0), not the device thread; the module must still see
# them as empty and mask the doorbell: at most one ring in 20 becomes an
# interrupt, and CPU 0 spends at most a quarter of the flood in interrupts
# and softirqs.  Meanwhile kspawnctl answers; afterwards the guest still
# reaches the host (a ping).
# floods: on purpose (the runner then allows doorbell flood lines)
. /tests/lib.sh

# CPU 0's ticks (USER_HZ) in interrupts and softirqs (/proc/stat).
cpu0_irq() { awk '$1 == "cpu0" { print $7 + $8 }' /proc/stat; }

spawn "$TEST_IMG" --cpu 1 --net netdev \
	--cmdline "hostile netflood ip=169.254.1.2" || finish
ip addr add 169.254.1.1/30 dev ksnet0 && ip link set ksnet0 up ||
	bad "no ksnet0"
follow "$id" /tmp/netflood.out
# The guest pings the host first (ksnet0 up, NAPI in use), then rings.
seen /tmp/netflood.out 'netflood: ringing'
sleep 0.5
b0=$(cpu0_irq) c0=$(now_cs)
within_1s kspawnctl list
sleep 1
b1=$(cpu0_irq) c1=$(now_cs)
wait $follower
sed 's/^/  | /' /tmp/netflood.out
grep -q 'hostile: netflood: the doorbells stopped, the host still answers' \
	/tmp/netflood.out || bad "the guest could not reach the host after its flood"
busy=$(( (b1 - b0) * 10 )) wall=$(( (c1 - c0) * 10 ))
rings=$(sed -n 's/.*netflood: \([0-9]*\) doorbells in.*/\1/p' /tmp/netflood.out)
irqs=$(doorbell_irqs "$id")
note "$rings rings, $irqs doorbell interrupts; CPU 0 in interrupts and softirqs $busy ms of $wall ms"
dmesg | grep "instance $id: doorbell flood" | head -n 3 | sed 's/^/  k| /'
dmesg | grep -q "instance $id: doorbell flood" ||
	bad "the module did not mask the doorbell flooding ksnet0's NAPI"
[ -n "$rings" ] && [ $((irqs * 20)) -le "$rings" ] ||
	bad "$irqs of ${rings:-?} rings became interrupts (at most 1 in 20)"
[ $((busy * 4)) -le "$wall" ] ||
	bad "CPU 0 spent $busy ms of $wall ms of the flood in interrupts and softirqs (at most a quarter)"
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
finish
