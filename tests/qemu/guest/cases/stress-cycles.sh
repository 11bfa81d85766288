# 100 start/stop cycles of every kind; afterwards MemFree, slab usage and
# the online CPUs are back where they were (tests/stress).
. /tests/lib.sh
meminfo() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo
}
online() { cat /sys/devices/system/cpu/online; }

one() {	# N: one cycle, of kind N % 6, on CPU 1 or 2
	local n=$1 cpu=$((1 + $1 % 2)) how
	case $((n % 6)) in
	0) how="hello cycle $n" ;;
	1) how="crash panic" ;;
	2) how="spin" ;;
	3) how="spin" ;;
	4) how="blkcheck qd=4" ;;
	5) how="udpecho seconds=1" ;;
	esac
	case $((n % 6)) in
	4) id=$(kspawnctl run "$IMG" --cpu $cpu --ramdisk 2M --cmdline "$how") ;;
	5) id=$(kspawnctl run "$IMG" --cpu $cpu --net loopback --cmdline "$how") ;;
	*) id=$(kspawnctl run "$IMG" --cpu $cpu --cmdline "$how") ;;
	esac || { bad "cycle $n ($how): run failed"; return 1; }
	case $((n % 6)) in
	2) sleep 0.2; kspawnctl stop "$id" ;;
	3) sleep 0.2; kspawnctl stop "$id" --force ;;
	*) kspawnctl console "$id" --follow >/dev/null; kspawnctl stop "$id" ;;
	esac || { bad "cycle $n ($how): stop failed"; return 1; }
}

one 0 && one 1 && one 4 && one 5	# warm-up: first-use allocations
free0=$(meminfo MemFree) slab0=$(meminfo Slab) cpus0=$(online)
n=0
while [ $n -lt 100 ]; do
	one $n || break
	n=$((n + 1))
done
free1=$(meminfo MemFree) slab1=$(meminfo Slab) cpus1=$(online)
note "$n cycles; MemFree $free0 -> $free1 kB, Slab $slab0 -> $slab1 kB, online CPUs $cpus0 -> $cpus1"
[ $n -eq 100 ] || bad "only $n of 100 cycles ran"
[ $((free0 - free1)) -lt 2048 ] || bad "MemFree dropped by $((free0 - free1)) kB"
[ $((slab1 - slab0)) -lt 1024 ] || bad "Slab grew by $((slab1 - slab0)) kB"
[ "$cpus0" = "$cpus1" ] || bad "online CPUs $cpus1, were $cpus0"
want_no_instances
finish
