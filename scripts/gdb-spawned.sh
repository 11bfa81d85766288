#!/usr/bin/env bash
# Debug a spawned guest, full stack: boot the QEMU host (scripts/qemu-host.sh)
# with a second serial port exported on a private Unix socket, spawn the
# guest on CPU 1 with CMDLINE (put gdb=wait in it to stop before the app's
# main), bridge its debug channel to that serial port with `kspawnctl gdb
# --tty /dev/ttyS1`, and connect gdb on this machine to the socket: gdb
# talks to the guest's own stub, as it would on bare metal over TCP.
#
#   scripts/gdb-spawned.sh [--batch SCRIPT | --client PROG] BUILD_DIR [CMDLINE...]
#
# --client PROG runs `PROG ELF SOCKET` instead of gdb (a raw protocol test).
# KSPAWN_GDB_CPUS=LIST spawns the guest on those CPUs (--cpus; give the
# QEMU host enough with SMP=N).
# KSPAWN_IMAGE=kspawn-guest-test.elf spawns the test image (the test apps)
# instead of kspawn-guest.elf, the image a user runs.
# KSPAWN_GDB_TIMEOUT=SECONDS: the QEMU host is stopped after that long
# (default 900), an interactive session too.
# HOSTKERNEL=DIR: the host kernel make fetched there (default
# BUILD_DIR/hostkernel), as make's HOSTKERNEL= (scripts/README.md).
#
# The host's console (and the guest's, through kspawnctl console) goes to
# BUILD_DIR/gdb-spawned/console.log.  With --batch, gdb runs SCRIPT and the
# console follows gdb's output after "--- guest console ---", and the exit
# status is 121 if the host kernel log shows trouble (kspawn-klog-check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "--batch= --client=" "$@"
set -- "${checked_args[@]}"
batch=${checked_opt[--batch]:-} client=${checked_opt[--client]:-}
[ -z "$batch" ] || [ -z "$client" ] || usage_error "--batch or --client, not both"
build=${1:?usage: gdb-spawned.sh [--batch SCRIPT | --client PROG] BUILD_DIR [CMDLINE...]}
shift
cmdline="${*:-gdb=wait hello}"
image=${KSPAWN_IMAGE:-kspawn-guest.elf}
elf=$build/$image
initrd=$build/initramfs.cpio.gz
env_mk=${HOSTKERNEL:-$build/hostkernel}/env.mk
[ -f "$initrd" ] && [ -f "$env_mk" ] || die "no $initrd or $env_mk (make initramfs hostkernel)"
vmlinuz=$(sed -n 's/^HOSTKERNEL_VMLINUZ := //p' "$env_mk")

dir=$(mktemp -d "${TMPDIR:-/tmp}/kspawn-gdbs.XXXXXX")
sock=$dir/gdb.sock
mkdir -p "$build/gdb-spawned"
console=$build/gdb-spawned/console.log
: > "$console"	# not the last run's
qemu_pid=
cleanup() {
	# qemu-host.sh has a process group of its own, but timeout(1) gives
	# QEMU yet another: find QEMU by the socket only it was given.
	[ -z "$qemu_pid" ] || kill -- -"$qemu_pid" 2>/dev/null || true
	pkill -f "path=$sock," 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

set -m	# job control: the background job gets a process group of its own
"$here/qemu-host.sh" --timeout "${KSPAWN_GDB_TIMEOUT:-900}" --probe "$elf" \
	--run /tests/gdb-spawn.sh \
	--append "harness.guestcmd=$(printf '%s' "$cmdline" | base64 -w0)" \
	--append "harness.guestimg=$image" \
	--append "harness.guestcpus=${KSPAWN_GDB_CPUS:-1}" \
	--qemu -chardev --qemu "socket,id=gdb0,path=$sock,server=on,wait=off" \
	--qemu -serial --qemu chardev:gdb0 \
	-- "$vmlinuz" "$initrd" > "$console" 2>&1 &
qemu_pid=$!
set +m
# The guest is up when the bridge announces itself on the host's console.
up=
for _ in $(seq 1200); do
	grep -q 'kspawnctl: gdb: instance' "$console" 2>/dev/null && { up=1; break; }
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$up" ] || [ ! -S "$sock" ]; then
	cat "$console"
	die "the QEMU host did not get the guest and its gdb bridge up"
fi

if [ -n "$batch$client" ]; then
	status=0
	if [ -n "$client" ]; then
		timeout 300 "$(as_operand "$client")" "$elf" "$sock" 2>&1 || status=$?
	else
		gdb_batch 300 "$batch" "$elf" "$sock" 2>&1 || status=$?
	fi
	# Let the guest finish what gdb let it do, then show its console.
	wait_exit "$qemu_pid"
	echo "--- guest console ---"
	grep -v '^\[ *[0-9]*\.[0-9]*\]' "$console" || true
	# The host kernel's log, against the one list: 121 as qemu-host.sh.
	if ! bad=$("$here/initramfs/kspawn-klog-check" --console < "$console"); then
		echo "gdb-spawned: the host kernel log shows:"
		printf '%s\n' "$bad" | awk '!seen[$0]++' | head -n 60 | sed 's/^/  /'
		status=121
	fi
	exit $status
fi

step "gdb-spawned: host console in $console (tail -f it in another terminal)"
gdb_interactive "$elf" "$sock"
