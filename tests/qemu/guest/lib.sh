# Helpers for the qemu suite's cases, which run inside the QEMU host
# (busybox sh).  A case script sources this, calls the checks, and ends
# with `finish`; it fails if any check failed.  Output is evidence: the
# runner shows it only for a failing case.
# The image a user runs, and the test image: the same with the test apps
# (spin, crash, rogue, hostile, ...).
IMG=/guest/kspawn-guest.elf
TEST_IMG=/guest/kspawn-guest-test.elf
BAD=/guest/bad
failures=0

note() { echo "  $*"; }
bad() {
	echo "  CHECK FAILED: $*"
	failures=$((failures + 1))
}

# expect STATUS CMD...: run CMD (output in $out), want exit status STATUS.
expect() {
	local want=$1
	shift
	out=$("$@" 2>&1)
	st=$?
	echo "  \$ $* -> $st"
	[ -z "$out" ] || echo "$out" | sed 's/^/  | /'
	[ "$st" -eq "$want" ] || bad "'$*' exited $st, want $want"
}

# has REGEX: the last expect's output matches (grep -E).
has() { echo "$out" | grep -qE -- "$1" || bad "output lacks /$1/"; }
hasnt() { ! echo "$out" | grep -qE -- "$1" || bad "output has /$1/"; }

cpu_online() { cat /sys/devices/system/cpu/cpu$1/online; }
want_online() {
	[ "$(cpu_online "$1")" = 1 ] || bad "CPU $1 is offline, want online"
}

# The value of "KEY": VALUE in kspawnctl --json output (first match).
json_get() {
	echo "$2" | sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -n 1
}

# wait_state ID STATE...: poll until the instance is in one of the states
# (10 s at most; a hint for slow TCG machines, not a timing assertion).
wait_state() {
	local id=$1 i=0 s
	shift
	while [ $i -lt 200 ]; do
		s=$(json_get state "$(kspawnctl --json status "$id" 2>/dev/null)")
		for w in "$@"; do
			[ "$s" = "$w" ] && return 0
		done
		sleep 0.05
		i=$((i + 1))
	done
	bad "instance $id still '$s' after 10 s, want one of: $*"
	return 1
}

# wait_ended ID SECONDS: poll until the guest halted or panicked, SECONDS
# at most (a bound for slow TCG machines, not a timing assertion).  The
# state last seen in $state; a failure if it did not end.
wait_ended() {
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		state=$(json_get state "$(kspawnctl --json status "$1" 2>/dev/null)")
		case $state in halted|panicked) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	bad "instance $1 still '$state' after $2 s, want it halted or panicked"
	return 1
}

# spawn ARGS...: kspawnctl run; the instance ID in $id.
spawn() {
	id=$(kspawnctl run "$@" 2>/tmp/spawn.err)
	st=$?
	echo "  \$ kspawnctl run $* -> $st (id '$id')"
	sed 's/^/  | /' /tmp/spawn.err
	[ "$st" -eq 0 ] || { bad "kspawnctl run $* failed ($st)"; return 1; }
}

# ksnet0_up: the host's end of a guest's net device addressed
# (169.254.1.1/16) and up, then its carrier awaited (10 s at most: the
# guest's driver may not have set DRIVER_OK yet).
ksnet0_up() {
	local i=0
	ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up
	while [ "$(cat /sys/class/net/ksnet0/carrier 2>/dev/null)" != 1 ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

instances() { kspawnctl list | tail -n +2 | grep -c '^ *[0-9]'; }
want_no_instances() {
	local n
	n=$(instances)
	[ "$n" -eq 0 ] || { bad "$n instance(s) left:"; kspawnctl list | sed 's/^/  | /'; }
}

finish() { [ "$failures" -eq 0 ]; exit $?; }

# Centiseconds since boot, from /proc/uptime (busybox date has no %N).
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# answers CMD...: run CMD (output in $out, its time in $took_cs) with a
# 5 s safety timeout; it must succeed.
answers() {
	local t0 st
	t0=$(now_cs)
	out=$(timeout 5 "$@" 2>&1)
	st=$?
	took_cs=$(($(now_cs) - t0))
	echo "  \$ $* -> $st in $((took_cs * 10)) ms"
	[ "$st" -eq 0 ] || bad "'$*' exited $st"
}

# within_1s CMD...: answers, within a second.  Lock-freedom checks, so the
# bound is part of what is tested.
within_1s() {
	answers "$@"
	[ "$took_cs" -le 100 ] || bad "'$*' took $((took_cs * 10)) ms, want at most 1000"
}

# CPU ticks (user + system, USER_HZ) a process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Nanoseconds a task has run on a CPU (scheduler statistics: exact, where
# ticks would miss a thread that runs briefly and often).
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

# doorbell_irqs ID: the interrupts instance ID's doorbell took, on every
# CPU (/proc/interrupts: the line whose last field is its name).
doorbell_irqs() {
	awk -v name="kspawn-doorbell-$1" '$NF == name {
		for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) n += $i
		print n + 0 }' /proc/interrupts
}

