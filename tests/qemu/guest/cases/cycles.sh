# 20 spawn/stop cycles: every one boots, and afterwards CPU 1 is online,
# the module's own object counts are back where they were, and free memory
# (free_kb) is too, within noise (tests/stress holds leaks to under four
# pages a cycle over 100 cycles; 20 are too few for that).
. /tests/lib.sh
free_now() {
	settle
	free_kb
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
before=$(free_now)
objects0=$(cat /sys/class/misc/kspawn/objects)
i=1
while [ $i -le 20 ]; do
	cycle $i || break
	i=$((i + 1))
done
after=$(free_now)
objects1=$(cat /sys/class/misc/kspawn/objects)
note "free memory before $before kB, after 20 cycles $after kB"
[ "$objects1" = "$objects0" ] || bad "module objects were $(echo $objects0), are $(echo $objects1)"
# Seen here: up to ~700 kB of noise after CPU hotplug cycles; a leak of a
# region, a RAM disk or a kspawn_io per cycle is far more.
[ $((before - after)) -lt 2048 ] || bad "free memory dropped by $((before - after)) kB"
want_online 1
want_no_instances
finish
