#!/usr/bin/env bash
# The gdb suite: each tests/gdb/*.gdb is a gdb batch script run against a
# guest booted with the command line named on its "# cmdline:" line,
# through QEMU's gdb stub, or through the guest's own stub if the script
# says "# stub: guest", or spawned by kspawn.ko in the QEMU host and
# reached through kspawnctl gdb if it says "# stub: spawned"; its
# output (gdb's and the guest console's) must match the .expect file beside
# it (see check-expect.sh).  A "# cpus: LIST" line spawns the guest on
# those host CPUs (kspawnctl run --cpus; the QEMU host gets one CPU more
# than the highest).
#
#   tests/gdb/run.sh BUILD_DIR
#
# SMP=N: the QEMU host's CPUs for a spawned case without a "# cpus:" line
# (default 2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
# The test image: the cases run test apps (spin, crash) too.
elf=$build/kspawn-guest-test.elf
export KSPAWN_IMAGE=${elf##*/}
pass=0 fail=0
for script in "$here"/*.gdb "$here"/*.py; do
	name=gdb/$(basename "${script%.*}")
	cmdline=$(sed -n 's/^# cmdline: //p' "$script" | head -n 1)
	stub=$(sed -n 's/^# stub: //p' "$script" | head -n 1)
	cpus=$(sed -n 's/^# cpus: //p' "$script" | head -n 1)
	smp=${SMP:-2}
	[ -z "$cpus" ] || smp=$((${cpus##*-} + 1))
	out=$(mktemp)
	case $stub in
	spawned)
		how=--batch
		[ "${script%.py}" = "$script" ] || how=--client
		KSPAWN_GDB_CPUS=$cpus SMP=$smp \
			"$top/scripts/gdb-spawned.sh" $how "$script" "$build" $cmdline ;;
	guest)
		"$top/scripts/gdb-guest.sh" --stub --batch "$script" "$elf" $cmdline ;;
	*)
		"$top/scripts/gdb-guest.sh" --batch "$script" "$elf" $cmdline ;;
	esac > "$out" 2>&1
	st=$?
	# 121: the spawned runner found trouble in the host kernel's log.
	if [ $st -eq 121 ]; then
		echo "FAIL $name: the host kernel log shows trouble"
		sed 's/^/    | /' "$out"
		fail=$((fail + 1))
	elif why=$("$here/check-expect.sh" "${script%.*}.expect" "$out"); then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		echo "$why" | sed 's/^/    /'
		sed 's/^/    | /' "$out"
		fail=$((fail + 1))
	fi
	rm -f "$out"
done
echo "gdb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