# The PID of the (kernel) thread named NAME (busybox has no pgrep).
pid_of() {
	local f
	for f in /proc/[0-9]*/comm; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] && { f=${f#/proc/}; echo "${f%/comm}"; return 0; }
	done
	return 1
}

# meminfo FIELD: a /proc/meminfo value in kB.
meminfo() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }

# Give back what the kernel keeps cached, so that what is left is held:
# page and dentry caches, empty and per-CPU slabs.  The pages that frees
# may sit on per-CPU lists, which free_kb counts.  Then fold each CPU's
# pending vmstat deltas into the counters meminfo reads (stat_refresh):
# unfolded, MemFree is off by up to a few hundred kB.
settle() {
	local f
	sync
	echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f"; done 2>/dev/null
	echo 1 > /proc/sys/vm/compact_memory 2>/dev/null
	echo 1 > /proc/sys/vm/stat_refresh 2>/dev/null
}

# free_kb: free memory in kB, counting the free pages parked on each
# CPU's page lists (/proc/zoneinfo's "count:"), which MemFree leaves out:
# they come and go with the work a CPU did and with CPU hotplug, by
# hundreds of kB, leak or not.  Call settle first.  The two are read one
# after the other: a list refilled in between counts once too often or
# not at all, one batch at most (zoneinfo's "batch:"), on a machine at
# rest: rare, and one half of stress-cycles' check may take it.
free_kb() {
	echo $(($(meminfo MemFree) + \
		$(awk '/^ *count:/ { n += $2 } END { print n * 4 }' /proc/zoneinfo)))
}

# follow ID FILE: the instance's console into FILE from now on, in the
# background (its pid in $follower: wait for it, it ends with the guest).
follow() {
	: > "$2"
	kspawnctl console "$1" --follow > "$2" 2>&1 &
	follower=$!
}

# seen FILE REGEX [TENTHS]: wait until FILE has a line matching REGEX,
# at most TENTHS tenths of a second (100): a bound for slow TCG hosts,
# not a timing assertion.  Fails the case if it never came.
seen() {
	local i=0
	while ! grep -qE -- "$2" "$1" && [ $i -lt "${3:-100}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -qE -- "$2" "$1" || bad "the guest never printed /$2/"
}

# out_stat NAME: NAME's value in the last output expect captured ($out),
# as ethq -S prints it ("  NAME: VALUE"); empty if it has none.
out_stat() { echo "$out" | sed -n "s/^ *$1: //p"; }

# console_waits ID REGEX [TENTHS]: wait until guest ID's console shows a
# line matching REGEX, at most TENTHS tenths of a second (100); the status
# says whether it came.  A console read takes the unread output, so what
# each read brought is kept in /tmp/console-waits.ID and looked at whole
# (a line may come in two reads).
console_waits() {
	local i=0 f=/tmp/console-waits.$1
	: > "$f"
	until kspawnctl console "$1" >> "$f" 2>&1; grep -qE -- "$2" "$f"; do
		[ $i -lt "${3:-100}" ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# vda_ext4: a fresh ext4 on the host's second virtio disk (/dev/vda),
# mounted at /mnt/vda; fails (and says why) if it cannot be had.
vda_ext4() {
	local m
	for m in crc16 crc32c_generic mbcache jbd2 ext4; do
		insmod /lib/modules/host/$m.ko 2>/dev/null
	done
	[ -b /dev/vda ] || { bad "no /dev/vda: the host's virtio-blk driver did not load"; return 1; }
	mke2fs -q /dev/vda > /dev/null 2>&1 || { bad "mke2fs /dev/vda failed"; return 1; }
	mkdir -p /mnt/vda
	mount -t ext4 /dev/vda /mnt/vda || { bad "cannot mount /dev/vda as ext4"; return 1; }
}

# nullb NAME ATTR=VALUE...: a null_blk disk made through configfs with
# those attributes (size in MiB, blocksize, irqmode, completion_nsec...),
# powered on; its device node in $dev.  nullb_gone NAME removes it.
nullb() {
	local name=$1 cfg=/sys/kernel/config/nullb/$1 a
	shift
	[ -d /sys/module/configfs ] || insmod /lib/modules/host/configfs.ko
	[ -d /sys/module/null_blk ] ||
		insmod /lib/modules/host/null_blk.ko nr_devices=0
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs none /sys/kernel/config
	mkdir "$cfg" || { bad "no null_blk in configfs"; return 1; }
	for a in "$@"; do
		echo "${a#*=}" > "$cfg/${a%%=*}" || bad "null_blk $name: cannot set $a"
	done
	echo 1 > "$cfg/power"
	# Named after its configfs directory (Linux 6.1), nullbN before.
	dev=/dev/$name
	[ -e "/sys/block/$name" ] || dev=/dev/nullb$(cat "$cfg/index")
	[ -b "$dev" ] || { bad "no $dev: $(ls /sys/block | tr '\n' ' ')"; nullb_gone "$name"; return 1; }
}
nullb_gone() {
	echo 0 > "/sys/kernel/config/nullb/$1/power"
	rmdir "/sys/kernel/config/nullb/$1"
	rmmod null_blk
}
