#!/usr/bin/env bash
# Boot the guest alone under QEMU and return its exit status.
#
#   scripts/qemu-guest.sh [--timeout SECONDS] ELF [CMDLINE...]
#
# --timeout: default $KSPAWN_QEMU_TIMEOUT, else 120.
# KSPAWN_GUEST_MEM: the machine's memory in MiB (default 256).
# The console (COM1) goes to stdout.  Exit status: the guest's own status
# (0..127; a panic is 112), 124 if it timed out, 125 if QEMU ended without
# the guest saying anything (a triple fault resets the machine, which
# -no-reboot turns into a plain exit).
#
# KSPAWN_QEMU_DEVICES adds QEMU arguments, split at spaces: the guest's
# virtio-pci transport drives QEMU's virtio-blk-pci and virtio-net-pci,
# e.g. "-drive file=disk.img,format=raw,if=none,id=d0
# -device virtio-blk-pci,drive=d0" (docs/interop.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "--timeout=" "$@"
set -- "${checked_args[@]}"
limit=${checked_opt[--timeout]:-${KSPAWN_QEMU_TIMEOUT:-120}}
elf=${1:?usage: qemu-guest.sh [--timeout S] ELF [CMDLINE...]}
shift
[ -f "$elf" ] || die "no guest image at $elf (run make first)"

status=0
timeout "$limit" qemu-system-x86_64 $("$here/qemu-accel.sh" --alone -- "$elf") \
	-m "${KSPAWN_GUEST_MEM:-256}" -display none -serial stdio \
	-monitor none -nic none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	${KSPAWN_QEMU_DEVICES:-} \
	-kernel "$elf" -append "$*" </dev/null || status=$?
case $status in
124) echo "qemu-guest: timed out after ${limit}s" >&2; exit 124 ;;
0) echo "qemu-guest: QEMU ended without a guest exit status (triple fault?)" >&2; exit 125 ;;
esac
# isa-debug-exit: QEMU's status is (guest status << 1) | 1.
[ $((status & 1)) -eq 1 ] || { echo "qemu-guest: QEMU failed (status $status)" >&2; exit 125; }
exit $((status >> 1))
