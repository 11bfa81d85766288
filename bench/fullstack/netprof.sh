#!/bin/sh
# Where the CPUs go during a 64 B pps run, kspawn against veth (the
# net_fullstack_pps_64 row's two paths, set up by net.sh), in the host or
# the QEMU host: ROUNDS rounds, kspawn first in odd ones, each run of
# COUNT datagrams (long enough for tick counts) framed by
#
#   NETPROF BEGIN <system> <round>
#   NETPROF STAT|TASK|IRQ|ETH ...   /proc/stat per CPU, the path's threads,
#                                   /proc/interrupts, /proc/softirqs,
#                                   ethq -S of ksnetN: before the run
#   NETPROF RUN
#   NETPROF STAT|TASK|IRQ|ETH ...   the same after it
#   NETPROF END <system> <round> <pps>
#   NETPROF DEV <the module's net statistics line>   (kspawn, after stop)
#
# bench/fullstack/netprof.py boots the QEMU host with this script and
# adds, at BEGIN and END, the CPU time of the QEMU process's threads.
#
#   netprof.sh [rounds=N] [count=N] [cpu=N] [args=a,b]
# Defaults from the command line (netprof.rounds= netprof.count=
# netprof.args=: options for the guest's command line, comma-separated).
# shellcheck shell=sh disable=SC1007,SC2034
# (empty assignments; cpu, dbopt, live... are net.sh's globals)
here=$(cd "$(dirname "$0")" && pwd)
IMG=${IMG:-/guest/kspawn-guest.elf}
PATH=$here:$PATH:/usr/bin
rounds=4 count=40000 cpu=1 dbopt= gargs=
for arg in $(cat /proc/cmdline) "$@"; do
	case $arg in
	netprof.rounds=* | rounds=*) rounds=${arg#*rounds=} ;;
	netprof.count=* | count=*) count=${arg#*count=} ;;
	netprof.args=* | args=*) gargs=$(echo "${arg#*args=}" | tr , ' ') ;;
	cpu=*) cpu=${arg#cpu=} ;;
	esac
done
say() { echo "bench: $*"; }
live= nsa= nsb= server= id=
cleanup() {
	[ -z "$live" ] || kspawnctl stop "$live" --force > /dev/null 2>&1
	for p in $server $nsa $nsb; do kill "$p" 2> /dev/null; done
	ip link del bencha 2> /dev/null
}
trap cleanup EXIT
guest_down() {
	kspawnctl stop "$id" > /dev/null
	live=
}
. "$here/net.sh"
[ -z "$gargs" ] || dbopt="$gargs "

# The per-CPU lines of /proc/stat and the CPU time of the threads on
# the path (udpping, the device thread, softirqs, the echo server).
snap() {
	sed -n "s/^\(cpu[0-9][0-9]*\) /NETPROF STAT \1 /p" /proc/stat | cut -d' ' -f1-10
	for d in /proc/[0-9]*; do
		read -r c < "$d/comm" 2> /dev/null || continue
		case $c in
		udpping | udpcheck | kspawn-io* | ksoftirqd* | napi*)
			awk -v c="$c" '{ print "NETPROF TASK " c "/" $1 " " $14 + $15 }' "$d/stat" ;;
		esac
	done
	sed 's/^/NETPROF IRQ /' /proc/interrupts
	grep 'NET_RX\|NET_TX\|SCHED' /proc/softirqs | sed 's/^/NETPROF IRQ /'
	for d in /sys/class/net/ksnet*; do
		[ -e "$d" ] && ethq -S "${d##*/}" | sed 's/^/NETPROF ETH /'
	done
}

one() {
	local s=$1 r=$2 out pps
	echo "NETPROF BEGIN $s $r"
	snap
	echo "NETPROF RUN"
	if [ "$s" = kspawn ]; then
		out=$(taskset -c 0 udpping 169.254.1.2 7 pps count="$count")
	else
		out=$(nsenter -t "$nsa" -n taskset -c 0 udpping 169.254.9.2 7 pps \
			count="$count")
	fi
	pps=$(printf '%s\n' "$out" | sed -n 's/^pps \([0-9]*\).*/\1/p')
	snap
	echo "NETPROF END $s $r ${pps:-failed}"
}

net_setup_veth || { say "no veth"; exit 1; }
for r in $(seq "$rounds"); do
	order="kspawn veth"
	[ $((r % 2)) -eq 0 ] && order="veth kspawn"
	for s in $order; do
		if [ "$s" = kspawn ]; then
			guest_net_up || { say "guest did not come up"; exit 1; }
			sleep 0.5	# the spawn's own work settles
			one kspawn "$r"
			guest_down
			dmesg | grep "instance $id: net:" | tail -n 1 |
				sed 's/^/NETPROF DEV /'
		else
			sleep 0.5
			one veth "$r"
		fi
	done
done
exit 0
