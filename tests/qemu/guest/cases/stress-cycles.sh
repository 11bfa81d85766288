# 100 start/stop cycles of every kind; afterwards the module's own object
# counts are back to zero, vmalloc use moved by less than a page per
# cycle, free memory (four pages: see below) and unreclaimable slab (one)
# too in at least one half of the cycles, and the online CPUs are back
# (tests/stress).
. /tests/lib.sh
online() { cat /sys/devices/system/cpu/online; }
objects=/sys/class/misc/kspawn/objects

one() {	# N: one cycle, of kind N % 7, on CPU 1 or 2
	local n=$1 cpu=$((1 + $1 % 2)) how
	case $((n % 7)) in
	0) how="hello cycle $n" ;;
	1) how="crash panic" ;;
	2) how="spin" ;;
	3) how="spin" ;;
	4) how="blkcheck qd=4" ;;
	5) how="udpecho seconds=1" ;;
	6) how="udpecho seconds=1" ;;
	esac
	case $((n % 7)) in
	4) id=$(kspawnctl run "$TEST_IMG" --cpu $cpu --ramdisk 2M --cmdline "$how") ;;
	5) id=$(kspawnctl run "$TEST_IMG" --cpu $cpu --net loopback --cmdline "$how") ;;
	6) id=$(kspawnctl run "$TEST_IMG" --cpu $cpu --ramdisk 1M --net netdev --cmdline "$how") ;;
	*) id=$(kspawnctl run "$TEST_IMG" --cpu $cpu --cmdline "$how") ;;
	esac || { bad "cycle $n ($how): run failed"; return 1; }
	case $((n % 7)) in
	2) sleep 0.2; kspawnctl stop "$id" ;;
	3) sleep 0.2; kspawnctl stop "$id" --force ;;
	*) kspawnctl console "$id" --follow >/dev/null; kspawnctl stop "$id" ;;
	esac || { bad "cycle $n ($how): stop failed"; return 1; }
}

[ -r $objects ] || { bad "no $objects"; finish; }
# Warm-up, every kind twice: first-use allocations are not leaks.
for w in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do
	one $w >/dev/null 2>&1 || bad "warm-up cycle $w failed"
done
settle
free0=$(free_kb) slab0=$(meminfo SUnreclaim) vm0=$(meminfo VmallocUsed)
cpus0=$(online) obj0=$(cat $objects)
cp /proc/slabinfo /tmp/slab0
cp /proc/meminfo /tmp/meminfo0
n=0
while [ $n -lt 100 ]; do
	one $n || break
	n=$((n + 1))
	if [ $n -eq 50 ]; then
		settle
		freeh=$(free_kb) slabh=$(meminfo SUnreclaim)
	fi
done
settle
free1=$(free_kb) slab1=$(meminfo SUnreclaim) vm1=$(meminfo VmallocUsed)
cpus1=$(online) obj1=$(cat $objects)
cp /proc/slabinfo /tmp/slab1
cp /proc/meminfo /tmp/meminfo1
note "$n cycles; free memory $free0 -> ${freeh:-?} (50) -> $free1 kB, SUnreclaim $slab0 -> ${slabh:-?} (50) -> $slab1 kB, VmallocUsed $vm0 -> $vm1 kB, online CPUs $cpus0 -> $cpus1"
note "module objects after: $(echo $obj1)"
[ $n -eq 100 ] || bad "only $n of 100 cycles ran"
[ "$obj1" = "$obj0" ] || bad "module objects were: $(echo $obj0)"
echo "$obj1" | grep -qv ' 0$' && bad "module objects left with no instance: $(echo "$obj1" | grep -v ' 0$' | tr '\n' ' ')"
# Less than one 4 KiB page per cycle on average, for each, but free
# memory, which gets two.  Unreclaimable slab moves by a few hundred kB
# (per-CPU partial slabs; 416 kB over 100 cycles once, with the module's
# objects back to zero): a leak grows in both halves, a one-off in one.
# Free memory is MemFree with the vmstat deltas folded in (settle) and
# the per-CPU page lists counted (free_kb): plain MemFree moved by up to
# 1.4 MB with no guest at all and failed a one-page budget in both halves
# now and then.  Measured that way, 60 cycles of each kind alone, and 60
# rounds of kspawnctl list and status with no guest, moved it by -248 to
# +600 kB, with no kind losing every time: noise, not a leak.  With two
# pages a cycle (400 kB a half), a fresh-clone CI run failed on 440 and
# 436 kB, every module object back to zero and slab flat; runs here, at
# the same commit, saw 24 to 348.  So four (800 kB a half), above every
# drop seen without a leak; a leak shows when it is more than that plus
# the noise (five pages a cycle dropped 1176 and 1228 kB), and a kernel
# stack per guest, four pages, is caught first by the vmalloc check.
page_budget=$((4 * n))
half=$((page_budget / 2))
[ $((free0 - freeh)) -lt $((4 * half)) ] || [ $((freeh - free1)) -lt $((4 * half)) ] ||
	bad "free memory dropped by $((free0 - freeh)) kB, then $((freeh - free1)) kB, in each half of the cycles (at most $((4 * half)) kB in one)"
[ $((slabh - slab0)) -lt $half ] || [ $((slab1 - slabh)) -lt $half ] ||
	bad "unreclaimable slab grew by $((slabh - slab0)) kB, then $((slab1 - slabh)) kB, in each half of the cycles"
[ $((vm1 - vm0)) -lt $page_budget ] || bad "vmalloc use grew by $((vm1 - vm0)) kB"
[ "$cpus0" = "$cpus1" ] || bad "online CPUs $cpus1, were $cpus0"
if [ "$failures" -ne 0 ]; then
	note "slab caches that grew most (kB):"
	awk 'NR == FNR { if (FNR > 2) was[$1] = $2 * $4; next }
	     FNR > 2 { d = ($2 * $4 - was[$1]) / 1024; if (d > 0) printf "  %8.1f %s\n", d, $1 }' \
		/tmp/slab0 /tmp/slab1 | sort -rn | head -n 12
	note "/proc/meminfo lines that moved by 64 kB or more (kB):"
	awk 'NR == FNR { was[$1] = $2; next }
	     { d = $2 - was[$1]; if (d >= 64 || d <= -64) printf "  %8d %s\n", d, $1 }' \
		/tmp/meminfo0 /tmp/meminfo1
fi
want_no_instances
finish
