#!/usr/bin/env bash
# What bench/run.sh keeps of a full-stack run that failed as a whole:
# nothing.  A stand-in QEMU (no boot, no timing) prints a boot's BENCH
# lines for size_footprint, two runs, well formed, then its kernel lines
# and the harness's exit line; bench/run.sh is run on a build directory
# that holds only what it looks for.
#
#   - a clean boot: size_footprint.json is written (the stand-in works),
#     also with the host kernel elsewhere (HOSTKERNEL=DIR);
#   - the same boot with a WARNING in the host kernel's log
#     (scripts/qemu-host.sh exits 121): no size_footprint.json, though
#     every run of it was complete;
#   - a boot that never starts (no bench initramfs), with BENCH=scale: an
#     older scale.json is removed, not left looking current;
#   - BENCH=../escape (a path, no workload's prefix) is refused, and the
#     escape.json beside the results stays;
#   - BENCH=spawnx (a typo that extends a group's name) is refused before
#     QEMU boots and before the older raw.txt is emptied: it once booted
#     the whole QEMU host, and a typo once left the tables without their
#     raw data.
#
# Prints "ok bench/failed-runs/..." or "FAIL ..." lines, for run.sh;
# exits 1 if any failed.
#
#   tests/bench/failed-runs.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "failed-runs.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
work=$(cd "$build" && pwd)/bench-failed-runs
rm -rf "$work"
fake=$work/build stand=$work/qemu
mkdir -p "$fake/bench" "$fake/hostkernel" "$stand"
touch "$work/vmlinuz" "$fake/kspawn-guest.elf" "$fake/initramfs-bench.cpio"
echo "HOSTKERNEL_VMLINUZ := $work/vmlinuz" > "$fake/hostkernel/env.mk"

# The stand-in: KLOG is the host kernel's last line on the console.
cat > "$stand/qemu-system-x86_64" <<'EOF'
#!/bin/sh
echo "[    0.000000] Linux version 6.1.0 (stand-in)"
echo KSPAWN-HARNESS-INIT
echo 'BENCH M {"cpu": "stand-in", "cores": 4, "kernel": "6.1.0", "virtualization": "QEMU tcg"}'
echo 'BENCH W size_footprint lower {"same_work": {"linux_host": false}, "note": "stand-in"}'
for r in 1 2; do
	echo "BENCH O size_footprint $r kspawn linux_host"
	for s in kspawn linux_host; do
		echo "BENCH R size_footprint $s $r footprint_kib $r$r KiB"
		echo "BENCH R size_footprint $s $r warmup 0 none"
	done
done
echo "[    9.000000] $KLOG"
echo "KSPAWN-HARNESS-EXIT 0"
EOF
chmod +x "$stand/qemu-system-x86_64"

# bench NAME PREFIX KLOG: bench/run.sh on the stand-in, its output in
# $work/NAME.log, its results in $work/NAME/.
bench() {
	(cd "$top" && PATH=$stand:$PATH KSPAWN_ACCEL=tcg KSPAWN_QMP_WAIT_S=0 \
		KLOG=$3 BENCH_RUNS=2 BENCH_OUT=$work/$1 BENCH_QEMU_TIMEOUT=60 \
		timeout 120 bench/run.sh "$fake" "$2") > "$work/$1.log" 2>&1
}

# verdict NAME OK WHY LOG
failed=0
verdict() {
	if [ "$2" = 1 ]; then
		echo "ok bench/failed-runs/$1"
	else
		echo "FAIL bench/failed-runs/$1: $3"
		tail -n 12 "$4" | sed 's/^/    | /'
		failed=1
	fi
}

bench clean size_footprint "usb 1-1: new device (stand-in)"
st=$?
ok=0
[ $st -eq 0 ] && [ -f "$work/clean/size_footprint.json" ] && ok=1
verdict clean-boot $ok "exit $st; a clean stand-in boot gave no size_footprint.json" "$work/clean.log"

bench warning size_footprint "WARNING: CPU: 1 PID: 1 at kernel/stand-in.c:1 f+0x0/0x1"
st=$?
ok=0
[ $st -ne 0 ] && [ ! -e "$work/warning/size_footprint.json" ] &&
	grep -q 'size_footprint the full-stack run failed as a whole' "$work/warning/raw.txt" &&
	ok=1
verdict kernel-warning $ok "exit $st; a boot whose kernel logged a WARNING left size_footprint.json" "$work/warning.log"

# The host kernel where HOSTKERNEL=DIR says (one download shared by build
# directories, as make takes it), not only under BUILD_DIR: a clean boot.
mv "$fake/hostkernel" "$work/hk"
HOSTKERNEL=$work/hk bench shared size_footprint "usb 1-1: new device (stand-in)"
st=$?
ok=0
[ $st -eq 0 ] && [ -f "$work/shared/size_footprint.json" ] && ok=1
verdict shared-hostkernel $ok "exit $st; with HOSTKERNEL=$work/hk no size_footprint.json" "$work/shared.log"
mv "$work/hk" "$fake/hostkernel"

# A typo that extends a group's name (spawn): refused before anything
# boots or is emptied.  The stand-in says in the log if it ran.
mkdir -p "$work/typo"
echo 'M kept' > "$work/typo/raw.txt"
bench typo spawnx ""
st=$?
ok=0
[ $st -eq 2 ] && grep -qx 'M kept' "$work/typo/raw.txt" &&
	! grep -q KSPAWN-HARNESS "$work/typo.log" && ! grep -q 'booting the QEMU host' "$work/typo.log" &&
	ok=1
verdict typo-prefix $ok "exit $st; BENCH=spawnx must be refused before QEMU boots or raw.txt is emptied" "$work/typo.log"

rm "$fake/initramfs-bench.cpio"
mkdir -p "$work/noboot"
echo '{"stale": true}' > "$work/noboot/scale.json"
bench noboot scale ""
st=$?
ok=0
[ $st -ne 0 ] && [ ! -e "$work/noboot/scale.json" ] && ok=1
verdict no-boot $ok "exit $st; the older scale.json of a selection that never ran was left" "$work/noboot.log"
# A prefix that is a path names no workload: refused, nothing removed.
echo '{"outside": true}' > "$work/escape.json"
bench escape ../escape ""
st=$?
ok=0
[ $st -eq 2 ] && [ -e "$work/escape.json" ] && ok=1
verdict path-prefix $ok "exit $st; BENCH=../escape must be refused and remove nothing" "$work/escape.log"

# Kept for a look if anything failed.
[ $failed -eq 1 ] || rm -rf "$work"
exit $failed
