#!/usr/bin/env bash
# Assemble the self-contained source tree Kbuild builds kspawn.ko from: the
# module (host/kmod, its real-mode trampoline tramp16.S included), the ELF
# checker it shares with the tools (host/loader), abi/ (the shared-memory
# and ioctl ABIs and the byte ring the guest shares) and the portable
# virtio backends (host/backend, as backend/).
#
#   scripts/kmod-tree.sh DIR           symlinks (the build, edits show up)
#   scripts/kmod-tree.sh --copy DIR    copies (DKMS: /usr/src/kspawn-0.1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "--copy" "$@"
set -- "${checked_args[@]}"
top=$(cd "$(dirname "$0")/.." && pwd)
mode=link
[ -z "${checked_opt[--copy]:-}" ] || mode=copy
dest=${1:?usage: kmod-tree.sh [--copy] DIR}
# "--" before each path: DIR may begin with a dash ("-- -x").
mkdir -p -- "$dest/abi" "$dest/backend"
put() {
	local src=$top/$1 dst=$dest/$2
	if [ "$mode" = copy ]; then
		cp -f -- "$src" "$dst"
	else
		ln -sfn -- "$src" "$dst"
	fi
}
for f in "$top"/host/kmod/*.[chS]; do
	put "host/kmod/${f##*/}" "${f##*/}"
done
put host/kmod/Kbuild Kbuild
put host/kmod/Makefile Makefile
put host/kmod/dkms.conf dkms.conf
put host/loader/elf_check.c elf_check.c
put host/loader/elf_check.h elf_check.h
for f in "$top"/abi/*.[ch]; do
	put "abi/${f##*/}" "abi/${f##*/}"
done
# The backends: the sources on their one list (host/backend/backend.mk,
# which Kbuild reads too), and every header.
backend=$(cd "$top" && MAKEFLAGS= make -s --no-print-directory \
	-f host/backend/backend.mk --eval 'l: ; @echo $(BACKEND_SRC)' l)
for f in $backend "$top"/host/backend/*.h host/backend/backend.mk; do
	put "host/backend/${f##*/}" "backend/${f##*/}"
done
