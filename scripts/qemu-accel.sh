#!/usr/bin/env bash
# Print the QEMU -accel arguments to use on this machine.
#
#   scripts/qemu-accel.sh [PROBE_ELF]
#
# KVM when /dev/kvm is usable and a probe boot of the guest image (the
# "hello" app, which must end QEMU with guest status 0 within seconds)
# works: on some machines KVM is present but hangs QEMU.  Otherwise
# multi-threaded TCG.  Seen on these machines: KVM boots a trivial guest but
# then stops with "KVM internal error, emulation failure" on FPU setup, so
# the probe runs the real image, and the verdict (cached in build/) is only
# reused for that same image.  KSPAWN_ACCEL=kvm|tcg overrides it.
set -euo pipefail
tcg="-accel tcg,thread=multi"
case "${KSPAWN_ACCEL:-}" in
kvm) echo "-accel kvm"; exit 0 ;;
tcg) echo "$tcg"; exit 0 ;;
esac
probe=${1:-build/kspawn-guest.elf}
key=none
[ -f "$probe" ] && key=$(sha1sum < "$probe" | cut -c1-16)
cache=${KSPAWN_ACCEL_CACHE:-build/qemu-accel}.$key
if [ -f "$cache" ]; then
	cat "$cache"
	exit 0
fi
verdict=$tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -f "$probe" ]; then
	status=0
	timeout 10 qemu-system-x86_64 -accel kvm -m 128 -display none \
		-serial null -monitor none -nic none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$probe" -append hello </dev/null >/dev/null 2>&1 ||
		status=$?
	# isa-debug-exit: guest status 0 ends QEMU with status 1.
	[ "$status" -eq 1 ] && verdict="-accel kvm"
fi
mkdir -p "$(dirname "$cache")"
rm -f "${cache%.*}".*
echo "$verdict" > "$cache"
echo "$verdict"
