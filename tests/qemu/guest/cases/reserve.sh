# The pool of reserved cores: reserve a CPU, spawn on it twice (no CPU
# hotplug: the core stays parked between guests), release it; the CPU's
# online state and the module's objects are back where they were.  On the
# way, a guest that fills its free memory, and the next on the same region
# finds it zero, though neither the host's loader nor the guest zeroed it
# (the pool scrubs a region when it is freed, once), and zeroes nothing
# before its main.  The image's read-only pages are the exception, kept
# for the next guest of the same image: one a guest wrote to comes back
# as the image has it, and none is left with a guest's bytes after the
# module is unloaded.
. /tests/lib.sh
objects=/sys/class/misc/kspawn/objects
online0=$(cat /sys/devices/system/cpu/online)
expect 0 kspawnctl reserve 1
[ "$(cpu_online 1)" = 0 ] || bad "reserved CPU 1 is online"
expect 0 kspawnctl list
has 'pool: CPUs 1 reserved for guests, free: 1'
if echo 1 > /sys/devices/system/cpu/cpu1/online 2>/dev/null; then
	bad "Linux brought the reserved CPU 1 online"
fi
hotplug0=$(dmesg | grep -cE 'smpboot|is now offline')
spawn "$IMG" --cmdline "hello one" || finish	# picks the free pooled CPU
wait_state "$id" halted
[ "$(json_get cpu "$(kspawnctl --json status "$id")")" = 1 ] || bad "instance $id is not on the pooled CPU 1"
expect 0 kspawnctl list
has 'free: none'
expect 0 kspawnctl stop "$id"
[ "$(cpu_online 1)" = 0 ] || bad "CPU 1 went back to Linux at stop"
spawn "$IMG" --cpu 1 --cmdline "hello two" || finish
wait_state "$id" halted
expect 0 kspawnctl console "$id"
has 'argv\[1\] = two'
expect 0 kspawnctl stop "$id"
# Reading the objects waits for the scrubs in flight: the fill and the
# check then get the same chunks, the pool's first.
# memscrub CMDLINE: a test guest on CPU 1 that ran to its halt, once the
# last one's scrub is done (reading objects waits for it); its console in
# $out, its region in $got.
memscrub() {
	cat $objects > /dev/null
	spawn "$TEST_IMG" --cpu 1 --cmdline "$1" || finish
	wait_state "$id" halted
	got=$(json_get region_base "$(kspawnctl --json status "$id")")
	expect 0 kspawnctl console "$id"
}
memscrub "memscrub fill"
region=$got
has 'memscrub: [1-9][0-9]* KiB filled'
expect 0 kspawnctl stop "$id"
memscrub "boottime=1 memscrub check"
[ "$got" = "$region" ] || bad "the check did not get the filled region back ($region)"
has 'memscrub: [1-9][0-9]* KiB checked, 0 nonzero'
has 'boottime: .* zeroed 0 KiB'
expect 0 kspawnctl stop "$id"
# The image's read-only pages are kept for the next guest of the image,
# not scrubbed: one the last guest changed must come back as the image's.
memscrub "memscrub mark"
has 'memscrub: marker page at 0x[0-9a-f]* overwritten with 0xa5'
expect 0 kspawnctl stop "$id"
memscrub "memscrub verify"
[ "$got" = "$region" ] || bad "the verify did not get the marked region back ($region)"
has 'memscrub: marker page, 0 bytes changed'
expect 0 kspawnctl stop "$id"
# The scrub runs at the lowest priority in a thread of its own: it must
# never preempt a stop or a spawn on the CPU it wakes on.
scrubber=
for d in /proc/[0-9]*; do
	[ "$(cat "$d/comm" 2>/dev/null)" = kspawn-scrub ] && scrubber=$d
done
if [ -z "$scrubber" ]; then
	bad "no kspawn-scrub thread"
else
	# Field 19 of stat is the nice value (the name, field 2, has no spaces).
	nice=$(cut -d' ' -f19 "$scrubber/stat")
	[ "$nice" = 19 ] || bad "kspawn-scrub runs at nice $nice, not 19"
fi
hotplug1=$(dmesg | grep -cE 'smpboot|is now offline')
[ "$hotplug0" = "$hotplug1" ] || { bad "CPU hotplug happened while spawning on the pooled CPU:"; dmesg | grep -E 'smpboot|is now offline' | tail -n 4 | sed 's/^/  k| /'; }
expect 0 kspawnctl list
has 'free: 1'
expect 0 kspawnctl release 1
want_online 1
expect 0 kspawnctl list
hasnt 'pool:'
expect 1 kspawnctl release 1
has 'CPU 1 is not in the pool'
expect 7 kspawnctl reserve 0
[ "$(cat /sys/devices/system/cpu/online)" = "$online0" ] || bad "online CPUs $(cat /sys/devices/system/cpu/online), were $online0"
cat $objects | grep -v ' 0$' | sed 's/^/  left: /' | grep . && bad "module objects left"
# A kept page holds the last guest's bytes (it may write its own read-only
# pages): unloading the module zeroes it, so whoever uses the memory next
# does not find them.  The page is read back through /dev/mem.
memscrub "memscrub mark"
addr=$(echo "$out" | sed -n 's/.*marker page at \(0x[0-9a-f]*\) overwritten.*/\1/p')
expect 0 kspawnctl stop "$id"
cat $objects > /dev/null
expect 0 rmmod kspawn
if [ -z "$addr" ]; then
	bad "no marker page address"
elif ! dd if=/dev/mem of=/tmp/kept-page bs=4096 skip=$((addr / 4096)) count=1 2>/dev/null ||
	[ "$(wc -c < /tmp/kept-page)" != 4096 ]; then
	bad "cannot read the marker page $addr through /dev/mem"
else
	left=$(od -An -v -tx1 /tmp/kept-page | tr -s ' ' '\n' | grep -v '^00$' | grep -c .)
	note "after rmmod, the marked page $addr has $left nonzero bytes"
	[ "$left" = 0 ] || bad "the module left a guest's kept page ($addr) with $left nonzero bytes"
fi
expect 0 kspawn-load
want_no_instances
finish
