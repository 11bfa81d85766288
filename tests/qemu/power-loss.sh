#!/usr/bin/env bash
# FLUSH tested by a power loss.  The QEMU host gets a second virtio disk
# backed by a file here; a guest spawned on it (guest/power-loss.sh) writes
# the whole disk, flushes, and prints "blkcheck: flushed sectors=N
# digest=D" after the FLUSH completed.  On that line we kill QEMU at once
# (SIGKILL: no shutdown, no sync in the QEMU host) and digest the file:
# every flushed block must be there.  What QEMU had written survives the
# kill in this machine's page cache, like a disk's own stable storage;
# what the QEMU host still held in its page cache is lost, like RAM.
# That same page cache is why a drive's own volatile cache cannot be lost
# this way: guest/cases/power-loss-nvme.sh replays the power cut from a
# dm-log-writes log instead.
#
#   tests/qemu/power-loss.sh BUILD_DIR flush|noflush TRIES
#
# flush: the module as it is; prints "kept" and exits 0 if the file has
# everything flushed, else says what is missing and exits 1.
# noflush: the negative control, FLUSH disabled (kspawn.test_no_flush=1),
# up to TRIES boots; prints "lost" and exits 0 as soon as one loses data,
# exits 2 if none did (the loss could not be demonstrated), 1 on errors.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:?usage: power-loss.sh BUILD_DIR flush|noflush TRIES}
mode=${2:?usage: power-loss.sh BUILD_DIR flush|noflush TRIES}
tries=${3:-1}
initrd=$build/initramfs.cpio.gz
env_mk=${HOSTKERNEL:-$build/hostkernel}/env.mk
vmlinuz=$(sed -n 's/^HOSTKERNEL_VMLINUZ := //p' "$env_mk")
fnv=$build/qemu/fnv64sum
dir=$(mktemp -d)
host_pid=
cleanup() {
	[ ! -s "$dir/qemu.pid" ] || kill -KILL "$(cat "$dir/qemu.pid")" 2>/dev/null
	[ -z "$host_pid" ] || wait "$host_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# boot TRY: one boot, killed on the marker; sets guest, image, log.
boot() {
	local try=$1 append i qpid
	append="harness.seed=$((try + 10))"
	[ "$mode" = noflush ] && append="$append kspawn.test_no_flush=1"
	image=$dir/disk.$try.img log=$dir/console.$try.log
	rm -f "$dir/qemu.pid"
	truncate -s 8M "$image"
	(cd "$top" && SMP=2 exec scripts/qemu-host.sh --timeout "${POWER_LOSS_TIMEOUT:-600}" \
		--probe "$build/kspawn-guest.elf" --log "$log" \
		--qemu -drive --qemu "file=$image,if=virtio,format=raw" \
		--qemu -pidfile --qemu "$dir/qemu.pid" \
		--run /tests/power-loss.sh --append "$append" \
		"$vmlinuz" "$initrd") > /dev/null 2> "$log.err" &
	host_pid=$!
	guest=
	for ((i = 0; i < ${POWER_LOSS_TIMEOUT:-600} * 20; i++)); do
		guest=$(sed -n 's/^blkcheck: flushed sectors=[0-9]* digest=\([0-9a-f]*\).*/\1/p' "$log" 2>/dev/null)
		[ -n "$guest" ] && break
		kill -0 "$host_pid" 2>/dev/null || break
		sleep 0.05
	done
	qpid=$(cat "$dir/qemu.pid" 2>/dev/null)
	[ -z "$qpid" ] || kill -KILL "$qpid" 2>/dev/null
	wait "$host_pid" 2>/dev/null
	host_pid=
	if [ -z "$guest" ]; then
		echo "boot $try: no 'blkcheck: flushed' line from the guest"
		grep -v '^\[ *[0-9]*\.[0-9]*\]' "$log" | tail -n 20 | sed 's/^/| /'
		sed 's/^/| /' "$log.err"
		return 1
	fi
	grep '^power-loss: ' "$log" | head -n 1
	# Up to the kill, the host kernel's log must be clean.
	if ! bad=$("$top/scripts/initramfs/kspawn-klog-check" --console < "$log"); then
		echo "boot $try: the host kernel log shows:"
		printf '%s\n' "$bad" | sed 's/^/  /'
		return 1
	fi
}

case $mode in
flush)
	boot 1 || exit 1
	host=$("$fnv" "$image")
	if [ "$host" = "$guest" ]; then
		echo "kept: the guest flushed digest $guest, the disk file after SIGKILL has $host"
		exit 0
	fi
	echo "LOST: the guest flushed digest $guest, the disk file after SIGKILL has $host"
	echo "  $(cmp "$image" /dev/zero 2>&1 | head -n 1) ($(od -An -v -tx1 "$image" | grep -vc '^ *\(00 \)*00 *$') of $(($(stat -c %s "$image") / 16)) 16-byte rows not zero)"
	exit 1
	;;
noflush)
	for ((t = 1; t <= tries; t++)); do
		boot "$t" || exit 1
		host=$("$fnv" "$image")
		if [ "$host" != "$guest" ]; then
			echo "lost (try $t of $tries): the guest was told digest $guest was flushed, the disk file has $host"
			exit 0
		fi
		echo "try $t: nothing lost without FLUSH (digest $host)"
	done
	exit 2
	;;
*)
	echo "usage: power-loss.sh BUILD_DIR flush|noflush TRIES" >&2
	exit 1
	;;
esac
