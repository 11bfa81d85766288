# The full-stack net rows, sourced by in-vm.sh (its globals: IMG, runs,
# cpu, dbopt, order, nsa, nsb, server, live, id; its helpers: wanted,
# declare_w, fail_w, in_order, m, say, guest_down).
# shellcheck shell=sh
# ---- net: UDP echo over ksnetN vs two network namespaces over veth -----
# ns_hold: a process whose network namespace the veth peer lives in.
# (Its output goes elsewhere, or $(ns_hold) would wait for it to end.)
ns_hold() {
	unshare -n sleep 100000 > /dev/null 2>&1 &
	echo $!
}

# ns_wait PID: until PID has a network namespace of its own (5 s at most).
ns_wait() {
	local i=0 me
	me=$(readlink /proc/self/ns/net)
	while [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "$me" ] &&
		[ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$me" ]
}

net_setup_veth() {
	modprobe veth 2>/dev/null || insmod /lib/modules/host/veth.ko 2>/dev/null
	ip link del bencha 2>/dev/null
	nsa=$(ns_hold)
	nsb=$(ns_hold)
	ns_wait "$nsa" && ns_wait "$nsb" || return 1
	ip link add bencha type veth peer name benchb || return 1
	# busybox names the peer vethN itself: find it.
	peer=$(ip -o link | sed -n 's/^[0-9]*: \([^@:]*\)@bencha.*/\1/p')
	ip link set bencha netns "$nsa" && ip link set "$peer" netns "$nsb" ||
		return 1
	nsenter -t "$nsa" -n sh -c "ip addr add 169.254.9.1/30 dev bencha &&
		ip link set bencha up && ip link set lo up" || return 1
	nsenter -t "$nsb" -n sh -c "ip addr add 169.254.9.2/30 dev $peer &&
		ip link set $peer up && ip link set lo up" || return 1
	# The echo server on the guest's CPU and the client on CPU 0: the
	# kspawn run's layout (guest on $cpu, ksnet and the backend on 0).
	nsenter -t "$nsb" -n taskset -c "$cpu" udpcheck serve 7 > /dev/null 2>&1 &
	server=$!
}

# guest_net_up: udpecho on $cpu, its ksnetN up as 169.254.1.1/30; $id.
guest_net_up() {
	local before dev i=0
	before=" $(ls /sys/class/net | tr '\n' ' ') "
	id=$(kspawnctl run "$IMG" --cpu "$cpu" --net netdev \
		--cmdline "${dbopt}udpecho ip=169.254.1.2") || return 1
	live=$id
	for dev in $(ls /sys/class/net); do
		case $before in *" $dev "*) ;; *) break ;; esac
	done
	case $dev in ksnet*) ;; *) return 1 ;; esac
	ip addr add 169.254.1.1/30 dev "$dev" && ip link set "$dev" up ||
		return 1
	while [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" != 1 ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# ARP resolved both ways before udpping: while the guest's stack
	# waits for the host's MAC it holds one frame, and udpping takes a
	# reply lost to that as a failed run.
	ping -c 1 -W 3 169.254.1.2 > /dev/null ||
		ping -c 1 -W 3 169.254.1.2 > /dev/null
}

# The net rows: mode and datagram size (tput_1500: full 1500-byte IP
# packets, a 1472-byte UDP payload).
NET_ROWS="rtt_64 pps_64 tput_1500"
net_mode() { echo "${1%_*}"; }
net_size() {
	case $1 in *_1500) echo 1472 ;; *) echo "${1##*_}" ;; esac
}

net() {
	local run row s mode size better
	wanted net_fullstack || return 0
	for row in $NET_ROWS; do
		wanted "net_fullstack_$row" || continue
		mode=$(net_mode "$row")
		size=$(net_size "$row")
		better=higher
		[ "$mode" = rtt ] && better=lower
		declare_w "net_fullstack_$row" $better \
			"{\"size\": $size, \"in_flight\": $([ $mode = rtt ] && echo 1 || echo 32), \"kspawn\": \"udpping $mode size=$size on CPU 0 -> ksnetN -> guest udpecho on CPU $cpu\", \"veth_netns\": \"udpping in netns A on CPU 0 -> veth -> udpcheck serve in netns B on CPU $cpu\", \"same_work\": {\"veth_netns\": true}, \"note\": \"the same client through the host's UDP stack; the echo is the guest's own stack (kspawn) or a Linux UDP socket in another namespace (veth_netns)\"}"
	done
	if ! net_setup_veth; then
		fail_w net_fullstack "could not set up the veth pair between two namespaces"
		return
	fi
	for run in $(seq "$runs"); do
		say "net_fullstack run $run/$runs"
		in_order "$run" $(for row in $NET_ROWS; do echo "net_fullstack_$row"; done) -- \
			kspawn veth_netns
		for s in $order; do
			if [ "$s" = veth_netns ]; then
				net_veth "$run"
				continue
			fi
			if ! guest_net_up; then
				fail_w net_fullstack "udpecho guest or its ksnet device did not come up"
				break 2
			fi
			for row in $NET_ROWS; do
				wanted "net_fullstack_$row" || continue
				m "net_fullstack_$row" kspawn "$run" \
					taskset -c 0 udpping 169.254.1.2 7 \
					"$(net_mode "$row")" size="$(net_size "$row")"
			done
			guest_down	# the veth run has $cpu to itself
		done
	done
}

