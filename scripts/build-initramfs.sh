#!/usr/bin/env bash
# Build the QEMU host's initramfs: busybox-static, the init script and its
# helpers (scripts/initramfs/), and the files given as SRC:DEST.
#
#   scripts/build-initramfs.sh OUT.cpio.gz [SRC:DEST]...
#
# DEST is a path inside the initramfs; a SRC folder is copied whole.  The
# usual ones (scripts/run.mk passes them):
#   build/kspawn.ko:/lib/modules/kspawn.ko     (no dependencies on other modules)
#   build/kspawnctl:/bin/kspawnctl             (static)
#   build/kspawn-guest.elf:/guest/kspawn-guest.elf            (and -test.elf)
#   build/qemu/fnv64sum:/bin/fnv64sum           (and the qemu cases' other tools)
#   tests/qemu/guest:/tests
#   .../virtio*.ko:/lib/modules/host/           the host kernel's modules the
#                                              cases need; init loads the
#                                              virtio and NVMe ones in order
#                                              (a second QEMU disk, a drive)
# kspawn.ko itself needs nothing from the host kernel's modules.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "" "$@"
set -- "${checked_args[@]}"

out=${1:?usage: build-initramfs.sh OUT.cpio.gz [SRC:DEST]...}
shift
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "no busybox: apt-get install busybox-static"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	die "$busybox is not static: apt-get install busybox-static"
command -v cpio >/dev/null || die "no cpio: apt-get install cpio"

stage=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
chmod 755 "$stage"	# the root of the initramfs: ordinary users must enter it
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,root,lib/modules,guest,tests}

cp "$busybox" "$stage/bin/busybox"
# One link per applet, where busybox says it belongs (bin/sh, sbin/insmod...).
for applet in $("$busybox" --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done

install -m 755 "$here/initramfs/init" "$stage/init"
for f in "$here"/initramfs/*; do
	[ "$(basename "$f")" = init ] || install -m 755 "$f" "$stage/bin/"
done
# nobody: the not-root test runs kspawnctl as an ordinary user (su).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
cat > "$stage/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PS1='kspawn-host:\w# '
EOF

for spec in "$@"; do
	src=${spec%%:*}
	dst=${spec#*:}
	[ "$src" != "$spec" ] && [ "${dst:0:1}" = / ] ||
		die "bad argument '$spec': want SRC:/DEST"
	[ -e "$src" ] || die "$src does not exist (build it first)"
	mkdir -p "$stage$(dirname "$dst")"
	if [ -d "$src" ]; then
		mkdir -p "$stage$dst"
		cp -a "$src/." "$stage$dst/"
	else
		cp -L "$src" "$stage$dst"
	fi
done

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) | gzip -6 -n > "$out.tmp"
mv "$out.tmp" "$out"
step "initramfs: $out ($(du -k "$out" | cut -f1) KiB, $# extra item(s))"
