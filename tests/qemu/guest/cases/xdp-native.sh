# Native XDP on ksnet0 (issue 16): a program attached in driver mode runs
# on each frame the guest sends before any skb exists; ethq -S counts the
# verdicts.
#  - pass: udpcheck's datagrams are echoed intact (partial checksums are
#    finished before the program), xdp_pass counts them;
#  - drop: ping gets nothing back, xdp_drop counts;
#  - tx: the guest's answers go back into its own receive ring (xdp_tx):
#    the guest receives that many frames more than ksnet0 sent it;
#  - redirect to ksnet0 itself (bpf_redirect): through ndo_xdp_xmit into
#    the guest's receive ring (xdp_redirect and xdp_xmit count, and the
#    guest receives those frames too);
#  - off: ping works again; an MTU too large for one page refuses a
#    program, and a program refuses such an MTU.
. /tests/lib.sh
stat() { ethq -S ksnet0 | sed -n "s/^ *$1: //p"; }
# Frames the guest received that ksnet0 did not send (XDP's own).
host_tx() { cat /sys/class/net/ksnet0/statistics/tx_packets; }
xdp_in() { echo $(($(stat guest_rx_packets) - $(host_tx))); }
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "udpecho ip=169.254.1.2" || finish
ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up
i=0
while [ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
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
expect 1 ping -c 3 -i 0.1 -W 1 169.254.1.2
has '100% packet loss'
n=$(stat xdp_drop)
note "xdp_drop $n"
[ "${n:-0}" -ge 3 ] || bad "xdp_drop $n, want at least 3"

in0=$(xdp_in)
expect 0 xdpctl ksnet0 tx drv
expect 1 ping -c 3 -i 0.1 -W 1 169.254.1.2
has '100% packet loss'
n=$(stat xdp_tx)
in1=$(xdp_in)
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
expect 0 kspawnctl console "$id"
has 'bad checksums 0;|answering'
expect 0 kspawnctl stop "$id"
[ ! -e /sys/class/net/ksnet0 ] || bad "ksnet0 still there after stop"
want_online 1
finish
