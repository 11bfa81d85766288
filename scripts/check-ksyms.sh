#!/usr/bin/env bash
# The two-pass link is only right if adding the symbol table moved nothing:
# compare every text symbol of pass 1 with the final image.
#
#   scripts/check-ksyms.sh PASS1_ELF FINAL_ELF
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"
[ $# -eq 2 ] || usage_error "wants two images, not $#"
a=$(nm -n --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}')
b=$(nm -n --defined-only "$2" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}')
[ "$a" = "$b" ] || { echo "error: symbol addresses moved between link passes" >&2; exit 1; }
