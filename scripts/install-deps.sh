#!/usr/bin/env bash
# Install the Debian packages listed in scripts/packages.txt that are missing.
#
#   scripts/install-deps.sh [STAMP]
#
# Prints one line per step.  Uses sudo when not root.  Touches STAMP on
# success so that make runs it again only when the list changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"

want=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | awk '{print $1}')
missing=()
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	step "deps: all $(echo "$want" | wc -w) Debian packages present"
else
	command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: this needs Debian 12 or similar"
	step "deps: updating the package lists"
	as_root apt-get update -q >/dev/null || die "apt-get update failed"
	step "deps: installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
		|| die "apt-get install failed for: ${missing[*]}"
fi
if [ $# -ge 1 ]; then
	mkdir -p "$(dirname "$1")"
	touch "$1"
fi
