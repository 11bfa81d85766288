#!/usr/bin/env bash
# Fetch Debian's current kernel and its Kbuild headers for the QEMU host.
#
#   scripts/fetch-host-kernel.sh [OUT_DIR]      (default build/hostkernel)
#
# The version is resolved at run time from the package metadata: the
# candidate of the linux-image-amd64 metapackage names linux-image-<abi>,
# whose headers name their -common package and the linux-kbuild package.
# The four packages are fetched with `apt-get download` and unpacked with
# `dpkg -x` under OUT_DIR/root: nothing is installed on this machine, whose
# own kernel is left alone.
#
# Writes OUT_DIR/env.mk, for make (and for scripts, which read it with sed):
#   HOSTKERNEL_RELEASE := 6.1.0-NN-amd64
#   HOSTKERNEL_VMLINUZ := /abs/OUT_DIR/root/boot/vmlinuz-...
#   HOSTKERNEL_KDIR    := /abs/OUT_DIR/root/usr/src/linux-headers-...
#   HOSTKERNEL_MODDIR  := /abs/OUT_DIR/root/lib/modules/...
# A second run only checks that everything is still there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"

out=${1:-build/hostkernel}
mkdir -p "$out"
out=$(cd "$out" && pwd)
env_mk=$out/env.mk
root=$out/root

# The value of "NAME := value" in env.mk.
env_get() { sed -n "s/^$1 *:= *//p" "$env_mk" 2>/dev/null; }

cached() {
	local kdir vmlinuz
	kdir=$(env_get HOSTKERNEL_KDIR)
	vmlinuz=$(env_get HOSTKERNEL_VMLINUZ)
	[ -n "$kdir" ] && [ -f "$vmlinuz" ] && [ -f "$kdir/Makefile" ] &&
		[ -e "$kdir/scripts/basic/fixdep" ] &&
		grep -q "^include $root/" "$kdir/Makefile"
}

if cached; then
	step "hostkernel: $(env_get HOSTKERNEL_RELEASE) cached in $out"
	exit 0
fi

command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
	die "needs apt-get and dpkg (Debian 12 or similar)"

# The first "Depends:" entry of PACKAGE=VERSION whose name matches REGEX.
dep_of() {
	apt-cache show "$1" 2>/dev/null | sed -n 's/^Depends: //p' | head -n 1 |
		tr ',' '\n' | sed -E 's/^ *([^ ]+).*/\1/' | grep -E "$2" | head -n 1
}

candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

step "hostkernel: resolving Debian's current linux-image-amd64"
meta_ver=$(candidate linux-image-amd64)
[ -n "$meta_ver" ] && [ "$meta_ver" != "(none)" ] ||
	die "apt knows no linux-image-amd64: run 'apt-get update' (as root) first"
image=$(dep_of "linux-image-amd64=$meta_ver" '^linux-image-.*-amd64$')
[ -n "$image" ] || die "linux-image-amd64 $meta_ver names no linux-image-*-amd64"
release=${image#linux-image-}
headers=linux-headers-$release
# The metapackage pins the exact version of the image: "image (= VERSION)".
pkg_ver=$(apt-cache show "linux-image-amd64=$meta_ver" | sed -n 's/^Depends: //p' |
	head -n 1 | sed -nE "s/.*$image \(= ([^)]+)\).*/\1/p")
[ -n "$pkg_ver" ] || pkg_ver=$(candidate "$image")
common=$(dep_of "$headers=$pkg_ver" '^linux-headers-.*-common$')
kbuild=$(dep_of "$headers=$pkg_ver" '^linux-kbuild-')
[ -n "$common" ] && [ -n "$kbuild" ] ||
	die "cannot find the -common and linux-kbuild packages that $headers $pkg_ver depends on"
kbuild_ver=$(candidate "$kbuild")
step "hostkernel: $image $pkg_ver, $headers, $common, $kbuild $kbuild_ver"

debs=$out/debs
mkdir -p "$debs"
want=("$image=$pkg_ver" "$headers=$pkg_ver" "$common=$pkg_ver" "$kbuild=$kbuild_ver")
for spec in "${want[@]}"; do
	name=${spec%%=*}
	ver=${spec#*=}
	# dpkg file names spell an epoch's ':' as '%3a'.
	file=$debs/${name}_${ver//:/%3a}_
	if compgen -G "$file*.deb" >/dev/null; then
		step "hostkernel: have $name $ver"
		continue
	fi
	step "hostkernel: downloading $name $ver"
	# As root, apt would drop to user _apt, who cannot write here.
	sandbox=()
	[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
	(cd "$debs" && apt-get download -q "${sandbox[@]}" "$spec") ||
		die "apt-get download $spec failed (network or apt sources?)"
done

step "hostkernel: unpacking into $root"
rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for spec in "${want[@]}"; do
	name=${spec%%=*}
	ver=${spec#*=}
	dpkg -x "$(ls "$debs/${name}_${ver//:/%3a}_"*.deb | head -n 1)" "$root.tmp" ||
		die "dpkg -x failed for $name"
done

# The packages expect to live in /usr/src and /lib/modules: make them work
# where they are.  The headers' Makefile includes the -common one by an
# absolute path, and lib/modules/<release>/{build,source} are absolute links.
kdir_tmp=$root.tmp/usr/src/$headers
[ -f "$kdir_tmp/Makefile" ] || die "$headers has no Makefile: unexpected layout"
sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir_tmp/Makefile"
grep -q "^include $root/usr/src/$common/Makefile" "$kdir_tmp/Makefile" ||
	die "could not point $headers/Makefile at $common"
moddir_tmp=$root.tmp/lib/modules/$release
ln -sfn "../../../usr/src/$headers" "$moddir_tmp/build"
ln -sfn "../../../usr/src/$common" "$moddir_tmp/source"
bad=$(find "$root.tmp" -type l -lname '/*' -print | head -n 3)
[ -z "$bad" ] || die "absolute symlinks left that would point outside $root: $bad"
rm -rf "$root"
mv "$root.tmp" "$root"

kdir=$root/usr/src/$headers
# Kbuild runs the compiler the kernel was built with (CC in the headers'
# Makefile, e.g. gcc-12): say so now rather than in the middle of a build.
cc=$(sed -n 's/^CC = .*)\([a-z0-9.+-]*\)$/\1/p' "$kdir/Makefile" | head -n 1)
if [ -n "$cc" ] && ! command -v "$cc" >/dev/null; then
	step "hostkernel: warning: Kbuild wants $cc, which is not installed (apt-get install ${cc})"
fi
[ -x "$kdir/scripts/basic/fixdep" ] || die "$kbuild did not provide scripts/basic/fixdep"

cat > "$env_mk.tmp" <<EOF
# Written by scripts/fetch-host-kernel.sh: Debian's kernel for the QEMU host.
HOSTKERNEL_RELEASE := $release
HOSTKERNEL_PACKAGE_VERSION := $pkg_ver
HOSTKERNEL_VMLINUZ := $root/boot/vmlinuz-$release
HOSTKERNEL_KDIR := $kdir
HOSTKERNEL_MODDIR := $root/lib/modules/$release
EOF
mv "$env_mk.tmp" "$env_mk"
step "hostkernel: vmlinuz $root/boot/vmlinuz-$release"
step "hostkernel: KDIR $kdir"
