#!/usr/bin/env bash
# make size: how big the kernel core is, apart from newlib and the apps.
#   scripts/size-report.sh IMAGE CORE_OBJS... -- APP_OBJS... [-- TEST_APP_OBJS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"
[ $# -ge 2 ] || usage_error "wants an image and object files"
for a in "$@"; do
	[ "$a" = -- ] || [ -f "$a" ] || die "no $a (make first)"
done
image=$1; shift
groups=("" "" "")
g=0
for a in "$@"; do
	if [ "$a" = -- ]; then g=$((g + 1)); else groups[g]+=" $a"; fi
done
total() { size -t "$@" | tail -n 1 | awk '{printf "%9d %9d %9d\n", $1, $2, $3}'; }
printf '%-28s %9s %9s %9s\n' part text data bss
printf '%-28s %s\n' "kernel core (arch+kern+lib)" "$(total ${groups[0]})"
[ -z "${groups[1]}" ] || printf '%-28s %s\n' "apps" "$(total ${groups[1]})"
[ -z "${groups[2]}" ] || printf '%-28s %s\n' "test apps (test image only)" "$(total ${groups[2]})"
printf '%-28s %s\n' "whole image (with newlib)" "$(size "$image" | tail -n 1 | awk '{printf "%9d %9d %9d", $1, $2, $3}')"
