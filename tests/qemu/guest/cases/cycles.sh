# 20 spawn/stop cycles: every one boots, and afterwards CPU 1 is online and
# MemFree is back where it was (no leak in the module's allocations).
. /tests/lib.sh
memfree() {
	settle
	meminfo MemFree
}
cycle() {
	spawn "$IMG" --cpu 1 --cmdline "hello cycle $1" >/dev/null || return 1
	wait_state "$id" halted >/dev/null || return 1
	out=$(kspawnctl console "$id")
	echo "$out" | grep -q "argv\[2\] = $1" || { bad "cycle $1: no banner"; return 1; }
	kspawnctl stop "$id" || { bad "cycle $1: stop failed"; return 1; }
	[ "$(cpu_online 1)" = 1 ] || { bad "cycle $1: CPU 1 offline after stop"; return 1; }
}
cycle 0	# warm-up: first-use allocations (kthreads, caches) are not leaks
before=$(memfree)
i=1
while [ $i -le 20 ]; do
	cycle $i || break
	i=$((i + 1))
done
after=$(memfree)
note "MemFree before $before kB, after 20 cycles $after kB"
# Page-cache and slab noise stays well under this; 20 leaked pages do not.
[ $((before - after)) -lt 512 ] || bad "MemFree dropped by $((before - after)) kB"
want_online 1
want_no_instances
finish
