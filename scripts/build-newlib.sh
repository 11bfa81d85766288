#!/usr/bin/env bash
# Build newlib for the guest (target x86_64-elf) from Debian's newlib-source.
#
#   scripts/build-newlib.sh OUTDIR
#
# Installs headers and libc.a/libm.a under OUTDIR/x86_64-elf/.  The guest is
# a freestanding higher-half kernel, so newlib is compiled with the same code
# model (-mcmodel=kernel), no red zone and no PIC, through small
# x86_64-elf-* wrappers around the host toolchain.  Takes about a minute on
# two cores; the result is cached by the Makefile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"

out=$(realpath -m "${1:?usage: build-newlib.sh OUTDIR}")
tarball=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || die "no newlib tarball in /usr/src/newlib: install newlib-source (scripts/install-deps.sh)"

work="$out.work"
rm -rf "$work" "$out"
mkdir -p "$work/bin" "$work/build"

# Wrappers: the host gcc/binutils posing as an x86_64-elf cross toolchain.
flags="-ffreestanding -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer"
for tool in ar as ld nm objcopy objdump ranlib readelf strip; do
	printf '#!/bin/sh\nexec %s "$@"\n' "$tool" > "$work/bin/x86_64-elf-$tool"
done
for cc in gcc cc; do
	printf '#!/bin/sh\nexec gcc %s "$@"\n' "$flags" > "$work/bin/x86_64-elf-$cc"
done
chmod +x "$work/bin/"*
export PATH="$work/bin:$PATH"

step "newlib: unpacking $(basename "$tarball")"
tar -xf "$tarball" -C "$work"
src=$(ls -d "$work"/newlib-*/ | head -n 1)

step "newlib: configuring for x86_64-elf"
cd "$work/build"
"$src/configure" --target=x86_64-elf --prefix="$out" \
	--disable-multilib --disable-newlib-supplied-syscalls \
	--enable-newlib-reent-small --disable-newlib-fvwrite-in-streamio \
	--disable-nls CFLAGS_FOR_TARGET="-O2 -g -D__DYNAMIC_REENT__" \
	> "$work/configure.log" 2>&1 || { tail -n 30 "$work/configure.log"; die "newlib configure failed (log: $work/configure.log)"; }

step "newlib: building (about a minute)"
MAKEFLAGS= make -j"$(build_jobs)" all-target-newlib > "$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; die "newlib build failed (log: $work/build.log)"; }
MAKEFLAGS= make install-target-newlib > "$work/install.log" 2>&1 || { tail -n 30 "$work/install.log"; die "newlib install failed"; }

[ -f "$out/x86_64-elf/lib/libc.a" ] || die "newlib installed no libc.a"
rm -rf "$work"
step "newlib: ready in $out"
