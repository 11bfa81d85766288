#!/usr/bin/env bash
# make size: how big the kernel core is, apart from newlib and the apps.
#   scripts/size-report.sh IMAGE CORE_OBJS... -- APP_OBJS...
set -euo pipefail
image=$1; shift
core=(); apps=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do core+=("$1"); shift; done
[ $# -gt 0 ] && shift
apps=("$@")
total() { size -t "$@" | tail -n 1 | awk '{printf "%9d %9d %9d\n", $1, $2, $3}'; }
printf '%-28s %9s %9s %9s\n' part text data bss
printf '%-28s %s\n' "kernel core (arch+kern+lib)" "$(total "${core[@]}")"
[ ${#apps[@]} -gt 0 ] && printf '%-28s %s\n' "apps" "$(total "${apps[@]}")"
printf '%-28s %s\n' "whole image (with newlib)" "$(size "$image" | tail -n 1 | awk '{printf "%9d %9d %9d", $1, $2, $3}')"
