# The guest's l2fwd (issue 16): frames l2ping fires at the guest's MAC
# through ksnet0 come back with their MACs swapped, every one, in order
# and otherwise unchanged, at 64 bytes and at a full 1514-byte frame;
# l2fwd's own count agrees once it has forwarded that many.
# Then a storm: a native XDP program on ksnet0 redirects every frame the
# guest sends back into the guest (bpf_redirect to ksnet0, so its own
# ndo_xdp_xmit), and l2fwd sends each back again: 32 frames circling in
# batches.  A NAPI poll of 17 frames or more once deadlocked the host's
# CPU 0 (a device's bulk queue sends from inside xdp_do_redirect, which
# ran under the lock ndo_xdp_xmit takes); the host must stay well and
# the redirects keep coming.
. /tests/lib.sh
# The guest's console so far (kspawnctl console prints only what is new).
con() {
	kspawnctl console "$id" >> /tmp/l2fwd.con
	cat /tmp/l2fwd.con
}
# start_l2fwd ARGS: a guest running l2fwd ARGS on ksnet0, up; its MAC in
# gmac once it forwards.
start_l2fwd() {
	rm -f /tmp/l2fwd.con
	spawn "$IMG" --cpu 1 --net netdev --cmdline "l2fwd $*" || finish
	echo 1 > /proc/sys/net/ipv6/conf/ksnet0/disable_ipv6 2>/dev/null
	ip link set ksnet0 up
	i=0
	while { [ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" != 1 ] ||
		! con | grep -q 'l2fwd: forwarding'; } && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	gmac=$(con | sed -n 's/^.*l2fwd: forwarding on \([0-9a-f:]\{17\}\).*/\1/p')
}
# Only l2ping's frames: no IPv6 chatter for l2fwd to count (the setting
# goes back at the end, for the cases after this one).
v6=$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null)
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
start_l2fwd batch=32 count=1650
note "guest MAC $gmac"
[ -n "$gmac" ] || { bad "l2fwd did not start"; con | sed 's/^/  | /'; }
expect 0 l2ping ksnet0 "$gmac" size=64 count=1000 warm=100 window=32
has 'back 1000 frames'
expect 0 l2ping ksnet0 "$gmac" size=1514 count=500 warm=50 window=16
has 'back 500 frames'
# Until l2fwd has counted them all and ended (60 s at most: a bound for
# a loaded machine, not a timing check).
i=0
while ! con | grep -q 'l2fwd: forwarded=' && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
out=$(con)
has 'l2fwd: forwarded=1650 rx_dropped=0 tx_dropped=0'
expect 0 kspawnctl stop "$id"

start_l2fwd batch=32 seconds=60
[ -n "$gmac" ] || { bad "l2fwd did not start again"; con | sed 's/^/  | /'; }
redirects() { ethq -S ksnet0 | sed -n 's/^ *xdp_redirect: //p'; }
expect 0 xdpctl ksnet0 redirect drv
# Nothing comes back to l2ping: each frame circles instead.
expect 1 l2ping ksnet0 "$gmac" size=64 count=32 warm=0 window=32
i=0
while [ "$(redirects)" -lt 5000 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
r=$(redirects)
expect 0 xdpctl ksnet0 off drv
note "redirect storm: $r redirects after $((i / 10)) s; $(ethq -S ksnet0 | grep -E 'xdp_xmit' | tr -s ' \n' ' ')"
[ "${r:-0}" -ge 5000 ] || bad "the redirect storm stopped at $r redirects, want 5000"
expect 0 kspawnctl stop "$id"
[ -z "$v6" ] || echo "$v6" > /proc/sys/net/ipv6/conf/default/disable_ipv6
want_online 1
finish
