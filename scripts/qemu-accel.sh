#!/usr/bin/env bash
# Print the QEMU -accel arguments to use on this machine.
#
#   scripts/qemu-accel.sh [--alone] [PROBE_ELF]
#
# KVM when /dev/kvm is usable and a probe boot of the guest image (the
# "hello" app, which must end QEMU with guest status 0 within seconds)
# works: on some machines KVM is present but hangs QEMU.  Otherwise
# multi-threaded TCG.  Seen on these machines: KVM boots a trivial guest but
# then stops with "KVM internal error, emulation failure" on FPU setup, so
# the probe runs the real image, and the verdict is only reused for that
# same image: cached in KSPAWN_ACCEL_CACHE.KEY (default
# qemu-accel.NAME.KEY beside the image NAME), KEY from the image's SHA-1,
# renamed into place (suites side by side read it); with no image, TCG
# and nothing cached.  KSPAWN_ACCEL=kvm|tcg overrides it.  PROBE_ELF defaults
# to build/kspawn-guest.elf.
#
# --alone: for our guest run alone in QEMU (one CPU), -smp 1,maxcpus=2 too.
# QEMU 7.2's TCG drops the host barrier behind a guest's fences (MFENCE,
# locked instructions) when the machine can never have a second CPU, yet
# its virtio devices run in other host threads: a driver's store of the
# available index could then pass its load of the device's avail_event,
# both sides missed each other, and a kick the device needed was never
# sent (interop/net-split, about one run in 16 on a loaded machine: the
# transmit ring full, avail_event stuck at the used index).  A possible
# second CPU, never started, makes TCG keep the barriers; later QEMUs
# always keep them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "--alone" "$@"
set -- "${checked_args[@]}"
tcg="-accel tcg,thread=multi"
alone=
[ -z "${checked_opt[--alone]:-}" ] || alone=" -smp 1,maxcpus=2"
case "${KSPAWN_ACCEL:-}" in
kvm) echo "-accel kvm$alone"; exit 0 ;;
tcg) echo "$tcg$alone"; exit 0 ;;
esac
probe=${1:-build/kspawn-guest.elf}
# Nothing to probe with, nothing to key a verdict by: TCG, uncached.
[ -f "$probe" ] || { echo "$tcg$alone"; exit 0; }
key=$(sha1sum < "$probe" | cut -c1-16)
cache=${KSPAWN_ACCEL_CACHE:-$(dirname "$probe")/qemu-accel.$(basename "$probe")}.$key
# (Read once: a probe of the same image beside this one may be replacing
# it; an empty read probes again.)
if verdict=$(cat "$cache" 2>/dev/null) && [ -n "$verdict" ]; then
	echo "$verdict$alone"
	exit 0
fi
verdict=$tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	status=0
	timeout 10 qemu-system-x86_64 -accel kvm -m 128 -display none \
		-serial null -monitor none -nic none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$probe" -append hello </dev/null >/dev/null 2>&1 ||
		status=$?
	# isa-debug-exit: guest status 0 ends QEMU with status 1.
	[ "$status" -eq 1 ] && verdict="-accel kvm"
fi
mkdir -p "$(dirname "$cache")" 2>/dev/null || true
# The new verdict renamed into place (a reader never sees it half
# written), then this image's stale ones removed: not another image's,
# which may be in use, nor this key's or a probe's beside this one.
# Best effort: a folder that cannot be written to keeps nothing.
{ echo "$verdict" > "$cache.$$" && mv -f "$cache.$$" "$cache"; } 2>/dev/null ||
	rm -f "$cache.$$"
prefix=${cache%.*}
for f in "$prefix".*; do
	rest=${f#"$prefix".}
	[[ $rest =~ ^[0-9a-f]{16}$ ]] && [ "$rest" != "$key" ] && rm -f -- "$f"
done
echo "$verdict$alone"