# net_veth RUN: the peer's turn, no guest running.
net_veth() {
	local row
	for row in $NET_ROWS; do
		wanted "net_fullstack_$row" || continue
		m "net_fullstack_$row" veth_netns "$1" \
			nsenter -t "$nsa" -n taskset -c 0 \
			udpping 169.254.9.2 7 "$(net_mode "$row")" \
			size="$(net_size "$row")"
	done
}

# ---- l2fwd: swap MACs and send back, guest l2fwd vs XDP_TX on a veth ---
# l2ping on CPU 0 fires 64-byte frames, 32 in flight, and checks each one
# back with its MACs swapped: through ksnetN to the guest's l2fwd, or
# through a veth pair to the peer end's XDP program doing the same swap.
l2fwd_setup_veth() {
	modprobe veth 2>/dev/null || insmod /lib/modules/host/veth.ko 2>/dev/null
	ip link del l2fa 2>/dev/null
	ip link add l2fa type veth peer name l2fb || return 1
	l2peer=$(ip -o link | sed -n 's/^[0-9]*: \([^@:]*\)@l2fa.*/\1/p')
	ip link set l2fa up && ip link set "$l2peer" up || return 1
	# The sender's end takes XDP_TX's frames only with XDP of its own.
	xdpctl l2fa swaptx drv > /dev/null && xdpctl "$l2peer" pass drv > /dev/null
}

l2fwd() {
	local run s mac dev before i
	wanted net_l2fwd_64 || return 0
	declare_w net_l2fwd_64 higher "{\"size\": 64, \"in_flight\": 32, \"kspawn\": \"l2ping on CPU 0 -> ksnetN -> guest l2fwd (batch=32) on CPU $cpu, MACs swapped, back\", \"xdp_tx_veth\": \"l2ping on CPU 0 -> veth -> native XDP program on the peer end swapping the MACs, XDP_TX back\", \"same_work\": {\"xdp_tx_veth\": true}, \"note\": \"the same sender and checks; the swap is the guest's l2fwd (raw frames in batches, kern/net_raw.h) or an XDP program in the host's softirq (which runs on CPU 0 with the sender: the veth side uses one CPU, kspawn two)\"}"
	if ! l2fwd_setup_veth; then
		fail_w net_l2fwd_64 "could not set up the veth pair with XDP_TX"
		return
	fi
	for run in $(seq "$runs"); do
		say "net_l2fwd_64 run $run/$runs"
		in_order "$run" net_l2fwd_64 -- kspawn xdp_tx_veth
		for s in $order; do
			if [ "$s" = xdp_tx_veth ]; then
				m net_l2fwd_64 xdp_tx_veth "$run" taskset -c 0 \
					l2ping "$l2peer" "$(cat /sys/class/net/l2fa/address)"
				continue
			fi
			before=" $(ls /sys/class/net | tr '\n' ' ') "
			id=$(kspawnctl run "$IMG" --cpu "$cpu" --net netdev \
				--cmdline "${dbopt}l2fwd batch=32") || {
				fail_w net_l2fwd_64 "l2fwd guest did not start"
				break 2
			}
			live=$id
			for dev in $(ls /sys/class/net); do
				case $before in *" $dev "*) ;; *) break ;; esac
			done
			echo 1 > "/proc/sys/net/ipv6/conf/$dev/disable_ipv6" 2>/dev/null
			ip link set "$dev" up
			# (kspawnctl console prints only what is new: keep it.)
			i=0 con=
			while ! printf '%s\n' "$con" | grep -q 'l2fwd: forwarding' &&
				[ $i -lt 300 ]; do
				con="$con
$(kspawnctl console "$id")"
				sleep 0.1
				i=$((i + 1))
			done
			mac=$(printf '%s\n' "$con" | sed -n 's/^.*l2fwd: forwarding on \([0-9a-f:]\{17\}\).*/\1/p')
			m net_l2fwd_64 kspawn "$run" taskset -c 0 l2ping "$dev" "$mac"
			guest_down
		done
	done
	ip link del l2fa 2>/dev/null
}

