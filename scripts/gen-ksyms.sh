#!/usr/bin/env bash
# Emit the guest's symbol table (for symbolised backtraces) as assembly.
#
#   scripts/gen-ksyms.sh ELF > ksyms.S      (ELF may be /dev/null: empty table)
#
# Layout, read by guest/kern/ksyms.c: a count, then that many (address,
# name offset) pairs sorted by address, then the NUL-terminated names.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"
elf=${1:?usage: gen-ksyms.sh ELF}
syms=$(mktemp)
trap 'rm -f "$syms"' EXIT
if [ "$elf" != /dev/null ]; then
	# Text symbols only: backtraces point into code.
	nm -n --defined-only "$elf" | awk '$2 ~ /^[tTwW]$/ && $3 !~ /^\./ {print $1, $3}' | sort -u -k1,1 > "$syms"
fi
n=$(wc -l < "$syms")
printf '\t.section .ksyms, "a"\n\t.p2align 3\n\t.globl ksyms_count, ksyms_table, ksyms_names\n'
printf 'ksyms_count:\n\t.quad %d\n' "$n"
printf 'ksyms_table:\n'
awk 'BEGIN{off=0} {printf "\t.quad 0x%s, %d\n", $1, off; off += length($2) + 1}' "$syms"
printf 'ksyms_names:\n'
awk '{printf "\t.asciz \"%s\"\n", $2}' "$syms"
