#!/usr/bin/env bash
# Unpack the parts of Debian's Linux 6.1 source that the interop tests and
# benchmarks compile in user space: drivers/virtio/virtio_ring.c, the shims
# of tools/virtio (and its ringtest), tools/include and the headers they
# reach into.  The tarball comes from the linux-source-6.1 package
# (scripts/packages.txt); nothing from it is committed.
#
#   scripts/unpack-linux-source.sh [OUT_DIR]     (default build/linux-src)
#
# Leaves OUT_DIR/linux (the tree) and OUT_DIR/version (the package's
# version); a second run with the same package version does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"

out=${1:-build/linux-src}
pkg=linux-source-6.1
tarball=/usr/src/$pkg.tar.xz
mkdir -p "$out"
out=$(cd "$out" && pwd)

ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
	die "$pkg is not installed: run scripts/install-deps.sh (make does)"
[ -f "$tarball" ] || die "$pkg $ver is installed but $tarball is missing"
if [ -f "$out/version" ] && [ "$(cat "$out/version")" = "$ver" ] &&
   [ -f "$out/linux/drivers/virtio/virtio_ring.c" ]; then
	step "linux-src: $pkg $ver unpacked in $out/linux"
	exit 0
fi

step "linux-src: unpacking virtio_ring.c and tools/virtio from $pkg $ver"
rm -rf "$out/linux" "$out/linux.tmp" "$out/version"
mkdir -p "$out/linux.tmp"
# Only what tools/virtio's builds read: a few MB of the 1.3 GB tree.
tar -xJf "$tarball" -C "$out/linux.tmp" --strip-components=1 \
	"$pkg/drivers/virtio/virtio_ring.c" "$pkg/tools/virtio" \
	"$pkg/tools/include" "$pkg/include/linux" "$pkg/include/uapi/linux" \
	"$pkg/COPYING" "$pkg/LICENSES/preferred/GPL-2.0" ||
	die "could not unpack $tarball"
mv "$out/linux.tmp" "$out/linux"
echo "$ver" > "$out/version"
step "linux-src: $out/linux"
