#!/usr/bin/env bash
# The guest suite: boot the guest alone under QEMU once per case of
# cases.sh and check its exit status and console.  The image is the test
# image (every app), or the one GUEST_IMAGE names for a case.
#
#   tests/guest/run.sh BUILD_DIR [NAME...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
shift
only=" $* "
pass=0 fail=0 known=

guest_case() {
	local name=$1 want=$2 cmdline=$3 status why=()
	shift 3
	known+=" $name"
	[ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || return 0
	local log elf=$build/${GUEST_IMAGE:-kspawn-guest-test.elf}
	log=$(mktemp)
	(cd "$top" && scripts/qemu-guest.sh "$elf" $cmdline) > "$log" 2>&1
	status=$?
	[ "$status" -eq "$want" ] || why+=("exit status $status, want $want")
	for re in "$@"; do
		if [ "${re:0:1}" = "!" ]; then
			grep -qE -- "${re:1}" "$log" && why+=("unexpected: ${re:1}")
		else
			grep -qE -- "$re" "$log" || why+=("missing: $re")
		fi
	done
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok guest/$name"
		pass=$((pass + 1))
	else
		echo "FAIL guest/$name ($cmdline)"
		printf '    %s\n' "${why[@]}"
		sed 's/^/    | /' "$log"
		fail=$((fail + 1))
	fi
	rm -f "$log"
}

for elf in "$build"/kspawn-guest{,-test}.elf; do
	[ -f "$elf" ] || { echo "FAIL guest: no image at $elf"; echo "guest: 0 passed, 1 failed"; exit 1; }
done
. "$here/cases.sh"
for name in $(unknown_cases "$known" $only); do
	echo "FAIL guest/$name: no such case (tests/guest/cases.sh)"
	fail=$((fail + 1))
done
echo "guest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
