#!/usr/bin/env bash
# Debug the guest booted alone under QEMU, with QEMU's own gdb stub.
#
#   scripts/gdb-guest.sh [--stub] [--batch SCRIPT] ELF [CMDLINE...]
#
# --stub: talk to the guest's own gdb stub (kernel option gdb=on|wait) on
# its second serial port instead of QEMU's stub: the same stub that serves
# a spawned guest over the ABI debug channel.  A --batch SCRIPT with a
# "# start: after-connect [SECONDS]" line makes QEMU wait, stopped, until
# gdb is connected and has sent its first packet, and SECONDS (0.5) more
# (gdb/qmp-cont.py): the guest then finds gdb already talking from its
# first instruction on.
#
# QEMU starts stopped (-S) with its gdb stub on a private Unix socket, its
# console in a temporary folder removed with it (the script says where;
# KSPAWN_GDB_CONSOLE=FILE keeps it in FILE instead).  Without --batch, gdb
# starts interactively with symbols, connected, and a hardware breakpoint
# on kmain (software breakpoints cannot be planted in the higher half
# before the guest turns paging on).  With --batch, gdb runs SCRIPT and
# exits; its output is printed, then the console, and gdb's status
# returned.  QEMU is always cleaned up, and stopped after
# KSPAWN_GDB_TIMEOUT seconds (default 3600) even in an interactive session.
#
# KSPAWN_QEMU_DEVICES adds QEMU arguments (split at spaces), QEMU's
# virtio-blk-pci or virtio-net-pci for instance: the guest booted alone
# drives them through its virtio-pci transport.
#
# TCG unless KSPAWN_ACCEL says otherwise: under nested KVM (these build
# machines) a software breakpoint stops the guest with "KVM internal error,
# emulation failure" instead of reporting to gdb.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "--stub --batch=" "$@"
set -- "${checked_args[@]}"
stub=${checked_opt[--stub]:-} batch=${checked_opt[--batch]:-}
elf=${1:?usage: gdb-guest.sh [--stub] [--batch SCRIPT] ELF [CMDLINE...]}
shift
cmdline="$*"
[ -f "$elf" ] || die "no guest image at $elf (run make first)"

start=
[ -z "$batch" ] || [ -z "$stub" ] ||
	start=$(sed -n 's/^# start: //p' "$(as_operand "$batch")" | head -n 1)
case $start in
'' | after-connect | "after-connect "[0-9]*) ;;
*) die "$batch: unknown '# start: $start' (after-connect [SECONDS] is the one)" ;;
esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/kspawn-gdb.XXXXXX")
sock="$dir/gdb.sock"
console=${KSPAWN_GDB_CONSOLE:-$dir/console.log}
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

timeout "${KSPAWN_GDB_TIMEOUT:-3600}" qemu-system-x86_64 \
	$(KSPAWN_ACCEL=${KSPAWN_ACCEL:-tcg} "$here/qemu-accel.sh" --alone) -m 256 -display none -no-reboot -nic none \
	-serial "file:$console" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	${KSPAWN_QEMU_DEVICES:-} \
	-kernel "$elf" -append "$cmdline" \
	-chardev "socket,id=gdb0,path=$sock,server=on,wait=off" \
	$(if [ -n "$stub" ]; then echo "-serial chardev:gdb0"; else echo "-gdb chardev:gdb0 -S"; fi) \
	$(if [ -n "$start" ]; then echo "-S -qmp unix:$dir/qmp.sock,server=on,wait=off"; fi) &
qemu_pid=$!
[ -z "$start" ] || python3 "$here/gdb/qmp-cont.py" "$dir/qmp.sock" gdb0 ${start#after-connect} &
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || die "QEMU did not open its gdb socket"

if [ -n "$batch" ]; then
	status=0
	gdb_batch 120 "$batch" "$elf" "$sock" 2>&1 || status=$?
	# Let the guest finish what gdb let it do (a detached guest runs on
	# to its end, and QEMU exits), then show its console.
	wait_exit "$qemu_pid"
	echo "--- guest console ---"
	cat "$console" 2>/dev/null || true
	exit $status
fi

step "gdb: guest console goes to $console (tail -f it in another terminal)"
gdb_interactive "$elf" "$sock" -ex "hbreak kmain"
