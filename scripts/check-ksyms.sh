#!/usr/bin/env bash
# The two-pass link is only right if adding the symbol table moved nothing:
# compare every text symbol of pass 1 with the final image.
set -euo pipefail
a=$(nm -n --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}')
b=$(nm -n --defined-only "$2" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}')
[ "$a" = "$b" ] || { echo "error: symbol addresses moved between link passes" >&2; exit 1; }
