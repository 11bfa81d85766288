#!/usr/bin/env bash
# Every regex of EXPECT must match a line of OUTPUT, in order; lines
# starting with ! must match no line.  Prints what is missing and exits 1
# on any mismatch.
#
#   tests/gdb/check-expect.sh EXPECT OUTPUT
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"
expect=$1 out=$2
line=0 status=0
total=$(wc -l < "$out")
while IFS= read -r re; do
	case "$re" in
	'' | '#'*) continue ;;
	'!'*)
		if grep -qE -- "${re#!}" "$out"; then
			echo "unexpected: ${re#!}"
			status=1
		fi
		continue ;;
	esac
	found=$(tail -n +"$((line + 1))" "$out" | grep -nE -m1 -- "$re" | cut -d: -f1)
	if [ -z "$found" ]; then
		echo "missing (after line $line of $total): $re"
		status=1
		continue
	fi
	line=$((line + found))
done < "$expect"
exit $status
